/**
 * Long loops on the host's thread in small slices (every file of a 100,000-file workspace,
 * every line rg reports): after each `SLICE_MS` of work the event loop gets a turn, so the
 * extension host, shared with every other extension, is never held up for long by one pass.
 *
 * Yielding with a plain `setImmediate` is not enough when many such passes run at once (a
 * grep's, a summary's, a listing's): every task that yielded wakes in the same check phase,
 * and their slices add up in one turn of the event loop (48 slices of 4 ms are 200 ms). So
 * the tasks that yield here share one queue and wake one per turn: whatever their number, a
 * turn runs at most one slice of theirs.
 */

/** How long a slice may run before the event loop gets a turn. */
export const SLICE_MS = 4;

const waiting: Array<() => void> = [];
let pumping = false;

function pump(): void {
  waiting.shift()?.();
  // Scheduled from inside the check phase, the next one runs in the next turn.
  if (waiting.length > 0) setImmediate(pump);
  else pumping = false;
}

/** Resolves in a later turn of the event loop, after the tasks that asked before. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    if (!pumping) {
      pumping = true;
      setImmediate(pump);
    }
  });
}

/** Calls `step(i)` for every i below `n`, in order, yielding between slices. */
export async function forEachSliced(n: number, step: (i: number) => void, sliceMs = SLICE_MS): Promise<void> {
  let sliceStart = performance.now();
  for (let i = 0; i < n; i++) {
    step(i);
    if ((i & 1023) === 1023 && performance.now() - sliceStart > sliceMs) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}

/** `items.map(fn)`, yielding between slices. */
export async function mapSliced<T, R>(items: readonly T[], fn: (item: T, index: number) => R, sliceMs = SLICE_MS): Promise<R[]> {
  const out = new Array<R>(items.length);
  await forEachSliced(items.length, (i) => (out[i] = fn(items[i]!, i)), sliceMs);
  return out;
}
