/**
 * Long loops on the host thread in small slices. A grep over a big workspace touches
 * every candidate path (filtering, indexing, sizes) and every line rg reports; at 50,000
 * paths each such pass is tens of milliseconds on a busy machine.
 *
 * Yielding with a plain `setImmediate` is not enough when many greps run at once: every
 * task that yielded wakes in the same check phase, and their slices add up in one turn of
 * the event loop (48 slices of 4 ms are 200 ms). So the tasks that yield here share one
 * queue and wake one per turn: whatever the number of greps, a turn runs at most one
 * slice of theirs.
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
export async function forEachSliced(n: number, step: (i: number) => void): Promise<void> {
  let sliceStart = performance.now();
  for (let i = 0; i < n; i++) {
    step(i);
    if ((i & 1023) === 1023 && performance.now() - sliceStart > SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
  }
}
