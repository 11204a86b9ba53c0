/**
 * Time as the engine sees it: now, and a timer. Injected so that tests drive the wall-time
 * limit by advancing a clock instead of racing a real timer against work whose speed
 * depends on the machine.
 */
export interface Clock {
  now(): number;
  /** Calls `fn` once after `ms`; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    // setTimeout cannot wait longer than 2^31-1 ms; such a limit never fires in practice.
    if (ms >= 2 ** 31) return () => {};
    const timer = setTimeout(fn, ms);
    timer.unref?.();
    return () => clearTimeout(timer);
  },
};
