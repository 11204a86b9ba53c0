/**
 * Runs a question set in each mode: every question is asked the same way (the question
 * text with its answer-format request) of `rlm` (the engine), `rlm-no-subcalls` (REPL
 * only) and `direct` (files in the prompt), scored, timed and costed. Each run's trace is
 * written to `<out>/traces/<mode>/<id>.json` and its result appended to
 * `<out>/results.jsonl` as soon as it ends, so an interrupted evaluation keeps what it did.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Limits } from '../src/core/engine/limits';
import { RlmRunError, runRlm, type RlmResult, type SandboxSettings } from '../src/core/engine/rlm';
import type { ModelProvider } from '../src/core/providers/types';
import { ProviderError } from '../src/core/providers/types';
import { WorkspaceRepo } from '../src/core/repo/workspaceRepo';
import { extractAnswer, queryText } from './answerFormat';
import { usageOfCall, type Prices } from './cost';
import { DEFAULT_ANSWER_RESERVE, DirectRunError, runDirect } from './direct';
import { judgeAnswer } from './judge';
import { scoreAnswer } from './scorers';
import type { EvalMode, EvalQuestion, RunRecord, RunUsage, Score } from './types';

export interface ModelChoice {
  provider: ModelProvider;
  model: string;
}

export interface EvalRunOptions {
  questions: EvalQuestion[];
  modes: EvalMode[];
  root: ModelChoice;
  /** Sub-calls of the rlm mode; defaults to the root model. */
  sub?: ModelChoice;
  /** Grades judged (free-form) questions; defaults to the root model. */
  judge?: ModelChoice;
  /** Where results and traces go; created when missing. */
  outDir: string;
  /** Tokens the direct mode may fill with files, question and answer. */
  contextWindow: number;
  answerReserveTokens?: number;
  /** Per-model prices in USD per million tokens, keyed by the configured model names. */
  prices?: Prices;
  limits?: Partial<Limits>;
  sandbox?: SandboxSettings;
  useGitignore?: boolean;
  /** The rg binary repos grep with (the CLI passes the bundled one); null or absent: the JavaScript grep. */
  ripgrepPath?: string | null;
  /** Runs at once (default 1; more makes latency figures less comparable). */
  parallel?: number;
  signal?: AbortSignal;
  onProgress?: (event: EvalProgress) => void;
}

export type EvalProgress =
  | { type: 'run-started'; index: number; total: number; id: string; mode: EvalMode }
  | { type: 'run-finished'; index: number; total: number; record: RunRecord };

export interface EvalOutcome {
  records: RunRecord[];
  /** True when the signal stopped the evaluation before every run was done. */
  cancelled: boolean;
}

