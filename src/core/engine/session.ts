/**
 * `RlmSession`: a conversation about one workspace. It owns a warm sandbox and answers a
 * sequence of questions; a follow-up gets the earlier questions and answers and finds the
 * variables earlier cells left in the REPL (the model is told their names and sizes, as the
 * official RLM's persistent mode does). Each question is its own run: its own budget, its
 * own read log and citations, a fresh look at the workspace.
 *
 * Idle, a session holds one sandbox process and nothing else; `dispose()` ends it.
 */
import type { Repo } from '../repo/types';
import { CORE_SANDBOX_API, type HostFunction, type SandboxApi } from '../sandbox/api';
import { Sandbox, type ResetReason } from '../sandbox/sandbox';
import type { Clock } from '../util/clock';
import { withDefaults } from '../util/withDefaults';
import { ReadLedger } from './citations';
import type { RlmEventListener } from './events';
import { DEFAULT_LIMITS, memoryPlanFor, stopNote, type LimitName, type Limits, type ModelPrice, type UsageTotals } from './limits';
import * as prompts from './prompts';
import type { Citation } from './citations';
import { startRun, type ModelRef, type SandboxSettings } from './runContext';
import { newRlmTrace } from './subCalls';
import type { RunTrace } from './trace';
import { runNode } from './turnLoop';

export type { ModelRef, SandboxSettings } from './runContext';
export type { Exchange } from './prompts';

export interface RlmSessionOptions {
  /**
   * The workspace. A function is called for every question, so that each sees the workspace
   * as it is then (the editor's open folders and unsaved text); a repo is refreshed between
   * questions with `fresh()`.
   */
  repo: Repo | (() => Repo | Promise<Repo>);
  /** The root model; a question may name its own (`AskOptions.root`), e.g. when the user switches models mid-conversation. */
  root?: ModelRef;
  /** The model for llm()/llm.batch() and leaf rlm() calls; defaults to the root model. */
  sub?: ModelRef;
  limits?: Partial<Limits>;
  sandbox?: SandboxSettings;
  /** Per-model prices, for cost figures. */
  prices?: Record<string, ModelPrice>;
  /** False disables llm(), llm.batch() and rlm() (the "REPL only" mode of the evaluation). */
  subcalls?: boolean;
  /** Functions of the host's own (e.g. the editor's `repo.symbols`), added to the sandbox API. */
  hostFunctions?: readonly HostFunction[];
  clock?: Clock;
}

export interface AskOptions {
  signal?: AbortSignal;
  onEvent?: RlmEventListener;
  /** Restricts the question to these files (paths, directories or globs), e.g. the files a chat request references. */
  scope?: string[];
  /**
   * The conversation so far, when the host keeps it (a chat view's history); replaces the
   * session's own record of earlier questions for this one.
   */
  history?: readonly prompts.Exchange[];
  /** The models for this question, instead of the session's. */
  root?: ModelRef;
  sub?: ModelRef;
  /** Limits and prices for this question, instead of the session's (settings may change between questions). */
  limits?: Partial<Limits>;
  prices?: Record<string, ModelPrice>;
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
  /** What this run read, and only this run. */
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

export class RlmSession {
  readonly api: SandboxApi;
  private readonly sandbox: Sandbox;
  private readonly exchanges: prompts.Exchange[] = [];
  private busy = false;
  private disposed = false;
  /** Why the REPL lost its state during the last question, if it did. */
  private lastReset: ResetReason | null = null;
  private repoFirstUsed = false;

  constructor(private readonly options: RlmSessionOptions) {
    this.api = CORE_SANDBOX_API.with(options.hostFunctions ?? []);
    // The root REPL's share of the run's memory bound (throws, saying what to change, when the
    // bound cannot hold the sandboxes the limits allow).
    const memory = memoryPlanFor(withDefaults(DEFAULT_LIMITS, options.limits ?? {}));
    this.sandbox = new Sandbox({ repoName: 'workspace', api: this.api, ...memory.root, ...options.sandbox });
  }

