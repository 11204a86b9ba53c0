/**
 * The Recursive Language Model loop. The root model never sees the repository: it gets
 * the question, a short description of the repository and the REPL API, writes code,
 * and reads what the code printed. Sub-calls (llm, llm.batch, rlm) are answered here.
 *
 * One `RunContext` holds what the whole run shares (budget, concurrency, cancellation,
 * events); `runNode` is one RLM, the root or a recursive one, with its own sandbox.
 */
import { setMaxListeners } from 'node:events';
import type { ChatMessage, Completion, ModelProvider } from '../providers/types';
import type { Repo } from '../repo/types';
import { SANDBOX_DEFAULTS, Sandbox, type CellOutcome } from '../sandbox/sandbox';
import { withDefaults } from '../util/withDefaults';
import { parseReply } from '../sandbox/codeBlocks';
import { citationsFromReadLog, type Citation } from './citations';
import type { RlmEvent, RlmEventListener } from './events';
import { LimitError, RunBudget, type LimitName, type Limits, type ModelPrice, type UsageTotals } from './limits';
import * as prompts from './prompts';
import { Semaphore } from './semaphore';
import type { RunTrace, TraceCell, TraceLlmCall, TraceRlm, TraceStep } from './trace';

export interface ModelRef {
  provider: ModelProvider;
  /** Defaults to the provider's default model. */
  model?: string;
}

export interface SandboxSettings {
  cellTimeoutMs?: number;
  maxOutputChars?: number;
  heapMb?: number;
  workerPath?: string;
}

export interface RlmRunOptions {
  repo: Repo;
  query: string;
  root: ModelRef;
  /** The model for llm()/llm.batch() and leaf rlm() calls; defaults to the root model. */
  sub?: ModelRef;
  limits?: Partial<Limits>;
  sandbox?: SandboxSettings;
  /** Per-model prices, for cost figures. */
  prices?: Record<string, ModelPrice>;
  /** False disables llm(), llm.batch() and rlm() (the "REPL only" mode of the evaluation). */
  subcalls?: boolean;
  signal?: AbortSignal;
  onEvent?: RlmEventListener;
}

export interface RlmResult {
  answer: string;
  /** True when the model marked the answer ready; false when a limit ended the run first. */
  ready: boolean;
  /** The limit that ended the run, if one did. */
  stoppedBy: LimitName | null;
  /** Every limit that was reached during the run (a spent sub-call budget need not end it). */
  limitsHit: LimitName[];
  /** A sentence for the user when the answer is not a normal, ready one. */
  note: string | null;
  citations: Citation[];
  usage: UsageTotals;
  limits: Limits;
  trace: RunTrace;
}

/** A run that failed (e.g. the provider became unreachable); carries what was found so far. */
export class RlmRunError extends Error {
  override readonly name = 'RlmRunError';
  constructor(
    message: string,
    readonly partial: RlmResult,
    override readonly cause: unknown,
  ) {
    super(message);
  }
}

/** Outputs older than this many turns are shortened in the root model's context. */
const FULL_OUTPUT_TURNS = 4;
const SHORTENED_OUTPUT_CHARS = 1_500;
/** Characters of file text a max-depth rlm() call puts into its prompt. */
const LEAF_RLM_MAX_CHARS = 400_000;

interface RunContext {
  root: Required<ModelRef>;
  sub: Required<ModelRef>;
  budget: RunBudget;
  semaphore: Semaphore;
  signal: AbortSignal;
  userSignal: AbortSignal | undefined;
  deadlineHit: () => boolean;
  sandboxSettings: SandboxSettings;
  subcalls: boolean;
  emit: (event: RlmEvent) => void;
  nextId: () => number;
  limitsHit: Set<LimitName>;
}

function resolveModel(ref: ModelRef): Required<ModelRef> {
  return { provider: ref.provider, model: ref.model ?? ref.provider.defaultModel };
}

