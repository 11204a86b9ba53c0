/**
 * Scorers: the extracted answer against the expected one, for each check type but the
 * judged one (see judge.ts). Each returns a score from 0 to 1, whether it counts as right,
 * and a one-line reason.
 */
import type { Check, Expected, Score } from './types';

// ---- exact --------------------------------------------------------------------------------

/** Case (unless asked), Unicode form, surrounding quotes and emphasis, a final full stop, runs of spaces. */
export function normaliseText(text: string, caseSensitive = false): string {
  let s = text.normalize('NFKC').trim();
  for (let previous = ''; previous !== s; ) {
    previous = s;
    s = s
      .replace(/^(\*\*|__|[`"'“”‘’])+|(\*\*|__|[`"'“”‘’])+$/g, '')
      .replace(/[.。]+$/, '')
      .trim();
  }
  s = s.replace(/\s+/g, ' ');
  return caseSensitive ? s : s.toLowerCase();
}

function scoreExact(answer: string, expected: Expected, caseSensitive: boolean): Score {
  const wanted = (Array.isArray(expected) ? expected : [String(expected)]).map((e) => normaliseText(e, caseSensitive));
  const candidates = [answer, answer.split('\n')[0] ?? ''].map((a) => normaliseText(a, caseSensitive));
  const hit = candidates.some((c) => wanted.includes(c));
  return hit
    ? { score: 1, correct: true, detail: 'exact match' }
    : { score: 0, correct: false, detail: `expected ${JSON.stringify(wanted[0])}, got ${JSON.stringify(candidates[0]!.slice(0, 200))}` };
}

// ---- number -------------------------------------------------------------------------------

const NUMBER_RE = /-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?/;

/** The first number written in the text ("1,234" is 1234), or null. */
export function parseNumber(text: string): number | null {
  const m = NUMBER_RE.exec(text);
  if (!m) return null;
  const n = Number(m[0].replace(/,/g, ''));
  return Number.isFinite(n) ? n : null;
}

/** Keys as paths are written: no "./", no trailing "/", "(root)" and "" as ".". */
export function normaliseKey(key: string): string {
  let k = key.normalize('NFKC').trim().replace(/^[`"'*]+|[`"'*]+$/g, '').trim();
  k = k.replace(/\\/g, '/').replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (k === '' || k === '.' || /^\(?(repository )?root\)?$/i.test(k)) return '.';
  return k;
}

/** "key: number" lines (also "key = n", "key - n", "| key | n |") or a JSON object. */
export function parseNumberMap(text: string): Record<string, number> {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const out: Record<string, number> = {};
        for (const [k, v] of Object.entries(parsed)) if (typeof v === 'number' && Number.isFinite(v)) out[normaliseKey(k)] = v;
        return out;
      }
    } catch {
      // not JSON after all: read it as lines
    }
  }
  const out: Record<string, number> = {};
  for (const raw of trimmed.split('\n')) {
    const line = raw.replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '').replace(/^\|/, '').trim();
    const m = /^(.+?)\s*(?:[:=|]|\s[-–—]\s|→|->)\s*(-?\d[\d,]*(?:\.\d+)?)\s*\|?\s*(?:\(.*\))?\s*$/.exec(line);
    if (!m) continue;
    const n = Number(m[2]!.replace(/,/g, ''));
    if (Number.isFinite(n)) out[normaliseKey(m[1]!)] = n;
  }
  return out;
}

function within(answer: number, expected: number, abs: number, rel: number): boolean {
  return Math.abs(answer - expected) <= Math.max(abs, rel * Math.abs(expected)) + 1e-9;
}

function scoreNumber(answer: string, expected: Expected, check: { abs?: number; rel?: number }): Score {
  const abs = check.abs ?? 0;
  const rel = check.rel ?? 0;
  if (typeof expected === 'number') {
    const got = parseNumber(answer);
    if (got === null) return { score: 0, correct: false, detail: `expected ${expected}, found no number in the answer` };
    const ok = within(got, expected, abs, rel);
    return { score: ok ? 1 : 0, correct: ok, detail: `expected ${expected}, got ${got}${ok ? '' : ' (outside the tolerance)'}` };
  }
  if (expected && typeof expected === 'object' && !Array.isArray(expected)) {
    // Per key: a key missing on either side counts as 0 there; the score is the share of keys right.
    const want: Record<string, number> = {};
    for (const [k, v] of Object.entries(expected)) want[normaliseKey(k)] = v;
    const got = parseNumberMap(answer);
    const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])].filter((k) => (want[k] ?? 0) !== 0 || (got[k] ?? 0) !== 0);
    if (keys.length === 0) return { score: 1, correct: true, detail: 'no keys expected and none given' };
    const wrong = keys.filter((k) => !within(got[k] ?? 0, want[k] ?? 0, abs, rel));
    const score = (keys.length - wrong.length) / keys.length;
    return {
      score,
      correct: wrong.length === 0,
      detail: wrong.length === 0 ? `all ${keys.length} values within tolerance` : `${wrong.length} of ${keys.length} wrong: ${wrong.slice(0, 5).map((k) => `${k} expected ${want[k] ?? 0}, got ${got[k] ?? 'none'}`).join('; ')}`,
    };
  }
  throw new TypeError('A number check needs a number or an object of numbers as the expected value.');
}