  /** Questions asked so far, with their answers. */
  get history(): readonly prompts.Exchange[] {
    return this.exchanges;
  }

  /** Starts the sandbox process now, so that the first cell of the next question waits for nothing. */
  warm(): Promise<void> {
    return this.sandbox.warm();
  }

  /** Sandbox processes started over the session's life: 1 + the number of resets, 0 before the first. */
  get sandboxWorkersStarted(): number {
    return this.sandbox.workersStarted;
  }

  /** True while a question is being answered. */
  get answering(): boolean {
    return this.busy;
  }

  async ask(query: string, options: AskOptions = {}): Promise<RlmResult> {
    const question = query?.trim();
    if (!question) throw new TypeError('The question is empty. Ask something about the repository, e.g. "Where is the configuration loaded?"');
    if (this.disposed) throw new Error('This conversation has ended; start a new one.');
    if (this.busy) throw new Error('This conversation is still answering a question; wait for it, or cancel it first.');
    this.busy = true;
    try {
      return await this.run(question, options);
    } finally {
      this.busy = false;
    }
  }

  private async workspace(): Promise<Repo> {
    const source = this.options.repo;
    if (typeof source === 'function') return source();
    if (!this.repoFirstUsed) {
      this.repoFirstUsed = true;
      return source;
    }
    return source.fresh();
  }

  private async run(query: string, options: AskOptions): Promise<RlmResult> {
    const root = options.root ?? this.options.root;
    if (!root) throw new TypeError('No model to answer with: give the session a root model, or the question one.');
    const sub = options.sub ?? this.options.sub;
    const { ctx, end } = startRun({
      ...this.options,
      root,
      sub,
      limits: options.limits ?? this.options.limits,
      prices: options.prices ?? this.options.prices,
      api: this.api,
      signal: options.signal,
      onEvent: options.onEvent,
    });
    const history = options.history ?? this.exchanges;
    const followUp = history.length > 0;
    const ledger = new ReadLedger();
    const startedAt = new Date().toISOString();
    const rootTrace = newRlmTrace(ctx, 0, query, options.scope ?? null);
    const rootNode = { id: rootTrace.id, parentId: null, depth: 0 };
    let repoName = '';

    const finish = async (): Promise<RlmResult> => {
      const citations = await ledger.citations();
      const usage = ctx.budget.totals();
      const stoppedBy = rootTrace.ready ? null : rootTrace.limitHit;
      return {
        answer: rootTrace.answer,
        ready: rootTrace.ready,
        stoppedBy,
        limitsHit: [...ctx.limitsHit],
        note: stoppedBy ? stopNote(stoppedBy, ctx.budget.limits, rootTrace.answer.length > 0) : null,
        citations,
        usage,
        limits: ctx.budget.limits,
        trace: { version: 1, startedAt, repo: repoName, query, root: rootTrace, usage, citations },
      };
    };

    try {
      const base = await this.workspace();
      const repo = options.scope ? base.subset(options.scope) : base;
      repoName = repo.name;
      ctx.emit(rootNode, { type: 'run-started', query, repo: repo.name, model: ctx.root.model, followUp });
      const variables = followUp ? await this.sandbox.describeVariables() : [];
      const resetDuringLast = this.lastReset;
      await runNode({
        ctx,
        trace: rootTrace,
        parentId: null,
        repo,
        sandbox: this.sandbox,
        opening: async (r) => {
          const summary = await r.summary();
          return followUp ? prompts.followUpMessage(query, summary, { history, variables, resetDuringLast }) : prompts.firstUserMessage(query, summary);
        },
        sink: (r) => ledger.add(r),
        signal: ctx.signal,
      });
      return await finish();
    } catch (error) {
      throw new RlmRunError(error instanceof Error ? error.message : String(error), await finish(), error);
    } finally {
      end();
      this.exchanges.push({ question: query, answer: rootTrace.answer });
      this.lastReset = rootTrace.steps.flatMap((s) => s.cells.map((c) => c.reset)).filter((r) => r !== null).at(-1) ?? null;
    }
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    await this.sandbox.dispose();
  }
}
