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
  redact,
  type ErrorContext,
  type ProviderName,
} from './errors';