export async function runRlm(options: RlmRunOptions): Promise<RlmResult> {
  const query = options.query?.trim();
  if (!query) throw new TypeError('The question is empty. Ask something about the repository, e.g. "Where is the configuration loaded?"');

  const budget = new RunBudget(options.limits, options.prices);
  const abort = new AbortController();
  // Every in-flight request and queued sub-call listens on the run's signals; hundreds at
  // once are expected, not a leak.
  setMaxListeners(0, abort.signal);
  let deadlineHit = false;
  const onUserAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onUserAbort, { once: true });
  if (options.signal?.aborted) abort.abort();
  const deadline =
    budget.limits.maxWallTimeMs < 2 ** 31
      ? setTimeout(() => {
          deadlineHit = true;
          abort.abort(new LimitError('wall-time', 'Wall-time limit reached.'));
        }, budget.limits.maxWallTimeMs)
      : null;
  deadline?.unref?.();

  let id = 0;
  const ctx: RunContext = {
    root: resolveModel(options.root),
    sub: resolveModel(options.sub ?? options.root),
    budget,
    semaphore: new Semaphore(budget.limits.subCallConcurrency),
    signal: abort.signal,
    userSignal: options.signal,
    deadlineHit: () => deadlineHit,
    sandboxSettings: options.sandbox ?? {},
    subcalls: options.subcalls ?? true,
    emit: (event) => {
      try {
        options.onEvent?.(event);
      } catch {
        // A faulty listener must not break the run.
      }
    },
    nextId: () => ++id,
    limitsHit: new Set(),
  };

  const startedAt = new Date().toISOString();
  const finish = (rootTrace: TraceRlm): RlmResult => {
    const citations = citationsFromReadLog(options.repo.readLog);
    const usage = budget.totals();
    const stoppedBy = rootTrace.ready ? null : rootTrace.limitHit;
    return {
      answer: rootTrace.answer,
      ready: rootTrace.ready,
      stoppedBy,
      limitsHit: [...ctx.limitsHit],
      note: stoppedBy ? stopNote(stoppedBy, budget.limits, rootTrace.answer.length > 0) : null,
      citations,
      usage,
      limits: budget.limits,
      trace: { version: 1, startedAt, repo: options.repo.name, query, root: rootTrace, usage, citations },
    };
  };

  const rootTrace = newRlmTrace(ctx, 0, query, null);
  try {
    await runNode(ctx, rootTrace, options.repo, ctx.signal);
    return finish(rootTrace);
  } catch (error) {
    const partial = finish(rootTrace);
    throw new RlmRunError(error instanceof Error ? error.message : String(error), partial, error);
  } finally {
    if (deadline) clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onUserAbort);
  }
}

function newRlmTrace(ctx: RunContext, depth: number, query: string, files: string[] | null): TraceRlm {
  return { kind: 'rlm', id: ctx.nextId(), depth, query, files, steps: [], answer: '', ready: false, limitHit: null, durationMs: 0 };
}

function stopNote(limit: LimitName, limits: Limits, hadDraft: boolean): string {
  const what: Record<LimitName, string> = {
    iterations: `the iteration limit (${limits.maxIterations} turns)`,
    'sub-calls': `the sub-call limit (${limits.maxSubCalls})`,
    tokens: `the token limit (${limits.maxTokens.toLocaleString('en-US')})`,
    'wall-time': `the time limit (${Math.round(limits.maxWallTimeMs / 1000)} s)`,
    cancelled: 'cancellation',
  };
  return hadDraft
    ? `The run was stopped by ${what[limit]} before the model marked its answer ready; this is its last draft.`
    : `The run was stopped by ${what[limit]} before the model drafted an answer.`;
}

/** Why the run must stop now, if it must. */
function stopReason(ctx: RunContext): LimitName | null {
  if (ctx.userSignal?.aborted) return 'cancelled';
  if (ctx.deadlineHit()) return 'wall-time';
  return ctx.budget.exceeded();
}

/** Why this RLM must stop now: a run-wide reason, or its own signal (a recursive RLM's parent cell ended). */
function nodeStopReason(ctx: RunContext, signal: AbortSignal): LimitName | null {
  return stopReason(ctx) ?? (signal.aborted ? 'cancelled' : null);
}

