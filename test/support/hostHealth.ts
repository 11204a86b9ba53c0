/**
 * What an attack did to the host process while it ran: the longest time the event loop was
 * blocked (perf_hooks.monitorEventLoopDelay) and how much the process grew (peak RSS,
 * ArrayBuffer memory and V8 heap beyond the baseline taken just before). The attack suite
 * asserts these against the host's bounds.
 *
 * Sandboxes are processes of their own, so their memory is not in the host's RSS: on Linux
 * the private resident memory of every descendant process is sampled too (/proc/<pid>/statm,
 * resident minus file-backed pages, so the executable's shared code is not counted), and
 * `totalGrowthMiB` is the peak of host and children together, the figure the run's memory
 * bound covers.
 *
 * Memory is sampled on a timer (10 ms) and once more at the end: a peak between samples can
 * be missed by at most that much growth, which the bounds leave room for.
 */
import { readFileSync } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { DEFAULT_MEMORY_PLAN } from '../../src/core/sandbox/memory';
import { processCounts } from '../../src/core/sandbox/processes';

export interface HostHealth {
  /**
   * Longest event-loop delay seen, in ms, that is the host's own: less the time the main
   * thread waited for a CPU during it (Linux: /proc/<pid>/task/<pid>/schedstat), or what a
   * control thread that does nothing was late by then, whichever is more. On a machine shared
   * with other work, a timer fires late also because the kernel ran the thread late; that is
   * the machine's load, not the host blocking its own loop. Without schedstat, the raw delay.
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
  /** Most descendant processes alive at once (the sandbox zygote, tsx's esbuild and ripgrep count too). */
  maxChildren: number;
  /** Most sandbox processes alive at once, as the sandbox counts them (started and not yet seen gone). */
  maxSandboxes: number;
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
 * A small /proc file, read asynchronously into a pooled buffer. readFile would allocate 64 KiB
 * for each (a /proc file reports no size), which at a sample every 10 ms is itself megabytes
 * of ArrayBuffers a second, and would show as the host's growth.
 */
async function readProc(file: string): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.allocUnsafe(4_096);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** The children of `pid`, from every one of its threads (a child belongs to the thread that forked it). */
async function childrenOf(pid: number | 'self'): Promise<number[]> {
  const tasks = await readdir(`/proc/${pid}/task`);
  const lists = await Promise.all(tasks.map((t) => readProc(`/proc/${pid}/task/${t}/children`).catch(() => '')));
  return lists.flatMap((l) => l.trim().split(/\s+/).filter(Boolean).map(Number));
}

/**
 * Private resident bytes of each process descended from this one (the sandbox zygote and the
 * sandboxes it starts), or null where /proc is not available. Read asynchronously: reading
 * another process's statm waits for its memory map lock, which a sandbox mapping hundreds of
 * MiB holds for a while, and the watcher must not block the event loop it is measuring.
 */
async function childrenMemory(page: number): Promise<Map<number, number> | null> {
  let pids: number[];
  try {
    pids = await childrenOf('self');
  } catch {
    return null;
  }
  const out = new Map<number, number>();
  for (let i = 0; i < pids.length; i++) {
    const pid = pids[i]!;
    try {
      const [, resident, shared] = (await readProc(`/proc/${pid}/statm`)).split(' ').map(Number);
      out.set(pid, (resident! - shared!) * page);
      pids.push(...(await childrenOf(pid)));
    } catch {
      // exited between the listing and the read
    }
  }
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

/** The worst timer gap: how late it fired, how late the control thread's timers were then, how long the main thread waited for a CPU and ran in it. */
export interface WorstGap {
  lateMs: number;
  controlLateMs: number;
  waitMs: number;
  onCpuMs: number;
}

const RING = 8_192;

/**
 * A control: a thread of this process that only keeps a 5 ms timer, and records when each
 * tick came and how late. When the machine is loaded (other processes saturating every
 * core), the kernel wakes every thread late, this one as much as the main thread; what the
 * host's own work costs shows on the main thread only. Shared memory, so that reading it
 * costs the main thread nothing.
 */
function startControl(interval: number): { lateDuring(fromMs: number, toMs: number): number; stop(): void } {
  const shared = new SharedArrayBuffer(8 * 2 * RING + 4);
  const ticks = new Float64Array(shared, 0, 2 * RING);
  const count = new Int32Array(shared, 8 * 2 * RING, 1);
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const ticks = new Float64Array(workerData, 0, ${2 * RING});
     const count = new Int32Array(workerData, ${8 * 2 * RING}, 1);
     let last = performance.timeOrigin + performance.now();
     setInterval(() => {
       const now = performance.timeOrigin + performance.now();
       const i = Atomics.load(count, 0) % ${RING};
       ticks[2 * i] = now;
       ticks[2 * i + 1] = now - last - ${interval};
       last = now;
       Atomics.add(count, 0, 1);
     }, ${interval});`,
    { eval: true, workerData: shared },
  );
  worker.unref();
  return {
    /** The latest the control's timer was in (fromMs, toMs], epoch milliseconds. */
    lateDuring(fromMs, toMs) {
      const n = Atomics.load(count, 0);
      let max = 0;
      for (let k = n - 1; k >= Math.max(0, n - RING); k--) {
        const at = ticks[2 * (k % RING)]!;
        if (at <= fromMs) break;
        if (at <= toMs + interval) max = Math.max(max, ticks[2 * (k % RING) + 1]!);
      }
      return max;
    },
    stop: () => void worker.terminate(),
  };
}

/**
 * The longest event-loop delay that is the host's own: a timer every `interval` ms notes how
 * late it fired, less what explains it besides the host's work: the main thread waiting for a
 * CPU (schedstat), or the whole machine waking threads late (the control thread was as late).
 */
function busyDelayMonitor(interval: number): { stop(): { maxMs: number; worst: WorstGap | null } | null } {
  let lastWait = runQueueWaitNs();
  if (lastWait === null) return { stop: () => null };
  const control = startControl(interval);
  let last = performance.now();
  let lastRun = schedstat()?.[0] ?? 0;
  let max = 0;
  let worst: WorstGap | null = null;
  const tick = () => {
    const now = performance.now();
    const [run, wait] = schedstat() ?? [lastRun, lastWait!];
    const late = now - last - interval;
    const waitMs = (wait - lastWait!) / 1e6;
    const controlLate = control.lateDuring(performance.timeOrigin + last, performance.timeOrigin + now);
    const d = late - Math.max(waitMs, controlLate);
    if (d > max) {
      max = d;
      worst = { lateMs: late, controlLateMs: controlLate, waitMs, onCpuMs: (run - lastRun) / 1e6 };
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
      control.stop();
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
  let peak = { rss: base.rss, arrayBuffers: base.arrayBuffers, heapUsed: base.heapUsed, children: baseChildrenBytes, total: base.rss + baseChildrenBytes, count: baseChildren?.size ?? 0, sandboxes: processCounts.started - processCounts.exited };
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
      sandboxes: Math.max(peak.sandboxes, processCounts.started - processCounts.exited),
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
        maxSandboxes: peak.sandboxes,
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
    `${h.worstGap ? `; worst gap: late ${h.worstGap.lateMs.toFixed(0)}, control ${h.worstGap.controlLateMs.toFixed(0)}, waiting ${h.worstGap.waitMs.toFixed(0)}, on CPU ${h.worstGap.onCpuMs.toFixed(0)} ms` : ''}), host RSS +${h.rssGrowthMiB.toFixed(0)} MiB ` +
    `(heap +${h.heapGrowthMiB.toFixed(0)}, ArrayBuffers +${h.arrayBufferGrowthMiB.toFixed(0)}), sandboxes ${children} (${h.maxSandboxes} at most), ` +
    `total +${h.totalGrowthMiB.toFixed(0)} MiB`
  );
}
