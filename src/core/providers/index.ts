export * from './types';
export { OpenAIProvider, OPENAI_DEFAULT_BASE_URL, PLACEHOLDER_API_KEY, type OpenAIProviderOptions } from './openaiProvider';
export {
  OllamaProvider,
  OLLAMA_DEFAULT_HOST,
  OLLAMA_DEFAULT_NUM_CTX,
  estimatePromptTokens,
  type OllamaProviderOptions,
} from './ollamaProvider';
export { withRetry, backoffDelay, retryDelay, sleep, isRetryable, UNREACHABLE_MAX_RETRIES, type RetryOptions } from './retry';
export {
  mapOpenAIError,
  mapOllamaError,
  parseRetryAfter,
  retryAfterHintMs,
  setRetryAfterHint,
  redact,
  type ErrorContext,
  type ProviderName,
} from './errors';

import { OllamaProvider } from './ollamaProvider';
import { OpenAIProvider } from './openaiProvider';
import type { ModelProvider } from './types';

/** What `createProvider` needs; environment variables and defaults are resolved by the caller. */
export interface ProviderConfig {
  provider: 'openai' | 'ollama';
  model: string;
  /** OpenAI-compatible base URL, e.g. `http://127.0.0.1:1234/v1`. */
  baseURL?: string;
  apiKey?: string;
  /** Ollama host, e.g. `http://127.0.0.1:11434`. */
  host?: string;
  /** Ollama context window (`num_ctx`). */
  numCtx?: number;
  timeoutMs?: number;
  maxRetries?: number;
}

export function createProvider(config: ProviderConfig): ModelProvider {
  const common = {
    model: config.model,
    ...(config.timeoutMs !== undefined ? { timeoutMs: config.timeoutMs } : {}),
    ...(config.maxRetries !== undefined ? { maxRetries: config.maxRetries } : {}),
  };
  switch (config.provider) {
    case 'openai':
      return new OpenAIProvider({
        ...common,
        ...(config.baseURL !== undefined ? { baseURL: config.baseURL } : {}),
        ...(config.apiKey !== undefined ? { apiKey: config.apiKey } : {}),
      });
    case 'ollama':
      return new OllamaProvider({
        ...common,
        ...(config.host !== undefined ? { host: config.host } : {}),
        ...(config.numCtx !== undefined ? { numCtx: config.numCtx } : {}),
      });
    default: {
      const unknown: never = config.provider;
      throw new Error(`Unknown provider "${String(unknown)}"; expected "openai" or "ollama".`);
    }
  }
}