/** Renders the conversation, shortening cell outputs of older turns to keep the context bounded. */
function renderHistory(head: ChatMessage[], turns: Array<{ reply: ChatMessage; feedback: ChatMessage | null }>): ChatMessage[] {
  const out = [...head];
  turns.forEach((t, i) => {
    out.push(t.reply);
    if (!t.feedback) return;
    const old = i < turns.length - FULL_OUTPUT_TURNS;
    const text = t.feedback.content;
    out.push(
      old && text.length > SHORTENED_OUTPUT_CHARS
        ? { role: 'user', content: `${text.slice(0, SHORTENED_OUTPUT_CHARS)}\n[older output shortened; keep results in variables rather than relying on old output]` }
        : t.feedback,
    );
  });
  return out;
}

async function runNode(ctx: RunContext, trace: TraceRlm, repo: Repo, signal: AbortSignal): Promise<void> {
  const started = performance.now();
  const { depth } = trace;
  const limits = ctx.budget.limits;
  let currentStep: TraceStep | null = null;
  const sandbox = new Sandbox({
    repoName: repo.name,
    ...ctx.sandboxSettings,
    handleCall: (name, args, callSignal) => hostCall(ctx, trace, repo, () => currentStep!, name, args, callSignal),
  });
  const warming = sandbox.warm();
  warming.catch(() => {});

  const sandboxLimits = withDefaults(SANDBOX_DEFAULTS, ctx.sandboxSettings);
  const head: ChatMessage[] = [
    {
      role: 'system',
      content: prompts.systemPrompt({
        depth,
        maxDepth: limits.maxDepth,
        maxIterations: limits.maxIterations,
        maxSubCalls: limits.maxSubCalls,
        subCallConcurrency: limits.subCallConcurrency,
        maxOutputChars: sandboxLimits.maxOutputChars,
        cellTimeoutMs: sandboxLimits.cellTimeoutMs,
        subcalls: ctx.subcalls,
      }),
    },
    { role: 'user', content: prompts.firstUserMessage(trace.query, await repo.summary()) },
  ];
  const turns: Array<{ reply: ChatMessage; feedback: ChatMessage | null }> = [];
  let nudged = false;
  let subCallNoticeSent = false;
  let lastOutput = '';

  try {
    await warming;
    for (let iteration = 1; ; iteration++) {
      const stop = nodeStopReason(ctx, signal);
      if (stop) {
        trace.limitHit = stop;
        break;
      }
      if (iteration > limits.maxIterations) {
        trace.limitHit = 'iterations';
        break;
      }
      ctx.emit({ type: 'step-started', depth, iteration, maxIterations: limits.maxIterations });
      const stepStarted = performance.now();
      const messages = renderHistory(head, turns);
      const step: TraceStep = {
        iteration,
        model: ctx.root.model,
        promptChars: messages.reduce((n, m) => n + m.content.length, 0),
        usage: null,
        reply: '',
        cells: [],
        subCalls: [],
        filesRead: [],
        durationMs: 0,
      };
      trace.steps.push(step);
      const readsBefore = repo.readLog.length;
      const endStep = () => {
        step.durationMs = performance.now() - stepStarted;
        step.filesRead = citationsFromReadLog(repo.readLog.slice(readsBefore));
      };
      currentStep = step;

      let completion: Completion;
      try {
        completion = await ctx.root.provider.complete({
          messages,
          model: ctx.root.model,
          signal,
          onText: (fragment) => ctx.emit({ type: 'model-text', depth, iteration, fragment }),
          onRetry: (r) => ctx.emit({ type: 'retry', depth, ...r }),
        });
      } catch (error) {
        endStep();
        const reason = signal.aborted ? nodeStopReason(ctx, signal) : null;
        if (reason) {
          trace.limitHit = reason;
          break;
        }
        throw error;
      }
      ctx.budget.modelCalls++;
      // Priced by the configured name: servers often answer with a dated model id.
      ctx.budget.record(ctx.root.model, completion.usage);
      step.usage = completion.usage;
      step.reply = completion.text;
      ctx.emit({ type: 'model-replied', depth, iteration, text: completion.text, ...completion.usage });
      ctx.emit({ type: 'usage', totals: ctx.budget.totals() });

      const reply: ChatMessage = { role: 'assistant', content: completion.text };
      const parsed = parseReply(completion.text);

      if (parsed.cells.length === 0) {
        if (!nudged) {
          nudged = true;
          turns.push({ reply, feedback: { role: 'user', content: prompts.noCodeNudge(parsed.otherBlocks.map((b) => b.language), parsed.unclosed !== null) } });
          endStep();
          continue;
        }
        // Second reply in a row without code: take it as the answer rather than loop.
        const current = sandbox.currentAnswer;
        if (!current.content.trim()) sandbox.setAnswer({ content: completion.text.trim(), ready: true });
        else sandbox.setAnswer({ ...current, ready: true });
        endStep();
        break;
      }
      nudged = false;

      const sections: string[] = [];
      let ready = false;
      for (let i = 0; i < parsed.cells.length; i++) {
        const cell = parsed.cells[i]!;
        const before = sandbox.currentAnswer.content;
        ctx.emit({ type: 'code', depth, iteration, cell: i + 1, code: cell.code });
        const outcome: CellOutcome = await sandbox.runCell(cell.code, { signal });
        step.cells.push(traceCell(cell.code, outcome));
        ctx.emit({ type: 'output', depth, iteration, cell: i + 1, output: outcome.output, error: outcome.error, durationMs: outcome.durationMs });
        if (outcome.reset) ctx.emit({ type: 'sandbox-reset', depth, reason: outcome.reset });
        if (outcome.answer.content !== before) ctx.emit({ type: 'answer-drafted', depth, chars: outcome.answer.content.length });
        sections.push(describeOutcome(i + 1, parsed.cells.length, outcome));
        lastOutput = outcome.output || lastOutput;
        if (outcome.answerProblem) sections.push(outcome.answerProblem);
        if (outcome.answer.ready) {
          if (outcome.answer.content.trim()) {
            ready = true;
            break;
          }
          sandbox.setAnswer({ content: '', ready: false });
          sections.push(prompts.READY_WITHOUT_CONTENT);
        }
        if (outcome.error) {
          if (i < parsed.cells.length - 1) sections.push(`(Cells ${i + 2}-${parsed.cells.length} did not run because cell ${i + 1} failed.)`);
          break;
        }
        if (outcome.reset === 'cancelled') break;
      }
      endStep();
      if (ready) break;

      let finalTurn: string | null = null;
      if (iteration + 1 === limits.maxIterations) finalTurn = prompts.FINAL_TURN_NOTICE;
      else if (ctx.budget.subCallsLeft === 0 && ctx.subcalls && !subCallNoticeSent) {
        subCallNoticeSent = true;
        finalTurn = prompts.SUBCALL_BUDGET_NOTICE;
      }
      const answer = sandbox.currentAnswer;
      sections.push(
        prompts.statusLine({
          iteration,
          maxIterations: limits.maxIterations,
          subCallsUsed: ctx.budget.subCalls,
          maxSubCalls: limits.maxSubCalls,
          answerChars: answer.content.length,
          answerReady: answer.ready,
          finalTurn,
        }),
      );
      turns.push({ reply, feedback: { role: 'user', content: sections.join('\n\n') } });
    }
  } finally {
    const answer = sandbox.currentAnswer;
    trace.ready = answer.ready && answer.content.trim().length > 0 && trace.limitHit === null;
    trace.answer = answer.content.trim() ? answer.content : trace.limitHit ? fallbackAnswer(lastOutput) : '';
    if (trace.limitHit) {
      ctx.limitsHit.add(trace.limitHit);
      ctx.emit({ type: 'limit-hit', depth, limit: trace.limitHit, message: stopNote(trace.limitHit, limits, answer.content.length > 0) });
    }
    if (trace.ready) ctx.emit({ type: 'answer-ready', depth, answer: trace.answer });
    trace.durationMs = performance.now() - started;
    await sandbox.dispose();
  }
}

