/**
 * Grading free-form answers against a reference answer with a model, as the SWE-QA
 * benchmark does: five criteria (correctness, completeness, relevance, clarity, reasoning),
 * 1 to 20 each, for a total out of 100. The score is that total / 100; an answer counts as
 * right at 80 or more. The same judge grades every mode, so the modes stay comparable.
 */
import type { ModelProvider, TokenUsage } from '../src/core/providers/types';
import type { Score } from './types';

export const JUDGE_CRITERIA = ['correctness', 'completeness', 'relevance', 'clarity', 'reasoning'] as const;
export const JUDGE_PASS = 0.8;

export const JUDGE_SYSTEM_PROMPT =
  'You grade answers to questions about a code repository against a reference answer written by an expert. You are strict: high marks only for answers that match the reference closely.';

export function judgePrompt(question: string, reference: string, candidate: string): string {
  return `Grade the candidate answer against the reference answer on five criteria, each an integer from 1 (worst) to 20 (best):
- correctness: are its claims accurate, with nothing contradicting the reference?
- completeness: does it cover every key point of the reference?
- relevance: does it stay on the question, without padding?
- clarity: is it precise and easy to follow?
- reasoning: is its explanation logical and well organised?
Compare point by point; any error or omission lowers the marks, and when unsure between two marks choose the lower.

Question:
${question}

Reference answer:
${reference}

Candidate answer:
${candidate}

Reply with only a JSON object: {"correctness": n, "completeness": n, "relevance": n, "clarity": n, "reasoning": n}`;
}

/** The five marks from the judge's reply, or null when it did not give them all. */
export function parseJudgeReply(reply: string): Record<(typeof JUDGE_CRITERIA)[number], number> | null {
  const json = /\{[\s\S]*\}/.exec(reply)?.[0];
  if (!json) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return null;
  }
  if (!parsed || typeof parsed !== 'object') return null;
  const out = {} as Record<(typeof JUDGE_CRITERIA)[number], number>;
  for (const key of JUDGE_CRITERIA) {
    const v = (parsed as Record<string, unknown>)[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 1 || v > 20) return null;
    out[key] = v;
  }
  return out;
}

export interface JudgeResult extends Score {
  usage: TokenUsage;
  model: string;
  reply: string;
}

export async function judgeAnswer(options: {
  provider: ModelProvider;
  model: string;
  question: string;
  reference: string;
  candidate: string;
  signal?: AbortSignal;
}): Promise<JudgeResult> {
  const usage: TokenUsage = { inputTokens: 0, outputTokens: 0 };
  if (!options.candidate.trim()) return { score: 0, correct: false, detail: 'empty answer (not sent to the judge)', usage, model: options.model, reply: '' };
  let reply = '';
  // One retry when the reply is not the JSON asked for.
  for (let attempt = 0; attempt < 2; attempt++) {
    const completion = await options.provider.complete({
      messages: [
        { role: 'system', content: JUDGE_SYSTEM_PROMPT },
        { role: 'user', content: judgePrompt(options.question, options.reference, options.candidate) },
      ],
      model: options.model,
      signal: options.signal,
    });
    usage.inputTokens += completion.usage.inputTokens;
    usage.outputTokens += completion.usage.outputTokens;
    if (completion.usage.estimated) usage.estimated = true;
    reply = completion.text;
    const marks = parseJudgeReply(reply);
    if (marks) {
      const total = JUDGE_CRITERIA.reduce((n, k) => n + marks[k], 0);
      const score = total / 100;
      return {
        score,
        correct: score >= JUDGE_PASS,
        detail: `judge ${total}/100 (${JUDGE_CRITERIA.map((k) => `${k} ${marks[k]}`).join(', ')})`,
        usage,
        model: completion.model || options.model,
        reply,
      };
    }
  }
  return { score: 0, correct: false, detail: `the judge did not reply with the five marks: ${JSON.stringify(reply.slice(0, 200))}`, usage, model: options.model, reply };
}
