/**
 * The longest time the event loop was held by this process itself: the gaps between ticks
 * of a 5 ms timer, less the time the main thread spent runnable but waiting for a CPU
 * (`run_delay` in /proc/thread-self/schedstat). On a machine whose cores are busy with
 * other processes (or whose virtual CPUs the hypervisor takes away), the wall-clock delay
 * `underWatch` reports also counts the scheduler's stalls, which no code in this process
 * can prevent; this counts what ran on this thread (our code, the collector, blocking
 * system calls). Null where schedstat is missing: then the wall-clock figure is the one.
 * (test/attacks/hostileRepo.test.ts has the same probe inline.)
 */
import * as fs from 'node:fs';

export interface OwnDelayProbe {
  /** Stops the probe; the worst held time in ms, or null without schedstat. */
  stop(): number | null;
  /** The worst gap, broken down (on a CPU, waiting for one). */
  worst(): string;
}

export function ownDelayProbe(): OwnDelayProbe {
  const STAT = '/proc/thread-self/schedstat';
  // [time on a CPU, time runnable but waiting for one], both in ms.
  const sched = (): [number, number] | null => {
    try {
      const [exec, wait] = fs.readFileSync(STAT, 'utf8').split(' ');
      return [Number(exec) / 1e6, Number(wait) / 1e6];
    } catch {
      return null;
    }
  };
  let lastStat = sched();
  if (lastStat === null) return { stop: () => null, worst: () => '' };
  let last = performance.now();
  let max = 0;
  let worst = '';
  const tick = setInterval(() => {
    const now = performance.now();
    const stat = sched() ?? lastStat!;
    const gap = now - last - 5;
    const waited = stat[1] - lastStat![1];
    if (gap - waited > max) {
      max = gap - waited;
      worst = `worst gap ${gap.toFixed(0)} ms: ${(stat[0] - lastStat![0]).toFixed(0)} ms on a CPU, ${waited.toFixed(0)} ms waiting for one`;
    }
    last = now;
    lastStat = stat;
  }, 5);
  return {
    stop: () => {
      clearInterval(tick);
      return Math.max(0, max);
    },
    worst: () => worst,
  };
}