function fallbackAnswer(lastOutput: string): string {
  const excerpt = lastOutput.trim().slice(0, 2_000);
  return excerpt ? `No answer was drafted. The last output of the exploration was:\n\n\`\`\`\n${excerpt}\n\`\`\`` : 'No answer was drafted.';
}

function traceCell(code: string, o: CellOutcome): TraceCell {
  return { code, output: o.output, error: o.error, durationMs: Math.round(o.durationMs), reset: o.reset };
}

function describeOutcome(index: number, count: number, o: CellOutcome): string {
  const label = count > 1 ? `Cell ${index} output` : 'Output';
  const parts = [`${label}:\n${o.output.trimEnd() || '(nothing printed)'}`];
  if (o.error) parts.push(`Error: ${o.error}`);
  return parts.join('\n');
}

// ---- host calls ----------------------------------------------------------------------------

async function hostCall(
  ctx: RunContext,
  node: TraceRlm,
  repo: Repo,
  step: () => TraceStep,
  name: string,
  args: unknown[],
  signal: AbortSignal,
): Promise<unknown> {
  const a = args as any[];
  switch (name) {
    case 'repo.files':
      return repo.files(a[0], a[1]);
    case 'repo.read':
      return repo.read(a[0], a[1]);
    case 'repo.grep':
      return repo.grep(a[0], a[1]);
    case 'repo.tree':
      return repo.tree(a[0], a[1]);
    case 'repo.stat':
      return repo.stat(a[0]);
    case 'repo.clusters':
      return repo.clusters(a[0], a[1]);
    case 'llm':
      checkSubcallsAllowed(ctx);
      ctx.budget.takeSubCalls(1);
      return subLlm(ctx, node.depth, step(), a[0], a[1]?.model, signal);
    case 'llm.batch': {
      checkSubcallsAllowed(ctx);
      const prompts: string[] = a[0];
      ctx.budget.takeSubCalls(prompts.length);
      const s = step();
      return Promise.all(
        prompts.map((p) =>
          subLlm(ctx, node.depth, s, p, a[1]?.model, signal).catch((e: unknown) => {
            if (signal.aborted) throw e;
            return `[llm error] ${e instanceof Error ? e.message : String(e)}`;
          }),
        ),
      );
    }
    case 'rlm':
      checkSubcallsAllowed(ctx);
      ctx.budget.takeSubCalls(1);
      return subRlm(ctx, node, repo, step(), a[0], a[1]?.files ?? null, signal);
    default:
      throw new Error(`Unknown sandbox function ${name}.`);
  }
}

