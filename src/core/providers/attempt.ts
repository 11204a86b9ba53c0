import { withRetry } from './retry';
import type { CompletionRequest } from './types';
import { estimateTokens } from '../util/estimateTokens';

/**
 * One HTTP attempt's abort controller: aborted by the caller's signal (reason `cancelled`) or
 * by an idle timer that every sign of life (`touch`) restarts (reason `timeout`).
 */

export class AttemptController {
  private readonly controller = new AbortController();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private reasonValue: 'timeout' | 'cancelled' | undefined;
  private readonly onUserAbort = (): void => this.abort('cancelled');

  constructor(
    private readonly timeoutMs: number,
    private readonly userSignal?: AbortSignal,
  ) {
    if (userSignal?.aborted) this.abort('cancelled');
    else userSignal?.addEventListener('abort', this.onUserAbort, { once: true });
    this.touch();
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why this attempt was aborted, if it was. */
  get reason(): 'timeout' | 'cancelled' | undefined {
    return this.reasonValue;
  }

  /** Restarts the idle timer. */
  touch(): void {
    if (this.reasonValue) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.abort('timeout'), this.timeoutMs);
  }

  abort(reason: 'timeout' | 'cancelled'): void {
    if (this.reasonValue) return;
    this.reasonValue = reason;
    if (this.timer) clearTimeout(this.timer);
    this.controller.abort();
  }

  dispose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.userSignal?.removeEventListener('abort', this.onUserAbort);
  }
}

/** An error thrown by the caller's own callback (e.g. `onText`): passed through untouched, never retried. */
export class CallbackError extends Error {
  constructor(readonly original: unknown) {
    super('callback failed');
  }
}

/** Usage to report when the server sent none: estimated from characters, and marked so. */
export function estimatedUsage(promptChars: number, text: string): { inputTokens: number; outputTokens: number; estimated: true } {
  return { inputTokens: estimateTokens(promptChars), outputTokens: estimateTokens(text.length), estimated: true };
}

/**
 * Runs the body of one HTTP attempt. An error thrown by the caller's own callback passes
 * through untouched (after aborting the request); anything else becomes a ProviderError
 * through `mapError`; the attempt's idle timer is always released.
 */
export async function runAttempt<T>(control: AttemptController, mapError: (error: unknown) => Error, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof CallbackError) {
      control.abort('cancelled');
      throw error;
    }
    throw mapError(error);
  } finally {
    control.dispose();
  }
}

/** What both providers pass to `withRetry` for a request. */
export interface AttemptRetrySettings {
  maxRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
  provider: string;
}

/**
 * Runs `attempt` with the shared retry policy, wired to the request's signal and retry
 * callback; an error from the caller's own callback comes out as the caller threw it.
 */
export function retryAttempts<T>(
  settings: AttemptRetrySettings,
  request: Pick<CompletionRequest, 'signal' | 'onRetry'>,
  attempt: () => Promise<T>,
): Promise<T> {
  return withRetry(attempt, {
    ...settings,
    ...(request.signal ? { signal: request.signal } : {}),
    ...(request.onRetry ? { onRetry: request.onRetry } : {}),
  }).catch((error: unknown) => {
    throw error instanceof CallbackError ? error.original : error;
  });
}

/** Hands a streamed fragment to the caller; an error there is the caller's, not the server's. */
export function deliverText(request: Pick<CompletionRequest, 'onText'>, fragment: string): void {
  try {
    request.onText?.(fragment);
  } catch (error) {
    throw new CallbackError(error);
  }
}
