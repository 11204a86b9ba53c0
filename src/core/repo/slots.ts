/**
 * A counting semaphore with FIFO waiters whose waits can be cancelled: how grep bounds
 * the rg processes it runs (ripgrep.ts) and the greps that run at once (workspaceRepo.ts).
 */
export class Slots {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly capacity: number) {}

  /** Resolves true once a slot is held, or false when `signal` aborts first. */
  acquire(signal: AbortSignal | undefined): Promise<boolean> {
    if (signal?.aborted) return Promise.resolve(false);
    if (this.active < this.capacity) {
      this.active++;
      return Promise.resolve(true);
    }
    return new Promise((resolve) => {
      const grant = (): void => {
        signal?.removeEventListener('abort', onAbort);
        this.active++;
        resolve(true);
      };
      const onAbort = (): void => {
        const i = this.waiting.indexOf(grant);
        if (i >= 0) this.waiting.splice(i, 1);
        resolve(false);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(grant);
    });
  }

  release(): void {
    this.active--;
    this.waiting.shift()?.();
  }

  /** Runs `task` holding a slot (never cancelled). */
  async run<T>(task: () => Promise<T>): Promise<T> {
    await this.acquire(undefined);
    try {
      return await task();
    } finally {
      this.release();
    }
  }

  /** Slots held and callers waiting, for tests and diagnostics. */
  get state(): { active: number; waiting: number } {
    return { active: this.active, waiting: this.waiting.length };
  }
}