// ---- set F1 -------------------------------------------------------------------------------

/** An item as written in a list: no bullet, numbering, quotes, backticks or leading "./". */
export function normaliseItem(item: string): string {
  return item
    .normalize('NFKC')
    .trim()
    .replace(/^(?:[-*+•]|\d+[.)])\s+/, '')
    .replace(/[`"']/g, '')
    .replace(/\*\*/g, '')
    .trim()
    .replace(/(^|\s)\.\//g, '$1')
    .replace(/[.;,]+$/, '')
    .trim()
    .toLowerCase();
}

/** An unordered pair as one canonical string "a <-> b" (sorted), or null when it is not a pair. */
export function normalisePair(item: string): string | null {
  const cleaned = normaliseItem(item).replace(/^\(|\)$/g, '');
  const parts = cleaned
    .split(/\s*(?:<->|<=>|↔|⟷|<-|->|,|\s+and\s+|\s+)\s*/)
    .map((p) => normaliseItem(p))
    .filter((p) => p !== '');
  if (parts.length !== 2 || parts[0] === parts[1]) return null;
  return parts.sort().join(' <-> ');
}

function answerItems(answer: string, pairs: boolean): Set<string> {
  const lines = answer
    .split(/\n|;/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^none\.?$/i.test(normaliseItem(l)));
  const out = new Set<string>();
  for (const line of lines) {
    if (pairs) {
      const p = normalisePair(line);
      if (p) out.add(p);
    } else {
      // One item per line; a single line of comma-separated items is a list too.
      const items = lines.length === 1 ? line.split(',') : [line];
      for (const i of items) {
        const n = normaliseItem(i);
        if (n) out.add(n);
      }
    }
  }
  return out;
}

function scoreSetF1(answer: string, expected: Expected, pairs: boolean): Score {
  if (!Array.isArray(expected)) throw new TypeError('A set-f1 check needs a list as the expected value.');
  const want = new Set(expected.map((e) => (pairs ? (normalisePair(e) ?? normaliseItem(e)) : normaliseItem(e))));
  const got = answerItems(answer, pairs);
  if (want.size === 0 && got.size === 0) return { score: 1, correct: true, detail: 'none expected, none given' };
  const hits = [...got].filter((g) => want.has(g)).length;
  const precision = got.size === 0 ? 0 : hits / got.size;
  const recall = want.size === 0 ? 0 : hits / want.size;
  const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  const missing = [...want].filter((w) => !got.has(w));
  const extra = [...got].filter((g) => !want.has(g));
  return {
    score: Math.round(f1 * 1e6) / 1e6,
    correct: f1 === 1,
    detail:
      `F1 ${f1.toFixed(3)} (precision ${hits}/${got.size}, recall ${hits}/${want.size})` +
      (missing.length ? `; missing: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', …' : ''}` : '') +
      (extra.length ? `; extra: ${extra.slice(0, 3).join(', ')}${extra.length > 3 ? ', …' : ''}` : ''),
  };
}

// ---- multiple choice ----------------------------------------------------------------------

/** The letter an answer picks: "B", "(B)", "B.", "Option B", "B) text", or an option's exact text. */
export function parseChoice(answer: string, choices: Record<string, string>): string | null {
  const letters = Object.keys(choices).map((l) => l.toUpperCase());
  const first = answer.trim().split('\n')[0]!.trim();
  const m = /^(?:the\s+)?(?:answer|option|choice)?\s*(?:is\s*)?[:\s]*[([]?\s*([A-Za-z])\s*[)\].:]?(?:\s|$)/i.exec(first);
  if (m && letters.includes(m[1]!.toUpperCase())) return m[1]!.toUpperCase();
  const byText = Object.entries(choices).find(([, text]) => normaliseText(text) === normaliseText(first));
  if (byText) return byText[0].toUpperCase();
  const loose = first.match(/\b[A-Z]\b/g)?.filter((l) => letters.includes(l)) ?? [];
  return loose.length === 1 ? loose[0]! : null;
}

function scoreChoice(answer: string, expected: Expected, choices: Record<string, string>): Score {
  const want = String(expected).trim().toUpperCase();
  const got = parseChoice(answer, choices);
  if (got === null) return { score: 0, correct: false, detail: `expected ${want}, found no option letter in the answer` };
  return got === want ? { score: 1, correct: true, detail: `chose ${got}` } : { score: 0, correct: false, detail: `expected ${want}, chose ${got}` };
}

// ---- dispatch -----------------------------------------------------------------------------

/** Scores an extracted answer; judged questions go through `judgeAnswer` instead. */
export function scoreAnswer(answer: string, expected: Expected, check: Check): Score {
  switch (check.type) {
    case 'exact':
      return scoreExact(answer, expected, check.caseSensitive ?? false);
    case 'number':
      return scoreNumber(answer, expected, check);
    case 'set-f1':
      return scoreSetF1(answer, expected, check.pairs ?? false);
    case 'choice':
      return scoreChoice(answer, expected, check.choices);
    case 'judge':
      throw new TypeError('Judged questions are scored by judgeAnswer(), which calls a model.');
  }
}
