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

/** A signal that aborts when any of `signals` does. */
export function anySignal(signals: (AbortSignal | null | undefined)[]): AbortSignal {
  const present = signals.filter((s): s is AbortSignal => !!s);
  if (present.length === 1) return present[0]!;
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort();
    for (const s of present) s.removeEventListener('abort', abort);
  };
  for (const s of present) {
    if (s.aborted) {
      abort();
      break;
    }
    s.addEventListener('abort', abort, { once: true });
  }
  return controller.signal;
}

export function estimateTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Usage to report when the server sent none: estimated from characters, and marked so. */
export function estimatedUsage(promptChars: number, text: string): { inputTokens: number; outputTokens: number; estimated: true } {
  return { inputTokens: estimateTokens(promptChars), outputTokens: estimateTokens(text.length), estimated: true };
}