function checkSubcallsAllowed(ctx: RunContext): void {
  if (!ctx.subcalls) throw new Error('llm(), llm.batch() and rlm() are disabled in this run (REPL-only mode). Read and analyse with code.');
  const stop = stopReason(ctx);
  if (stop === 'tokens' || stop === 'wall-time') {
    ctx.limitsHit.add(stop);
    throw new LimitError(stop, `The ${stop === 'tokens' ? 'token' : 'time'} budget is used up; no more sub-calls. Set answer.content and answer.ready = true now.`);
  }
}

async function subLlm(
  ctx: RunContext,
  depth: number,
  step: TraceStep,
  prompt: string,
  model: string | undefined,
  signal: AbortSignal,
): Promise<string> {
  const modelName = model ?? ctx.sub.model;
  // Started (and reported) only once a concurrency slot is free, so that progress shows
  // what is really in flight, not what is queued.
  return ctx.semaphore.run(async () => {
    const id = ctx.nextId();
    const record: TraceLlmCall = {
      kind: 'llm',
      id,
      depth: depth + 1,
      model: modelName,
      promptChars: prompt.length,
      promptPreview: prompt.slice(0, 500),
      replyChars: 0,
      reply: '',
      usage: null,
      durationMs: 0,
      error: null,
    };
    step.subCalls.push(record);
    const started = performance.now();
    ctx.emit({ type: 'subcall-started', depth, id, kind: 'llm', model: modelName, promptChars: prompt.length });
    try {
      const completion = await ctx.sub.provider.complete({
        messages: [
          { role: 'system', content: prompts.SUBCALL_SYSTEM_PROMPT },
          { role: 'user', content: prompt },
        ],
        model: modelName,
        signal,
        onRetry: (r) => ctx.emit({ type: 'retry', depth: depth + 1, ...r }),
      });
      ctx.budget.record(modelName, completion.usage);
      record.usage = completion.usage;
      record.reply = completion.text;
      record.replyChars = completion.text.length;
      record.durationMs = performance.now() - started;
      ctx.emit({ type: 'subcall-finished', depth, id, kind: 'llm', ok: true, replyChars: completion.text.length, durationMs: record.durationMs });
      ctx.emit({ type: 'usage', totals: ctx.budget.totals() });
      return completion.text;
    } catch (error) {
      record.error = error instanceof Error ? error.message : String(error);
      record.durationMs = performance.now() - started;
      ctx.emit({ type: 'subcall-finished', depth, id, kind: 'llm', ok: false, replyChars: 0, durationMs: record.durationMs, error: record.error });
      throw error;
    }
  }, signal);
}

