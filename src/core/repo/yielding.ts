/**
 * Long loops on the host thread in small slices. A grep over a big workspace touches
 * every candidate path (filtering, indexing, sizes); at 50,000 paths each such pass is
 * tens of milliseconds on a busy machine, and several greps' passes can land in the same
 * turn of the event loop. These helpers give the loop back every few milliseconds.
 */

/** How long a slice may run before the event loop gets a turn. */
export const SLICE_MS = 4;

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
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
