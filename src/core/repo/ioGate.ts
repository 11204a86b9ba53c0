/**
 * Bounds on what the repo reads at once. Model code can start any number of reads in one
 * go (`Promise.all(files.map((f) => repo.read(f)))` over 1,000 files of 8 MiB), and the
 * host process is shared: without a bound that is gigabytes held at the same moment, and
 * thousands of open file descriptors.
 *
 * A `Gate` admits an operation when both fewer than `maxOps` are running and the bytes it
 * declares fit under `maxBytes` with those already admitted; others wait in order (first
 * come, first served, so a big read is not starved by a stream of small ones). An
 * operation larger than the whole budget runs alone.
 */
export class Gate {
  private ops = 0;
  private bytes = 0;
  private readonly waiting: Array<{ weight: number; admit: () => void }> = [];

  constructor(
    readonly maxOps: number,
    readonly maxBytes: number,
  ) {}

  /** Runs `fn` once admitted with `weight` bytes; releases when it settles. */
  async run<T>(weight: number, fn: () => Promise<T>): Promise<T> {
    const w = Math.max(0, Math.min(weight, this.maxBytes));
    await this.acquire(w);
    try {
      return await fn();
    } finally {
      this.release(w);
    }
  }

  /** Admits `weight` bytes (clamped to the budget); `release(weight)` gives them back. */
  async acquire(weight: number): Promise<void> {
    const w = Math.max(0, Math.min(weight, this.maxBytes));
    if (this.waiting.length === 0 && this.fits(w)) {
      this.ops++;
      this.bytes += w;
      return;
    }
    await new Promise<void>((admit) => this.waiting.push({ weight: w, admit }));
  }

  release(weight: number): void {
    const w = Math.max(0, Math.min(weight, this.maxBytes));
    this.ops--;
    this.bytes -= w;
    while (this.waiting.length > 0 && this.fits(this.waiting[0]!.weight)) {
      const next = this.waiting.shift()!;
      this.ops++;
      this.bytes += next.weight;
      next.admit();
    }
  }

  /** For tests: what is admitted now. */
  get inFlight(): { ops: number; bytes: number } {
    return { ops: this.ops, bytes: this.bytes };
  }

  private fits(weight: number): boolean {
    return this.ops < this.maxOps && (this.ops === 0 || this.bytes + weight <= this.maxBytes);
  }
}

/** Reads admitted at once per source (`read`, `stat`, `info`, grep's reads through the snapshot). */
export const MAX_READS_IN_FLIGHT = 16;
/**
 * Bytes those reads may hold at once per source. It also bounds the synchronous work one
 * turn of the event loop can be handed: reads that complete together are decoded one after
 * another (about 1 ms per MiB), so 32 MiB keeps such a burst near 30 ms.
 */
export const MAX_BYTES_IN_FLIGHT = 32 * 1024 * 1024;

const gates = new WeakMap<object, Gate>();

/** The one gate of a source, shared by every view and snapshot over it. */
export function gateFor(source: object): Gate {
  let gate = gates.get(source);
  if (gate === undefined) gates.set(source, (gate = new Gate(MAX_READS_IN_FLIGHT, MAX_BYTES_IN_FLIGHT)));
  return gate;
}
