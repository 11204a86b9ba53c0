/**
 * What a user reads while a run goes: engine events turned into short progress lines ("grep
 * `createServer` → 9 hits in 4 files", "Reading with 14 sub-calls, 8 at a time") and a
 * status (step, tokens, cost, sub-calls) for the status bar. Pure: no editor API, so it is
 * unit-tested against event sequences.
 *
 * Lines are bounded: a step that makes hundreds of calls shows the first few and a count,
 * so the chat view stays readable. The full record is the trace.
 */
import type { RlmEvent } from '../core/engine/events';
import type { UsageTotals } from '../core/engine/limits';

export interface RunStatus {
  step: number;
  maxSteps: number;
  tokens: number;
  estimated: boolean;
  costUsd: number | null;
  subCallsRunning: number;
  subCallsDone: number;
  subCallsFailed: number;
}

export interface NarratorOptions {
  /** Call lines shown per step of one node before the rest are only counted. */
  callLinesPerStep?: number;
  /** Sub-calls allowed at once, to say "8 at a time". */
  concurrency?: number;
  /** The model's name as the user knows it (the engine's events carry its id). */
  modelLabel?: string;
}

const n = (x: number): string => x.toLocaleString('en-US');
const plural = (x: number, one: string, many = `${one}s`): string => `${n(x)} ${x === 1 ? one : many}`;

export function formatTokens(t: number): string {
  if (t < 10_000) return n(t);
  if (t < 1_000_000) return `${(t / 1000).toFixed(t < 100_000 ? 1 : 0)}k`;
  return `${(t / 1e6).toFixed(2)}M`;
}

export function formatCost(usd: number | null): string | null {
  if (usd === null) return null;
  return usd < 0.01 ? `$${usd.toFixed(4)}` : `$${usd.toFixed(2)}`;
}

/** "45.2k tokens · $0.04" (tokens marked ~ when estimated). */
export function usageText(u: Pick<UsageTotals, 'inputTokens' | 'outputTokens' | 'costUsd' | 'estimated'>): string {
  const tokens = `${u.estimated ? '~' : ''}${formatTokens(u.inputTokens + u.outputTokens)} tokens`;
  const cost = formatCost(u.costUsd);
  return cost ? `${tokens} · ${cost}` : tokens;
}

export class ProgressNarrator {
  readonly status: RunStatus = { step: 0, maxSteps: 0, tokens: 0, estimated: false, costUsd: null, subCallsRunning: 0, subCallsDone: 0, subCallsFailed: 0 };
  private readonly callLinesPerStep: number;
  private readonly concurrency: number | undefined;
  private readonly modelLabel: string | undefined;
  /** Calls seen in the current step of each node, and how many were not shown. */
  private readonly perNode = new Map<number, { shown: number; hidden: number }>();
  /** Sub-RLM node id → its ordinal ("sub-question 2"), in the order they started. */
  private readonly childOrdinals = new Map<number, number>();
  private rootId: number | null = null;
  /** Sub-calls asked for and not yet finished, per node, to say when a batch is done. */
  private readonly batches = new Map<number, { total: number; done: number; failed: number }>();

  constructor(options: NarratorOptions = {}) {
    this.callLinesPerStep = options.callLinesPerStep ?? 6;
    this.concurrency = options.concurrency;
    this.modelLabel = options.modelLabel;
  }

