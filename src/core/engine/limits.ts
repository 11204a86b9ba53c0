/**
 * The limits of one run, shared by the root and every recursive sub-RLM below it, and
 * the accounting they are checked against.
 */
import type { TokenUsage } from '../providers/types';
import { DEFAULT_MEMORY_MB, DEFAULT_RLM_CONCURRENCY, planMemory } from '../sandbox/memory';
import { systemClock, type Clock } from '../util/clock';
import { withDefaults } from '../util/withDefaults';

export interface Limits {
  /** Root-model turns per RLM (root and each recursive one). */
  maxIterations: number;
  /** How deep rlm() may recurse; at the limit rlm() becomes a plain llm() call. */
  maxDepth: number;
  /** llm()/rlm() calls over the whole run. */
  maxSubCalls: number;
  /** Input + output tokens over the whole run, all models. */
  maxTokens: number;
  maxWallTimeMs: number;
  /** Sub-model calls in flight at once, over the whole run. */
  subCallConcurrency: number;
  /**
   * Recursive RLMs alive at once at each recursion level: each has its own sandbox process,
   * so this bounds processes, memory and root-model requests. Per level, so that a parent
   * waiting for its child never holds the slot the child needs.
   */
  rlmConcurrency: number;
  /**
   * The memory one run may add, host and sandbox processes together, in MiB. Every sandbox
   * limit derives from it (sandbox/memory.ts): heaps, typed-array memory, what cells send.
   */
  maxMemoryMb: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxIterations: 30,
  maxDepth: 1,
  maxSubCalls: 200,
  maxTokens: 5_000_000,
  maxWallTimeMs: 30 * 60_000,
  subCallConcurrency: 8,
  rlmConcurrency: DEFAULT_RLM_CONCURRENCY,
  maxMemoryMb: DEFAULT_MEMORY_MB,
};

export type LimitName = 'iterations' | 'sub-calls' | 'tokens' | 'wall-time' | 'cancelled';

/** Price of a model, in US dollars per million tokens. */
export interface ModelPrice {
  input: number;
  output: number;
}

export interface UsageTotals {
  inputTokens: number;
  outputTokens: number;
  /** Root-model calls (all depths). */
  modelCalls: number;
  subCalls: number;
  /** US dollars, when every model used has a price; otherwise null. */
  costUsd: number | null;
  /** True when some figures were estimated because a server reported no usage. */
  estimated: boolean;
}

export class LimitError extends Error {
  override readonly name = 'LimitError';
  constructor(
    readonly limit: LimitName,
    message: string,
  ) {
    super(message);
  }
}

export class RunBudget {
  readonly limits: Limits;
  readonly startedAt: number;
  private input = 0;
  private output = 0;
  private cost: number | null = 0;
  private estimated = false;
  modelCalls = 0;
  subCalls = 0;

  constructor(
    limits: Partial<Limits> = {},
    private readonly prices: Record<string, ModelPrice> = {},
    private readonly clock: Clock = systemClock,
  ) {
    this.limits = withDefaults(DEFAULT_LIMITS, limits);
    validateLimits(this.limits);
    this.startedAt = clock.now();
  }

  get subCallsLeft(): number {
    return Math.max(0, this.limits.maxSubCalls - this.subCalls);
  }

  /** Reserves `n` sub-calls; false (and nothing reserved) when fewer are left. */
  takeSubCalls(n: number): boolean {
    if (n > this.subCallsLeft) return false;
    this.subCalls += n;
    return true;
  }

  record(model: string, usage: TokenUsage): void {
    this.input += usage.inputTokens;
    this.output += usage.outputTokens;
    if (usage.estimated) this.estimated = true;
    const price = this.prices[model];
    if (price && this.cost !== null) this.cost += (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1e6;
    else this.cost = null;
  }

  get tokens(): number {
    return this.input + this.output;
  }

  /** The limit that stops the run now, if any (sub-calls alone do not stop it). */
  exceeded(): LimitName | null {
    if (this.tokens >= this.limits.maxTokens) return 'tokens';
    if (this.clock.now() - this.startedAt >= this.limits.maxWallTimeMs) return 'wall-time';
    return null;
  }

  totals(): UsageTotals {
    return {
      inputTokens: this.input,
      outputTokens: this.output,
      modelCalls: this.modelCalls,
      subCalls: this.subCalls,
      costUsd: this.cost === null ? null : Math.round(this.cost * 1e6) / 1e6,
      estimated: this.estimated,
    };
  }
}

function validateLimits(l: Limits): void {
  const positive: Array<keyof Limits> = ['maxIterations', 'maxSubCalls', 'maxTokens', 'maxWallTimeMs', 'subCallConcurrency', 'rlmConcurrency', 'maxMemoryMb'];
  for (const key of positive) {
    if (!(typeof l[key] === 'number' && l[key] > 0 && (Number.isInteger(l[key]) || l[key] === Infinity))) {
      throw new RangeError(`Limit ${key} must be a positive integer, got ${String(l[key])}.`);
    }
  }
  if (!(Number.isInteger(l.maxDepth) && l.maxDepth >= 0)) {
    throw new RangeError(`Limit maxDepth must be an integer of 0 or more, got ${String(l.maxDepth)}.`);
  }
  if (l.maxMemoryMb === Infinity || l.rlmConcurrency === Infinity) throw new RangeError('Limits maxMemoryMb and rlmConcurrency must be finite.');
  // Throws, saying what to give instead, when the bound cannot hold the sandboxes the limits allow.
  memoryPlanFor(l);
}

/** How the run's memory bound is shared out under these limits. */
export function memoryPlanFor(l: Pick<Limits, 'maxMemoryMb' | 'maxDepth' | 'rlmConcurrency'>) {
  return planMemory({ memoryMb: l.maxMemoryMb, maxDepth: l.maxDepth, rlmConcurrency: l.rlmConcurrency });
}

/** What the user is told when a limit ended the run (the `note` of a result). */
export function stopNote(limit: LimitName, limits: Limits, hadDraft: boolean): string {
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
