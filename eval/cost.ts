/**
 * Usage and cost of one run, from its trace: every root-model turn and every sub-call
 * carries its own token counts and the model it was sent to (as configured, not as the
 * server renamed it), so each is priced with its own model's price.
 */
import type { ModelPrice } from '../src/core/engine/limits';
import type { RunTrace, TraceRlm } from '../src/core/engine/trace';
import type { TokenUsage } from '../src/core/providers/types';
import type { RunUsage } from './types';

export type Prices = Record<string, ModelPrice>;

export function priceOf(prices: Prices, model: string, usage: TokenUsage): number | null {
  const price = prices[model];
  if (!price) return null;
  return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1e6;
}

function round(usd: number): number {
  return Math.round(usd * 1e6) / 1e6;
}

/** Sums the calls of an RLM trace; the cost is null when some model used has no price. */
export function usageFromTrace(trace: RunTrace, prices: Prices): RunUsage {
  const out: RunUsage = { inputTokens: 0, outputTokens: 0, modelCalls: 0, subCalls: 0, costUsd: 0, estimated: false };
  const add = (model: string, usage: TokenUsage | null): void => {
    if (!usage) return;
    out.inputTokens += usage.inputTokens;
    out.outputTokens += usage.outputTokens;
    if (usage.estimated) out.estimated = true;
    const cost = priceOf(prices, model, usage);
    out.costUsd = cost === null || out.costUsd === null ? null : out.costUsd + cost;
  };
  const walk = (node: TraceRlm): void => {
    for (const step of node.steps) {
      if (step.usage) out.modelCalls++;
      add(step.model, step.usage);
      for (const call of step.subCalls) {
        out.subCalls++;
        if (call.kind === 'llm') add(call.model, call.usage);
        else walk(call);
      }
    }
  };
  walk(trace.root);
  if (out.costUsd !== null) out.costUsd = round(out.costUsd);
  return out;
}

/** Usage of single calls (the direct mode, the judge). */
export function usageOfCall(model: string, usage: TokenUsage, prices: Prices, calls = 1): RunUsage {
  const cost = priceOf(prices, model, usage);
  return {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    modelCalls: calls,
    subCalls: 0,
    costUsd: cost === null ? null : round(cost),
    estimated: usage.estimated ?? false,
  };
}