  /** The lines to show for this event (often none). */
  handle(e: RlmEvent): string[] {
    if (this.rootId === null && e.parentId === null) this.rootId = e.nodeId;
    const prefix = this.prefix(e.nodeId);
    switch (e.type) {
      case 'run-started':
        return [`${e.followUp ? 'Following up in' : 'Exploring'} ${e.repo} with ${this.modelLabel ?? e.model}…`];
      case 'step-started': {
        const lines = this.flushHidden(e.nodeId);
        if (e.nodeId === this.rootId) {
          this.status.step = e.iteration;
          this.status.maxSteps = e.maxIterations;
          if (e.iteration > 1) lines.push(`Turn ${e.iteration} of ${e.maxIterations} · ${this.usageSoFar()}`);
        }
        return lines;
      }
      case 'call': {
        const seen = this.perNode.get(e.nodeId) ?? { shown: 0, hidden: 0 };
        this.perNode.set(e.nodeId, seen);
        if (seen.shown >= this.callLinesPerStep) {
          seen.hidden++;
          return [];
        }
        seen.shown++;
        return [`${prefix}${e.summary}${e.ok ? '' : ' (failed)'}`];
      }
      case 'subcalls-requested': {
        if (e.kind === 'rlm') return [];
        const batch = this.batches.get(e.nodeId) ?? { total: 0, done: 0, failed: 0 };
        batch.total += e.count;
        this.batches.set(e.nodeId, batch);
        const pace = e.count > 1 && this.concurrency ? `, ${Math.min(this.concurrency, e.count)} at a time` : '';
        return [`${prefix}Reading with ${plural(e.count, 'sub-call')}${pace}`];
      }
      case 'subcall-started':
        this.status.subCallsRunning++;
        if (e.kind === 'rlm') {
          const ordinal = this.childOrdinals.size + 1;
          this.childOrdinals.set(e.id, ordinal);
          return [`${prefix}Sub-question ${ordinal}: a recursive RLM starts`];
        }
        return [];
      case 'subcall-finished': {
        this.status.subCallsRunning = Math.max(0, this.status.subCallsRunning - 1);
        this.status.subCallsDone++;
        if (!e.ok) this.status.subCallsFailed++;
        if (e.kind === 'rlm') return [`${this.prefix(e.id)}done${e.ok ? '' : ' (failed)'}`];
        const batch = this.batches.get(e.nodeId);
        if (!batch) return [];
        batch.done++;
        if (!e.ok) batch.failed++;
        if (batch.done < batch.total) return [];
        this.batches.delete(e.nodeId);
        // One line per batch, not per call: a 200-prompt llm.batch is one line when it ends.
        return [`${prefix}${plural(batch.total, 'sub-call')} done${batch.failed ? ` (${batch.failed} failed)` : ''} · ${this.usageSoFar()}`];
      }
      case 'retry':
        return [`${prefix}${e.subcallId !== undefined ? 'A sub-call' : 'The model'} is rate limited or busy; retrying in ${Math.max(1, Math.round(e.delayMs / 1000))} s (attempt ${e.attempt})`];
      case 'usage':
        this.status.tokens = e.totals.inputTokens + e.totals.outputTokens;
        this.status.estimated = e.totals.estimated;
        this.status.costUsd = e.totals.costUsd;
        return [];
      case 'sandbox-reset':
        return e.reason === 'cancelled' ? [] : [`${prefix}The REPL was restarted (${RESETS[e.reason]}); the model is told`];
      case 'limit-hit':
        return e.nodeId === this.rootId ? [`Stopped: ${e.message}`] : [];
      case 'answer-ready':
        return e.nodeId === this.rootId ? [...this.flushHidden(e.nodeId), `Answer ready · ${this.usageSoFar()}`] : [];
      default:
        return [];
    }
  }

  private usageSoFar(): string {
    return usageText({ inputTokens: this.status.tokens, outputTokens: 0, costUsd: this.status.costUsd, estimated: this.status.estimated });
  }

  private flushHidden(nodeId: number): string[] {
    const seen = this.perNode.get(nodeId);
    this.perNode.delete(nodeId);
    return seen && seen.hidden > 0 ? [`${this.prefix(nodeId)}… and ${plural(seen.hidden, 'more call')}`] : [];
  }

  private prefix(nodeId: number): string {
    const ordinal = this.childOrdinals.get(nodeId);
    return ordinal === undefined ? '' : `Sub-question ${ordinal}: `;
  }
}

const RESETS = {
  timeout: 'a cell ran too long',
  memory: 'a cell used too much memory',
  background: 'code kept running after a cell',
  crashed: 'the sandbox crashed',
  cancelled: 'cancelled',
} as const;
