/**
 * The one interface every language-model backend implements. The engine knows nothing
 * else about providers: OpenAI-compatible servers, Ollama and the VS Code Language Model
 * API all sit behind `ModelProvider.complete`.
 */

export type ChatRole = 'system' | 'user' | 'assistant';

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** True when the server reported no usage and the figures are estimated from characters. */
  estimated?: boolean;
}

export interface CompletionRequest {
  messages: ChatMessage[];
  /** Overrides the provider's configured model for this one request. */
  model?: string;
  /** Upper bound on generated tokens, when the caller wants one. */
  maxOutputTokens?: number;
  temperature?: number;
  /** Aborts the request (and any retry wait) at once; the promise rejects with a `ProviderError` of kind `cancelled`. */
  signal?: AbortSignal;
  /** Called with each streamed text fragment, in order. */
  onText?: (fragment: string) => void;
  /** Called before a retry wait, so that the UI can say why it is waiting. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface Completion {
  text: string;
  usage: TokenUsage;
  /** The model that actually answered, as the server named it. */
  model: string;
  /** Why generation stopped, as the server said it (e.g. `stop`, `length`). */
  finishReason?: string;
}

export interface ModelProvider {
  /** Short, stable identifier: `openai`, `ollama`, `vscode`, ... */
  readonly id: string;
  /** The model used when a request names none. */
  readonly defaultModel: string;
  /**
   * How many input tokens `model` (default: `defaultModel`) takes. Prompts the engine builds
   * from files are sized to it, so that a small local context is never silently overrun.
   */
  maxInputTokens(model?: string): number;
  complete(request: CompletionRequest): Promise<Completion>;
}

export type ProviderErrorKind =
  | 'unreachable'
  | 'auth'
  | 'model-not-found'
  | 'context-length'
  | 'rate-limit'
  | 'server'
  | 'timeout'
  | 'cancelled'
  | 'bad-request'
  | 'bad-response';

/**
 * The setting that would fix a provider error, for the front end to name in its own terms
 * (a CLI flag or environment variable, an editor setting or command): the core's messages
 * never name them.
 */
export type ProviderFix = 'api-key' | 'base-url' | 'ollama-host' | 'model' | 'context-window' | 'timeout';

export interface ProviderErrorDetails {
  status?: number;
  provider?: string;
  model?: string;
  cause?: unknown;
  /** How long the server asked us to wait before trying again (`Retry-After`), in ms. */
  retryAfterMs?: number;
  fix?: ProviderFix;
}

/** Every provider failure surfaces as this, with a message that says what went wrong. */
export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    readonly kind: ProviderErrorKind,
    message: string,
    readonly details: ProviderErrorDetails = {},
  ) {
    super(message);
  }
}