async function subRlm(
  ctx: RunContext,
  parent: TraceRlm,
  repo: Repo,
  step: TraceStep,
  query: string,
  files: string[] | null,
  signal: AbortSignal,
): Promise<string> {
  const scoped = files ? repo.subset(files) : repo;
  const depth = parent.depth + 1;
  if (depth > ctx.budget.limits.maxDepth) return leafRlm(ctx, parent.depth, step, scoped, query, signal);

  const child = newRlmTrace(ctx, depth, query, files);
  step.subCalls.push(child);
  ctx.emit({ type: 'subcall-started', depth: parent.depth, id: child.id, kind: 'rlm', model: ctx.root.model, promptChars: query.length });
  const childSignal = AbortSignal.any([ctx.signal, signal]);
  setMaxListeners(0, childSignal);
  try {
    await runNode(ctx, child, scoped, childSignal);
  } catch (error) {
    ctx.emit({ type: 'subcall-finished', depth: parent.depth, id: child.id, kind: 'rlm', ok: false, replyChars: 0, durationMs: child.durationMs, error: String(error) });
    throw error;
  }
  ctx.emit({ type: 'subcall-finished', depth: parent.depth, id: child.id, kind: 'rlm', ok: true, replyChars: child.answer.length, durationMs: child.durationMs });
  if (child.ready) return child.answer;
  return `[The recursive RLM stopped at the ${child.limitHit ?? 'iteration'} limit before finishing; partial answer follows]\n${child.answer}`;
}

/** rlm() at the maximum depth: the files go straight into one sub-model prompt. */
async function leafRlm(ctx: RunContext, depth: number, step: TraceStep, repo: Repo, query: string, signal: AbortSignal): Promise<string> {
  const paths = await repo.files();
  const included: Array<{ path: string; text: string }> = [];
  const omitted: string[] = [];
  let chars = 0;
  for (const path of paths) {
    if (chars >= LEAF_RLM_MAX_CHARS) {
      omitted.push(path);
      continue;
    }
    const info = await repo.info(path);
    if (info.binary || chars + info.bytes > LEAF_RLM_MAX_CHARS) {
      if (!info.binary) omitted.push(path);
      continue;
    }
    const text = await repo.read(path);
    chars += text.length;
    included.push({ path, text: numberLines(text) });
  }
  return subLlm(ctx, depth, step, prompts.leafRlmPrompt(query, included, omitted), undefined, signal);
}

function numberLines(text: string): string {
  const lines = text.split('\n');
  const width = String(lines.length).length;
  return lines.map((l, i) => `${String(i + 1).padStart(width)}| ${l}`).join('\n');
}
