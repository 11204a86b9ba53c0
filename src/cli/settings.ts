/**
 * What the command line's options settle, as plain types shared by the parsers (args,
 * evalArgs, options) and their users (chooseProvider, run, evalCommand). Kept apart from
 * the code on either side so that neither has to import the other for them.
 */

/** Which provider and models a run uses; unset fields are chosen by `chooseProvider`. */
export interface ProviderChoice {
  provider?: 'openai' | 'ollama';
  model?: string;
  subModel?: string;
  baseURL?: string;
  host?: string;
  numCtx?: number;
  timeoutMs?: number;
}

/** The provider choice and run limits the model options give. */
export interface ModelSettings extends ProviderChoice {
  maxIterations?: number;
  maxDepth?: number;
  maxSubCalls?: number;
  maxTokens?: number;
  maxWallTimeMs?: number;
  concurrency?: number;
  cellTimeoutMs?: number;
  /** The run's memory bound, host and sandboxes together, in MiB. */
  maxMemoryMb?: number;
  gitignore: boolean;
}

/** Model prices, for cost figures (US dollars per million tokens). */
export interface PriceSettings {
  priceIn?: number;
  priceOut?: number;
  subPriceIn?: number;
  subPriceOut?: number;
}
