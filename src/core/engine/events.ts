/**
 * What a run reports while it goes, for the CLI's progress line and the editor's chat
 * view. Every event names the recursion depth it comes from (0 = the root RLM).
 */
import type { ResetReason } from '../sandbox/sandbox';
import type { LimitName, UsageTotals } from './limits';

export type RlmEvent =
  | { type: 'step-started'; depth: number; iteration: number; maxIterations: number }
  | { type: 'model-text'; depth: number; iteration: number; fragment: string }
  | { type: 'model-replied'; depth: number; iteration: number; text: string; inputTokens: number; outputTokens: number }
  | { type: 'code'; depth: number; iteration: number; cell: number; code: string }
  | { type: 'output'; depth: number; iteration: number; cell: number; output: string; error: string | null; durationMs: number }
  | { type: 'sandbox-reset'; depth: number; reason: ResetReason }
  | { type: 'subcall-started'; depth: number; id: number; kind: 'llm' | 'rlm'; model: string; promptChars: number }
  | {
      type: 'subcall-finished';
      depth: number;
      id: number;
      kind: 'llm' | 'rlm';
      ok: boolean;
      replyChars: number;
      durationMs: number;
      error?: string;
    }
  | { type: 'retry'; depth: number; attempt: number; delayMs: number; reason: string }
  | { type: 'usage'; totals: UsageTotals }
  | { type: 'answer-drafted'; depth: number; chars: number }
  | { type: 'answer-ready'; depth: number; answer: string }
  | { type: 'limit-hit'; depth: number; limit: LimitName; message: string };

export type RlmEventListener = (event: RlmEvent) => void;
