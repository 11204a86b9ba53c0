/**
 * What an attack did to the host process while it ran: the longest time the event loop was
 * blocked (perf_hooks.monitorEventLoopDelay) and how much the process grew (peak RSS,
 * ArrayBuffer memory and V8 heap beyond the baseline taken just before). The attack suite
 * asserts these against the host's bounds.
 *
 * Sandboxes are child processes, so their memory is not in the host's RSS: on Linux the
 * private resident memory of every child process is sampled too (/proc/<pid>/statm,
 * resident minus file-backed pages, so the executable's shared code is not counted), and
 * `totalGrowthMiB` is the peak of host and children together, the figure the run's memory
 * bound covers.
 *
 * Memory is sampled on a timer (10 ms) and once more at the end: a peak between samples can
 * be missed by at most that much growth, which the bounds leave room for.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DEFAULT_MEMORY_PLAN } from '../../src/core/sandbox/memory';

export interface HostHealth {
  /**
   * Longest event-loop delay seen, in ms, less the time the main thread spent waiting for a
   * CPU during it (Linux: /proc/<pid>/task/<pid>/schedstat). On a machine shared with other
   * work, a timer fires late also because the thread was not scheduled; that is the
   * machine's load, not the host blocking its own loop. Without schedstat, the raw delay.
   */
  maxDelayMs: number;
  /** Longest event-loop delay seen, in ms, as monitorEventLoopDelay saw it (scheduling waits included). */
  maxRawDelayMs: number;
  /** The gap behind maxDelayMs, for telling the host's own work (on CPU) from waiting in the kernel. */
  worstGap: WorstGap | null;
  p99DelayMs: number;
  /** Peak resident memory above the baseline, in MiB. */
  rssGrowthMiB: number;
  /** Peak ArrayBuffer/Buffer memory above the baseline, in MiB (this process only). */
  arrayBufferGrowthMiB: number;
  /** Peak V8 heap use above the baseline, in MiB. */
  heapGrowthMiB: number;
  /** Peak private memory of child processes (the sandboxes) above the baseline, in MiB; null off Linux. */
  childrenGrowthMiB: number | null;
  /** Peak of host RSS and children's private memory together, above the baseline, in MiB. */
  totalGrowthMiB: number;
  /** Most child processes alive at once. */
  maxChildren: number;
}

const MiB = 1024 * 1024;

/** Bytes per page, from this process's own RSS and statm (they count the same pages). */
function pageSize(): number {
  try {
    const resident = Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]);
    const rss = process.memoryUsage.rss();
    for (const size of [4096, 16384, 65536]) if (Math.abs(rss / size - resident) / resident < 0.05) return size;
  } catch {
    // not Linux
  }
  return 4096;
}

/**
 * Private resident bytes of each child process, or null where /proc is not available. Read
 * asynchronously: reading another process's statm waits for its memory map lock, which a
 * sandbox mapping hundreds of MiB holds for a while, and the watcher must not block the
 * event loop it is measuring.
 */
async function childrenMemory(page: number): Promise<Map<number, number> | null> {
  let pids: number[];
  try {
    pids = (await readFile(`/proc/self/task/${process.pid}/children`, 'utf8')).trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return null;
  }
  const out = new Map<number, number>();
  await Promise.all(
    pids.map(async (pid) => {
      try {
        const [, resident, shared] = (await readFile(`/proc/${pid}/statm`, 'utf8')).split(' ').map(Number);
        out.set(pid, (resident! - shared!) * page);
      } catch {
        // exited between the listing and the read
      }
    }),
  );
  return out;
}

/** Nanoseconds the main thread has waited on a run queue, or null where schedstat is not available. */
function runQueueWaitNs(): number | null {
  return schedstat()?.[1] ?? null;
}

/** The main thread's [on-CPU ns, run-queue wait ns], or null where schedstat is not available. */
function schedstat(): [number, number] | null {
  try {
    const [run, wait] = readFileSync(`/proc/${process.pid}/task/${process.pid}/schedstat`, 'utf8').split(' ').map(Number);
    return [run!, wait!];
  } catch {
    return null;
  }
}

/** The worst timer gap: how late it fired, how long the thread waited for a CPU, and ran, in it. */
export interface WorstGap {
  lateMs: number;
  waitMs: number;
  onCpuMs: number;
}

/**
 * The longest event-loop delay with the main thread's run-queue waits taken out: a timer
 * every `interval` ms notes how late it fired and how long the thread waited for a CPU since
 * the last tick.
 */
