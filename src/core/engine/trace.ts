/**
 * The record of a run: a tree of RLM nodes (root and recursive) whose steps hold the
 * code, the output and the sub-calls made during that step. Plain data, so it
 * serialises as JSON for `--trace` and the editor's trace view.
 */
import type { TokenUsage } from '../providers/types';
import type { ResetReason } from '../sandbox/sandbox';
import type { LimitName, UsageTotals } from './limits';
import type { Citation } from './citations';

export interface TraceCell {
  code: string;
  output: string;
  error: string | null;
  durationMs: number;
  reset: ResetReason | null;
}

export interface TraceLlmCall {
  kind: 'llm';
  id: number;
  depth: number;
  model: string;
  promptChars: number;
  /** The start of the prompt, for reading the trace; the full prompt is not kept. */
  promptPreview: string;
  replyChars: number;
  reply: string;
  usage: TokenUsage | null;
  durationMs: number;
  error: string | null;
}

export interface TraceStep {
  iteration: number;
  model: string;
  /** Characters of the whole prompt the root model was sent at this step. */
  promptChars: number;
  usage: TokenUsage | null;
  reply: string;
  cells: TraceCell[];
  subCalls: Array<TraceLlmCall | TraceRlm>;
  /** Line ranges read during this step, its sub-calls included. */
  filesRead: Citation[];
  durationMs: number;
}

export interface TraceRlm {
  kind: 'rlm';
  id: number;
  depth: number;
  query: string;
  /** Files the recursive RLM was restricted to, when it was. */
  files: string[] | null;
  steps: TraceStep[];
  answer: string;
  ready: boolean;
  limitHit: LimitName | null;
  durationMs: number;
}

export interface RunTrace {
  version: 1;
  startedAt: string;
  repo: string;
  query: string;
  root: TraceRlm;
  usage: UsageTotals;
  citations: Citation[];
}
