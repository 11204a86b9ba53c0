/**
 * What the harness asks for and how it reads the reply. Every mode gets the same question
 * text: the question, the options of a multiple-choice question, and a request to end with
 * a `FINAL ANSWER:` line in a form the scorer can check. Extraction takes what follows the
 * last such line and falls back sensibly when the model forgot it.
 */
import type { Check, EvalQuestion } from './types';

export const FINAL_ANSWER_MARKER = 'FINAL ANSWER:';

function instruction(check: Check): string | null {
  switch (check.type) {
    case 'exact':
      return `End your answer with a line of the form "${FINAL_ANSWER_MARKER} <answer>" giving the exact value only, without quotes or explanation.`;
    case 'number':
      return `End your answer with a line of the form "${FINAL_ANSWER_MARKER} <answer>". If the question asks for one number, give just that number; if it asks for several, put them on the lines after the marker in the form the question asks for.`;
    case 'set-f1':
      return check.pairs
        ? `End your answer with a line "${FINAL_ANSWER_MARKER}" followed by the pairs, one per line, as "<first> <-> <second>" (write NONE if there are none).`
        : `End your answer with a line "${FINAL_ANSWER_MARKER}" followed by the items, one per line (write NONE if there are none).`;
    case 'choice':
      return `End your answer with a line of the form "${FINAL_ANSWER_MARKER} <letter>" giving only the letter of the correct option.`;
    case 'judge':
      return null;
  }
}

/** Options as "A. text" lines, in letter order. */
export function renderChoices(choices: Record<string, string>): string {
  return Object.keys(choices)
    .sort()
    .map((letter) => `${letter}. ${choices[letter]}`)
    .join('\n');
}

/** The question text every mode is given. */
export function queryText(q: EvalQuestion): string {
  const parts = [q.question.trim()];
  if (q.check.type === 'choice') parts.push(`Options:\n${renderChoices(q.check.choices)}`);
  const how = instruction(q.check);
  if (how) parts.push(how);
  return parts.join('\n\n');
}

export interface Extracted {
  text: string;
  by: 'marker' | 'fallback' | 'whole';
}

/** Strips markdown emphasis and code fences a model may wrap around the final answer. */
function unwrap(text: string): string {
  return text
    .replace(/^```[a-z]*\n?|\n?```$/g, '')
    .replace(/^\s*(\*\*|__)\s*|\s*(\*\*|__)\s*$/g, '')
    .trim();
}

const MARKER_RE = /^[\s>*_#-]*(?:\*\*|__)?\s*final\s+answer\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?(.*)$/i;

/**
 * The answer to score: what follows the last `FINAL ANSWER:` line (that line's rest and the
 * lines after it); without one, a fallback that suits the check (the last line, the last
 * number, a lone letter, the list lines), or the whole text for judged questions.
 */
export function extractAnswer(answer: string, check: Check): Extracted {
  const text = answer.replace(/\r\n/g, '\n');
  if (check.type === 'judge') return { text: text.trim(), by: 'whole' };
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const m = MARKER_RE.exec(lines[i]!);
    if (!m) continue;
    const rest = [m[1]!, ...lines.slice(i + 1)].join('\n');
    return { text: unwrap(rest.trim()), by: 'marker' };
  }
  const nonEmpty = lines.map((l) => l.trim()).filter((l) => l !== '' && !/^```/.test(l));
  switch (check.type) {
    case 'number': {
      // A per-key answer is in lines like "dir: 3"; a single number is the last one written.
      if (nonEmpty.filter((l) => /[:=|]\s*-?\d/.test(l)).length > 1) return { text: nonEmpty.join('\n'), by: 'fallback' };
      const numbers = text.match(/-?\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?/g);
      return { text: numbers?.at(-1) ?? '', by: 'fallback' };
    }
    case 'set-f1':
      return { text: nonEmpty.join('\n'), by: 'fallback' };
    case 'choice': {
      const m = /\b(?:answer|option)\s*(?:is\s*)?[:(]?\s*\(?([A-Z])\)?(?![A-Za-z])/i.exec(text) ?? /(?:^|\s)\(?([A-Z])\)?[.):]?\s*$/m.exec(nonEmpty.at(-1) ?? '');
      return { text: m?.[1] ?? (nonEmpty.at(-1) ?? ''), by: 'fallback' };
    }
    default:
      return { text: unwrap(nonEmpty.at(-1) ?? ''), by: 'fallback' };
  }
}
