/**
 * What a run reports while it goes, for the CLI's progress line and the editor's chat view.
 *
 * Every event names the run it belongs to and the RLM node it comes from (the root, or a
 * recursive rlm() below it) with that node's parent, so that a UI can tell apart two
 * sub-RLMs running side by side and draw the run as a tree.
 */
import type { ResetReason } from '../sandbox/sandbox';
import type { ReadRecord } from '../repo/types';
import type { LimitName, UsageTotals } from './limits';

export interface EventSource {
  /** Unique per run (per `ask`). */
  runId: string;
  /** The RLM node the event comes from; the root is node 1. */
  nodeId: number;
  /** The node that started this one with rlm(); null for the root. */
  parentId: number | null;
  /** Recursion depth of the node (0 = the root). */
  depth: number;
}

export type RlmEventBody =
  | { type: 'run-started'; query: string; repo: string; model: string; followUp: boolean }
  | { type: 'step-started'; iteration: number; maxIterations: number }
  | { type: 'model-text'; iteration: number; fragment: string }
  | { type: 'model-replied'; iteration: number; text: string; inputTokens: number; outputTokens: number }
  | { type: 'code'; iteration: number; cell: number; code: string }
  | { type: 'output'; iteration: number; cell: number; output: string; error: string | null; durationMs: number }
  | { type: 'sandbox-reset'; reason: ResetReason }
  /** A host call (repo.grep, an editor function...) finished; `summary` says what it did, for a progress line. */
  | { type: 'call'; iteration: number; name: string; summary: string; ok: boolean; durationMs: number }
  /** The guest asked for `count` sub-calls at once (one llm(), an llm.batch(), one rlm()); they queue for slots. */
  | { type: 'subcalls-requested'; kind: 'llm' | 'rlm'; count: number }
  /** A sub-call got its concurrency slot. For kind `rlm`, `id` is the new node's id. */
  | { type: 'subcall-started'; id: number; kind: 'llm' | 'rlm'; model: string; promptChars: number }
  | { type: 'subcall-finished'; id: number; kind: 'llm' | 'rlm'; ok: boolean; replyChars: number; durationMs: number; error?: string }
  /** A model request is waiting to be retried; `subcallId` is set when it is a sub-call's. */
  | { type: 'retry'; attempt: number; delayMs: number; reason: string; subcallId?: number }
  | { type: 'usage'; totals: UsageTotals }
  /** Lines the sandbox was shown (a read range, a grep hit, a host function's result). */
  | ({ type: 'read' } & ReadRecord)
  | { type: 'answer-drafted'; chars: number; text: string }
  | { type: 'answer-ready'; answer: string }
  | { type: 'limit-hit'; limit: LimitName; message: string };

export type RlmEvent = EventSource & RlmEventBody;

export type RlmEventListener = (event: RlmEvent) => void;
