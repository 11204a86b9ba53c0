/**
 * What one run (one question) shares across the root RLM and every recursive one below it:
 * the models, the budget, the concurrency limit, cancellation and the wall-time deadline,
 * and the event stream with the run's and nodes' ids.
 */
import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import type { ModelProvider } from '../providers/types';
import type { SandboxApi } from '../sandbox/api';
import type { MemoryPlan } from '../sandbox/memory';
import { systemClock, type Clock } from '../util/clock';
import type { RlmEventBody, RlmEventListener } from './events';
import { LimitError, RunBudget, memoryPlanFor, type LimitName, type Limits, type ModelPrice } from './limits';
import { Semaphore } from './semaphore';

export interface ModelRef {
  provider: ModelProvider;
  /** Defaults to the provider's default model. */
  model?: string;
}

/** Sandbox settings besides memory, which derives from the run's memory bound (Limits.maxMemoryMb). */
export interface SandboxSettings {
  cellTimeoutMs?: number;
  maxOutputChars?: number;
  workerPath?: string;
}

/** Where an event comes from: an RLM node of the run. */
export interface NodeRef {
  id: number;
  parentId: number | null;
  depth: number;
}

export interface RunContext {
  readonly runId: string;
  readonly root: Required<ModelRef>;
  readonly sub: Required<ModelRef>;
  readonly budget: RunBudget;
  readonly semaphore: Semaphore;
  /**
   * Recursive RLMs alive at once, one limit per depth (index 1 = children of the root): a
   * parent holds its own level's slot while it waits for a child, so a shared limit could
   * fill with waiting parents and starve the children they wait for.
   */
  readonly rlmSlots: readonly Semaphore[];
  /** How the run's memory bound is shared out: the root sandbox's and each recursive one's limits. */
  readonly memory: MemoryPlan;
  /** Aborted when the user cancels or the wall-time deadline passes. */
  readonly signal: AbortSignal;
  readonly api: SandboxApi;
  readonly sandboxSettings: SandboxSettings;
  readonly subcalls: boolean;
  readonly clock: Clock;
  /** Every limit reached during the run (a spent sub-call budget need not end it). */
  readonly limitsHit: Set<LimitName>;
  emit(node: NodeRef, body: RlmEventBody): void;
  /** Ids for nodes and sub-calls, unique within the run; the root gets 1. */
  nextId(): number;
  /** Why the whole run must stop now, if it must. */
  stopReason(): LimitName | null;
}

export interface RunSettings {
  root: ModelRef;
  sub?: ModelRef;
  api: SandboxApi;
  limits?: Partial<Limits>;
  prices?: Record<string, ModelPrice>;
  sandbox?: SandboxSettings;
  subcalls?: boolean;
  clock?: Clock;
  signal?: AbortSignal;
  onEvent?: RlmEventListener;
}

export function resolveModel(ref: ModelRef): Required<ModelRef> {
  return { provider: ref.provider, model: ref.model ?? ref.provider.defaultModel };
}

/** Starts a run's shared state; `end()` releases its timer and listeners. */
export function startRun(settings: RunSettings): { ctx: RunContext; end(): void } {
  const clock = settings.clock ?? systemClock;
  const budget = new RunBudget(settings.limits, settings.prices, clock);
  const abort = new AbortController();
  // Every in-flight request and queued sub-call listens on the run's signal; hundreds at
  // once are expected, not a leak.
  setMaxListeners(0, abort.signal);
  let deadlineHit = false;
  const userSignal = settings.signal;
  const onUserAbort = () => abort.abort(userSignal?.reason);
  userSignal?.addEventListener('abort', onUserAbort, { once: true });
  if (userSignal?.aborted) abort.abort();
  const cancelDeadline = clock.setTimer(budget.limits.maxWallTimeMs, () => {
    deadlineHit = true;
    abort.abort(new LimitError('wall-time', 'Wall-time limit reached.'));
  });

  const runId = randomUUID();
  let id = 0;
  const ctx: RunContext = {
    runId,
    root: resolveModel(settings.root),
    sub: resolveModel(settings.sub ?? settings.root),
    budget,
    semaphore: new Semaphore(budget.limits.subCallConcurrency),
    rlmSlots: Array.from({ length: budget.limits.maxDepth + 1 }, () => new Semaphore(budget.limits.rlmConcurrency)),
    memory: memoryPlanFor(budget.limits),
    signal: abort.signal,
    api: settings.api,
    sandboxSettings: settings.sandbox ?? {},
    subcalls: settings.subcalls ?? true,
    clock,
    limitsHit: new Set(),
    emit(node, body) {
      try {
        settings.onEvent?.({ runId, nodeId: node.id, parentId: node.parentId, depth: node.depth, ...body });
      } catch {
        // A faulty listener must not break the run.
      }
    },
    nextId: () => ++id,
    stopReason() {
      if (userSignal?.aborted) return 'cancelled';
      if (deadlineHit) return 'wall-time';
      return budget.exceeded();
    },
  };
  return {
    ctx,
    end() {
      cancelDeadline();
      userSignal?.removeEventListener('abort', onUserAbort);
    },
  };
}

/** Why one RLM must stop now: a run-wide reason, or its own signal (a recursive RLM's parent cell ended). */
export function nodeStopReason(ctx: RunContext, signal: AbortSignal): LimitName | null {
  return ctx.stopReason() ?? (signal.aborted ? 'cancelled' : null);
}
