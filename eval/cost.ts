/**
 * What the calls the harness makes itself cost: the direct mode's one model call and the
 * judge's. The rlm modes need nothing here, as the engine reports their usage and cost
 * (`RlmResult.usage`) from the same prices. These calls are priced by the engine's own
 * `RunBudget`, so that one rule prices every mode: tokens times the configured model's
 * price per million, null when that model has no price, rounded to a millionth of a dollar.
 */
import { RunBudget, type ModelPrice } from '../src/core/engine/limits';
import type { TokenUsage } from '../src/core/providers/types';
import type { RunUsage } from './types';

export type Prices = Record<string, ModelPrice>;

/** Usage of single calls to `model` (the direct mode, the judge); `calls` is the number of model calls. */
export function usageOfCall(model: string, usage: TokenUsage, prices: Prices, calls = 1): RunUsage {
  const budget = new RunBudget({}, prices);
  budget.record(model, usage);
  budget.modelCalls = calls;
  return budget.totals();
}
