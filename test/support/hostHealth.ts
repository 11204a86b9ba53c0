/**
 * What an attack did to the host process while it ran: the longest time the event loop was
 * blocked (perf_hooks.monitorEventLoopDelay) and how much the process grew (peak RSS,
 * ArrayBuffer memory and V8 heap beyond the baseline taken just before). The attack suite
 * asserts these against the host's bounds.
 *
 * Memory is sampled on a timer (10 ms) and once more at the end: a peak between samples can
 * be missed by at most that much growth, which the bounds leave room for.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface HostHealth {
  /** Longest event-loop delay seen, in ms. */
  maxDelayMs: number;
  p99DelayMs: number;
  /** Peak resident memory above the baseline, in MiB. */
  rssGrowthMiB: number;
  /** Peak ArrayBuffer/Buffer memory above the baseline, in MiB (counted process-wide). */
  arrayBufferGrowthMiB: number;
  /** Peak V8 heap use above the baseline, in MiB. */
  heapGrowthMiB: number;
}

const MiB = 1024 * 1024;

/** Runs `attack` and reports the host's health during it, with its result. */
export async function underWatch<T>(attack: () => Promise<T>): Promise<{ result: T; health: HostHealth }> {
  const base = process.memoryUsage();
  let peak = { rss: base.rss, arrayBuffers: base.arrayBuffers, heapUsed: base.heapUsed };
  const sample = () => {
    const m = process.memoryUsage();
    peak = { rss: Math.max(peak.rss, m.rss), arrayBuffers: Math.max(peak.arrayBuffers, m.arrayBuffers), heapUsed: Math.max(peak.heapUsed, m.heapUsed) };
  };
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const sampler = setInterval(sample, 10);
  try {
    const result = await attack();
    sample();
    return {
      result,
      health: {
        // The histogram is in nanoseconds; its resolution (10 ms) is subtracted as Node's docs advise.
        maxDelayMs: Math.max(0, histogram.max / 1e6 - 10),
        p99DelayMs: Math.max(0, histogram.percentile(99) / 1e6 - 10),
        rssGrowthMiB: (peak.rss - base.rss) / MiB,
        arrayBufferGrowthMiB: (peak.arrayBuffers - base.arrayBuffers) / MiB,
        heapGrowthMiB: (peak.heapUsed - base.heapUsed) / MiB,
      },
    };
  } finally {
    clearInterval(sampler);
    histogram.disable();
  }
}

/** The bounds the host must keep whatever a hostile model and repository do. */
export const HOST_BOUNDS = {
  maxDelayMs: 100,
  rssGrowthMiB: 384,
} as const;

export function describeHealth(h: HostHealth): string {
  return `event loop max ${h.maxDelayMs.toFixed(0)} ms (p99 ${h.p99DelayMs.toFixed(0)} ms), RSS +${h.rssGrowthMiB.toFixed(0)} MiB, ArrayBuffers +${h.arrayBufferGrowthMiB.toFixed(0)} MiB, heap +${h.heapGrowthMiB.toFixed(0)} MiB`;
}
