/**
 * Retries shared by every provider, so that they all back off the same way.
 *
 * Retried: rate limits (429), server errors (5xx), timeouts, and connections dropped
 * mid-request or mid-stream (all `ProviderError`s of kind `rate-limit`, `server`, `timeout`).
 * A server that cannot be reached at all (`unreachable`) is retried at most once, so that
 * an endpoint that is down fails fast. Anything else fails at once.
 */

import { ProviderError, type RetryInfo } from './types';

export interface RetryOptions {
  /** Retries after the first attempt. */
  maxRetries: number;
  /** First backoff step; doubles each retry. */
  baseDelayMs: number;
  /** Upper bound on any single wait, including one the server asked for. */
  maxDelayMs: number;
  /** Cancels the retry wait (and stops retrying); the promise then rejects with kind `cancelled`. */
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  /** Source of jitter in [0, 1); tests may pin it. */
  random?: () => number;
  /** Which provider to name in a `cancelled` error. */
  provider?: string;
}

/** How many times an `unreachable` failure is retried. */
export const UNREACHABLE_MAX_RETRIES = 1;

export function isRetryable(error: unknown): error is ProviderError {
  return (
    error instanceof ProviderError &&
    (error.kind === 'rate-limit' || error.kind === 'server' || error.kind === 'timeout' || error.kind === 'unreachable')
  );
}

/** Exponential backoff with jitter: attempt 1 waits base×[0.5, 1), attempt 2 base×[1, 2), ... capped. */
export function backoffDelay(attempt: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const random = options.random ?? Math.random;
  const exponential = options.baseDelayMs * 2 ** Math.max(0, attempt - 1);
  const jittered = exponential * (0.5 + 0.5 * random());
  return Math.max(0, Math.min(options.maxDelayMs, Math.round(jittered)));
}

/** The delay before retry number `attempt` (1-based) after `error`. */
export function retryDelay(error: ProviderError, attempt: number, options: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'random'>): number {
  const asked = error.details.retryAfterMs;
  if (asked !== undefined) return Math.max(0, Math.min(options.maxDelayMs, Math.round(asked)));
  return backoffDelay(attempt, options);
}

export function cancelled(provider?: string, cause?: unknown): ProviderError {
  return new ProviderError('cancelled', 'The request was cancelled.', {
    ...(provider ? { provider } : {}),
    ...(cause !== undefined ? { cause } : {}),
  });
}

/** Waits `ms`, or rejects with kind `cancelled` as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal, provider?: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(cancelled(provider));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelled(provider));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs `fn` (given the 0-based attempt number) until it succeeds, fails with an error that is
 * not worth retrying, or runs out of retries. Errors that are not `ProviderError`s are never retried.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  let unreachableRetries = 0;
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw cancelled(options.provider);
    try {
      return await fn(attempt);
    } catch (error) {
      if (options.signal?.aborted) {
        throw error instanceof ProviderError && error.kind === 'cancelled' ? error : cancelled(options.provider, error);
      }
      if (!isRetryable(error) || attempt >= options.maxRetries) throw error;
      if (error.kind === 'unreachable') {
        if (unreachableRetries >= UNREACHABLE_MAX_RETRIES) throw error;
        unreachableRetries++;
      }
      const retry = attempt + 1;
      const delayMs = retryDelay(error, retry, options);
      options.onRetry?.({ attempt: retry, delayMs, reason: error.message });
      await sleep(delayMs, options.signal, options.provider);
    }
  }
}
