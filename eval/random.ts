/**
 * Seeded randomness for the generators: the same seed gives the same question set on
 * every machine and Node version (Math.random is never used).
 */

/** A 32-bit hash of a string (FNV-1a), to derive independent streams from one seed. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private state: number;

  /** `stream` separates uses of one seed (e.g. "slice-order" and "needle-3"). */
  constructor(seed: number, stream = '') {
    this.state = (hash32(`${seed}:${stream}`) ^ 0x9e3779b9) >>> 0;
  }

  /** A float in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick() from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

/** "8k", "1m", "1.5M", "32000" -> tokens. Returns null when the text is not a size. */
export function parseTokenCount(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*$/.exec(text);
  if (!m) return null;
  const n = Number(m[1]) * (m[2]!.toLowerCase() === 'k' ? 1_000 : m[2]!.toLowerCase() === 'm' ? 1_000_000 : 1);
  return Number.isFinite(n) && n >= 1 ? Math.round(n) : null;
}

/** 8000 -> "8k", 1000000 -> "1m", 1500000 -> "1.5m". */
export function formatTokenCount(n: number): string {
  if (n >= 1_000_000 && n % 100_000 === 0) return `${n / 1_000_000}m`;
  if (n >= 1_000 && n % 100 === 0) return `${n / 1_000}k`;
  return String(n);
}