function busyDelayMonitor(interval: number): { stop(): { maxMs: number; worst: WorstGap | null } | null } {
  let lastWait = runQueueWaitNs();
  if (lastWait === null) return { stop: () => null };
  let last = performance.now();
  let lastRun = schedstat()?.[0] ?? 0;
  let max = 0;
  let worst: WorstGap | null = null;
  const tick = () => {
    const now = performance.now();
    const [run, wait] = schedstat() ?? [lastRun, lastWait!];
    const late = now - last - interval;
    const d = late - (wait - lastWait!) / 1e6;
    if (d > max) {
      max = d;
      worst = { lateMs: late, waitMs: (wait - lastWait!) / 1e6, onCpuMs: (run - lastRun) / 1e6 };
    }
    last = now;
    lastWait = wait;
    lastRun = run;
  };
  const timer = setInterval(tick, interval);
  return {
    stop() {
      tick();
      clearInterval(timer);
      return { maxMs: Math.max(0, max), worst };
    },
  };
}

/** Runs `attack` and reports the host's health during it, with its result. */
export async function underWatch<T>(attack: () => Promise<T>): Promise<{ result: T; health: HostHealth }> {
  const page = pageSize();
  const base = process.memoryUsage();
  const baseChildren = await childrenMemory(page);
  const sum = (m: Map<number, number> | null) => (m === null ? 0 : [...m.values()].reduce((a, b) => a + b, 0));
  const baseChildrenBytes = sum(baseChildren);
  let peak = { rss: base.rss, arrayBuffers: base.arrayBuffers, heapUsed: base.heapUsed, children: baseChildrenBytes, total: base.rss + baseChildrenBytes, count: baseChildren?.size ?? 0 };
  let sampling = false;
  const sample = async () => {
    if (sampling) return;
    sampling = true;
    const children = await childrenMemory(page);
    sampling = false;
    const m = process.memoryUsage();
    const c = sum(children);
    peak = {
      rss: Math.max(peak.rss, m.rss),
      arrayBuffers: Math.max(peak.arrayBuffers, m.arrayBuffers),
      heapUsed: Math.max(peak.heapUsed, m.heapUsed),
      children: Math.max(peak.children, c),
      total: Math.max(peak.total, m.rss + c),
      count: Math.max(peak.count, children?.size ?? 0),
    };
  };
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  const busy = busyDelayMonitor(5);
  const sampler = setInterval(() => void sample(), 10);
  let busyDelay: { maxMs: number; worst: WorstGap | null } | null = null;
  try {
    const result = await attack();
    await sample();
    busyDelay = busy.stop();
    // The histogram is in nanoseconds; its resolution (10 ms) is subtracted as Node's docs advise.
    const rawDelay = Math.max(0, histogram.max / 1e6 - 10);
    return {
      result,
      health: {
        maxDelayMs: busyDelay?.maxMs ?? rawDelay,
        maxRawDelayMs: rawDelay,
        worstGap: busyDelay?.worst ?? null,
        p99DelayMs: Math.max(0, histogram.percentile(99) / 1e6 - 10),
        rssGrowthMiB: (peak.rss - base.rss) / MiB,
        arrayBufferGrowthMiB: (peak.arrayBuffers - base.arrayBuffers) / MiB,
        heapGrowthMiB: (peak.heapUsed - base.heapUsed) / MiB,
        childrenGrowthMiB: baseChildren === null ? null : (peak.children - baseChildrenBytes) / MiB,
        totalGrowthMiB: (peak.total - base.rss - baseChildrenBytes) / MiB,
        maxChildren: peak.count,
      },
    };
  } finally {
    if (busyDelay === null) busy.stop();
    clearInterval(sampler);
    histogram.disable();
  }
}

/**
 * The bounds the host must keep whatever a hostile model and repository do: the event loop
 * never blocked for more than 100 ms, the host's own growth within its share of the run's
 * memory bound, and host and sandboxes together within the bound (the defaults').
 */
export const HOST_BOUNDS = {
  maxDelayMs: 100,
  hostGrowthMiB: DEFAULT_MEMORY_PLAN.hostMb,
  totalGrowthMiB: DEFAULT_MEMORY_PLAN.memoryMb,
} as const;

export function describeHealth(h: HostHealth): string {
  const children = h.childrenGrowthMiB === null ? 'n/a' : `+${h.childrenGrowthMiB.toFixed(0)} MiB`;
  return (
    `event loop max ${h.maxDelayMs.toFixed(0)} ms (raw ${h.maxRawDelayMs.toFixed(0)} ms, p99 ${h.p99DelayMs.toFixed(0)} ms` +
    `${h.worstGap ? `; worst gap on CPU ${h.worstGap.onCpuMs.toFixed(0)} ms` : ''}), host RSS +${h.rssGrowthMiB.toFixed(0)} MiB ` +
    `(heap +${h.heapGrowthMiB.toFixed(0)}, ArrayBuffers +${h.arrayBufferGrowthMiB.toFixed(0)}), sandboxes ${children} (${h.maxChildren} at most), ` +
    `total +${h.totalGrowthMiB.toFixed(0)} MiB`
  );
}
