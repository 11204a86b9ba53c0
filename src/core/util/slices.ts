/**
 * Loops over many items (every file of a 100,000-file workspace) on the host's thread in
 * slices: after each `sliceMs` of work the event loop gets a turn, so the extension host,
 * shared with every other extension, is never held up for long by one pass.
 */
export const SLICE_MS = 8;

export async function mapSliced<T, R>(items: readonly T[], fn: (item: T, index: number) => R, sliceMs = SLICE_MS): Promise<R[]> {
  const out = new Array<R>(items.length);
  let sliceStart = performance.now();
  for (let i = 0; i < items.length; i++) {
    out[i] = fn(items[i]!, i);
    if ((i & 1023) === 1023 && performance.now() - sliceStart > sliceMs) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
  }
  return out;
}