/** A failure that makes every further run pointless (bad key, unknown model, server gone). */
export class EvalAbortedError extends Error {
  override readonly name = 'EvalAbortedError';
  constructor(
    message: string,
    readonly records: RunRecord[],
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

const FATAL_KINDS = new Set(['auth', 'model-not-found', 'unreachable', 'bad-request']);
const ANSWER_CHARS_KEPT = 4_000;

function isFatal(error: unknown): boolean {
  return error instanceof ProviderError && FATAL_KINDS.has(error.kind);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function traceFile(mode: EvalMode, id: string): string {
  return `traces/${mode}/${id}.json`;
}

const EMPTY_USAGE: RunUsage = { inputTokens: 0, outputTokens: 0, modelCalls: 0, subCalls: 0, costUsd: 0, estimated: false };

export async function runEval(options: EvalRunOptions): Promise<EvalOutcome> {
  const prices = options.prices ?? {};
  const sub = options.sub ?? options.root;
  const judge = options.judge ?? options.root;
  const outDir = path.resolve(options.outDir);
  for (const mode of options.modes) await mkdir(path.join(outDir, 'traces', mode), { recursive: true });
  const resultsFile = path.join(outDir, 'results.jsonl');
  await writeFile(resultsFile, '');

  const jobs = options.questions.flatMap((question) => options.modes.map((mode) => ({ question, mode })));
  const records: Array<RunRecord | undefined> = new Array(jobs.length);
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  let fatal: unknown = null;
  let next = 0;

  async function runOne(index: number): Promise<void> {
    const { question, mode } = jobs[index]!;
    options.onProgress?.({ type: 'run-started', index, total: jobs.length, id: question.id, mode });
    const { record, interrupted } = await runQuestion(question, mode);
    // A run cut short by cancellation (or by another run's fatal error) is not a result;
    // its trace is still written.
    if (interrupted) return;
    records[index] = record;
    await appendFile(resultsFile, `${JSON.stringify(record)}\n`);
    options.onProgress?.({ type: 'run-finished', index, total: jobs.length, record });
  }

  async function runQuestion(question: EvalQuestion, mode: EvalMode): Promise<{ record: RunRecord; interrupted: boolean }> {
    const query = queryText(question);
    const repo = new WorkspaceRepo(question.repo, { useGitignore: options.useGitignore ?? true, ripgrepPath: options.ripgrepPath ?? null });
    const relTrace = traceFile(mode, question.id);
    const started = performance.now();
    let answer = '';
    let usage: RunUsage = EMPTY_USAGE;
    let error: string | null = null;
    let stoppedBy: string | null = null;
    let trace: unknown = null;
    let direct: RunRecord['direct'];
    let causedFatal = false;
    try {
      if (mode === 'direct') {
        const result = await runDirect({
          provider: options.root.provider,
          model: options.root.model,
          repo,
          query,
          contextWindow: options.contextWindow,
          reserveTokens: options.answerReserveTokens ?? DEFAULT_ANSWER_RESERVE,
          signal,
        });
        answer = result.answer;
        usage = usageOfCall(options.root.model, result.usage, prices);
        trace = result.trace;
        direct = result.fit;
      } else {
        let result: RlmResult;
        try {
          result = await runRlm({
            repo,
            query,
            root: options.root,
            sub,
            subcalls: mode === 'rlm',
            limits: options.limits,
            sandbox: options.sandbox,
            prices,
            signal,
          });
        } catch (e) {
          if (e instanceof RlmRunError) {
            trace = e.partial.trace;
            // What the failed run spent up to the failure, as the engine counted it.
            usage = e.partial.usage;
            answer = e.partial.answer;
            throw e.cause ?? e;
          }
          throw e;
        }
        answer = result.answer;
        // The engine prices its calls with the same prices (its RunBudget): nothing to redo.
        usage = result.usage;
        trace = result.trace;
        stoppedBy = result.stoppedBy;
      }
    } catch (e) {
      if (e instanceof DirectRunError) {
        trace = e.trace;
        const attempts = e.trace.attempts.length;
        usage = { ...EMPTY_USAGE, modelCalls: attempts };
        e = e.cause;
      }
      error = message(e);
      if (isFatal(e) && fatal === null) {
        fatal = e;
        causedFatal = true;
        stop.abort();
      }
    }
    const interrupted = signal.aborted && !causedFatal;
    const latencyMs = Math.round(performance.now() - started);

    let score: Score = { score: 0, correct: false, detail: error ? `run failed: ${error}` : 'no answer' };
    let judgeUsage: RunUsage | null = null;
    const extracted = extractAnswer(answer, question.check);
    if (!error && !interrupted) {
      if (question.check.type === 'judge') {
        try {
          const verdict = await judgeAnswer({
            provider: judge.provider,
            model: judge.model,
            question: question.question,
            reference: String(question.expected),
            candidate: extracted.text,
            signal,
          });
          score = verdict;
          judgeUsage = usageOfCall(judge.model, verdict.usage, prices);
        } catch (e) {
          score = { score: 0, correct: false, detail: `the judge failed: ${message(e)}` };
          if (isFatal(e) && fatal === null) {
            fatal = e;
            stop.abort();
          }
        }
      } else {
        score = scoreAnswer(extracted.text, question.expected, question.check);
      }
    }
    const record: RunRecord = {
      id: question.id,
      group: question.group ?? null,
      mode,
      score: score.score,
      correct: score.correct,
      detail: score.detail,
      extracted: extracted.text.slice(0, ANSWER_CHARS_KEPT),
      extractedBy: extracted.by,
      answer: answer.length > ANSWER_CHARS_KEPT ? `${answer.slice(0, ANSWER_CHARS_KEPT)}…` : answer,
      expected: question.expected,
      error,
      stoppedBy,
      latencyMs,
      usage,
      judgeUsage,
      trace: relTrace,
      ...(direct ? { direct } : {}),
    };
    await writeFile(
      path.join(outDir, relTrace),
      JSON.stringify(
        {
          kind: 'rlm-eval-run',
          version: 1,
          question: { id: question.id, group: question.group ?? null, repo: question.repo, question: question.question, expected: question.expected, check: question.check, meta: question.meta ?? null },
          mode,
          query,
          models: { root: options.root.model, sub: mode === 'rlm' ? sub.model : null, judge: question.check.type === 'judge' ? judge.model : null },
          answer,
          result: { score: record.score, correct: record.correct, detail: record.detail, extracted: extracted.text, extractedBy: extracted.by, error, stoppedBy, latencyMs, usage, judgeUsage },
          trace,
        },
        null,
        2,
      ),
    );
    return { record, interrupted };
  }

  const workers = Array.from({ length: Math.max(1, Math.min(options.parallel ?? 1, jobs.length)) }, async () => {
    while (!signal.aborted) {
      const index = next++;
      if (index >= jobs.length) return;
      await runOne(index);
    }
  });
  await Promise.all(workers);

  const done = records.filter((r): r is RunRecord => r !== undefined);
  if (fatal !== null) throw new EvalAbortedError(`The evaluation stopped: ${message(fatal)}`, done, fatal);
  return { records: done, cancelled: done.length < jobs.length };
}
