/**
 * The data of an evaluation: questions (one JSONL line each), how an answer is checked,
 * and what one run of one question in one mode produced. Plain data throughout, so that
 * question sets, results and summaries are JSON files a user can read and diff.
 */
import type { UsageTotals } from '../src/core/engine/limits';

/** The three ways of answering the same question. */
export type EvalMode = 'rlm' | 'rlm-no-subcalls' | 'direct';
export const EVAL_MODES: readonly EvalMode[] = ['rlm', 'rlm-no-subcalls', 'direct'];

/**
 * How an answer is checked.
 * - `exact`: the extracted answer equals the expected string (or one of several), after
 *   normalisation (case, whitespace, quotes, a trailing full stop).
 * - `number`: the expected value is a number, or an object of named numbers (e.g. a count per
 *   directory); a value passes when |answer - expected| <= max(abs, rel * |expected|).
 * - `set-f1`: the expected value is a set of items; the score is the F1 of the answered items
 *   against it. With `pairs`, an item is an unordered pair of names ("a.ts <-> b.ts").
 * - `choice`: multiple choice; the expected value is the letter of the right option.
 * - `judge`: free-form; a model grades the answer against the reference answer (the SWE-QA
 *   protocol: correctness, completeness, relevance, clarity, reasoning, 1-20 each).
 */
export type Check =
  | { type: 'exact'; caseSensitive?: boolean }
  | { type: 'number'; abs?: number; rel?: number }
  | { type: 'set-f1'; pairs?: boolean }
  | { type: 'choice'; choices: Record<string, string> }
  | { type: 'judge' };

export type CheckType = Check['type'];
export const CHECK_TYPES: readonly CheckType[] = ['exact', 'number', 'set-f1', 'choice', 'judge'];

export type Expected = string | string[] | number | Record<string, number>;

export interface EvalQuestion {
  /** Unique within the set; names the trace files. */
  id: string;
  /** Absolute path of the repository the question is about. */
  repo: string;
  question: string;
  expected: Expected;
  check: Check;
  /** For breaking accuracy down, e.g. "needle-32k". */
  group?: string;
  /** Anything else the generator or importer wants to keep (planted file, seed, commit...). */
  meta?: Record<string, unknown>;
}

export interface Score {
  /** 0 to 1: 1 or 0 for exact, number and choice; F1 for sets; the judge's grade / 100. */
  score: number;
  /** Whether the answer counts as fully right (score 1; for judged answers, a grade of 80/100 or more). */
  correct: boolean;
  /** One line saying why, for the results file. */
  detail: string;
}

/** A run's usage, in the engine's shape (the direct mode makes one root-model call). */
export type RunUsage = UsageTotals;

/** One question answered in one mode. */
export interface RunRecord {
  id: string;
  group: string | null;
  mode: EvalMode;
  score: number;
  correct: boolean;
  detail: string;
  /** The answer as the harness extracted it (what was scored), and how it found it. */
  extracted: string;
  extractedBy: 'marker' | 'fallback' | 'whole';
  /** The full answer text, cut to a few thousand characters (the trace has all of it). */
  answer: string;
  expected: Expected;
  /** Set when the run failed; the score is then 0. */
  error: string | null;
  /** The limit that ended an rlm run before the answer was ready, if one did. */
  stoppedBy: string | null;
  latencyMs: number;
  usage: RunUsage;
  /** Judge calls are not part of the mode's cost; they are counted here. */
  judgeUsage: RunUsage | null;
  /** Relative to the output directory. */
  trace: string;
  /** Direct mode: how much of the repository fitted. */
  direct?: DirectFit;
}

export interface DirectFit {
  contextWindow: number;
  filesIncluded: number;
  filesOmitted: number;
  /** Characters of file text left out (omitted files and the cut-off part of the last one). */
  charsOmitted: number;
  charsIncluded: number;
}
