/**
 * 7. Host load: what a heavy run does to the host process. A child process
 * (bench/children/hostLoadChild.ts, bundled, plain node) runs one scripted runRlm over the
 * tree (--repo; the 50,000-file tree is the intended one) whose model lists everything,
 * greps hard (72 greps at once: plain, -i, with globs; then six hostile patterns at once,
 * which the grep worker's deadline stops or rg rejects so the JavaScript grep judges every
 * line, and a 120-star glob), reads 900 files (600 whole, 300 ranges, at once), stats 300,
 * clusters the tree and fans out 16 sub-calls. The model is an in-process script, so
 * everything measured is the engine's own work.
 *
 * Figures, each beside the host's bound (test/support/hostHealth.ts: the same monitor and
 * the same bounds the attack suites assert): the longest time the event loop was held by the
 * process itself (delays less the time the thread waited for a CPU), the raw longest delay and
 * its 99th percentile, the host's peak RSS growth, and host and sandbox processes together. The wall-clock row's reference is an idle node process's longest delay over
 * the same time, measured right after: on a shared machine the scheduler alone can stall a
 * process, and that is not the engine's doing.
 */
import type { HostLoadChildResult } from '../children/hostLoadChild';
import { HOST_BOUNDS } from '../../test/support/hostHealth';
import { bundleChild, runJsonChild, runProcess } from '../lib/proc';
import { median, type Row } from '../lib/stats';
import type { BenchContext, MeasurementResult } from '../lib/context';

/** An idle node process's longest event-loop delay over `ms` (the machine's own noise). */
async function idleDelay(ms: number): Promise<number> {
  const code = `const { monitorEventLoopDelay } = require('node:perf_hooks'); const h = monitorEventLoopDelay({ resolution: 10 }); h.enable(); setTimeout(() => { console.log(Math.max(0, h.max / 1e6 - 10).toFixed(1)); }, ${Math.round(ms)});`;
  const run = await runProcess(process.execPath, ['-e', code], { keep: true });
  return Number((run.stdout ?? '').trim());
}

export async function measureHostLoad(ctx: BenchContext): Promise<MeasurementResult> {
  const child = await bundleChild(ctx.projectRoot, 'bench/children/hostLoadChild.ts');
  const runs = Math.max(1, Math.min(ctx.runs, 3));
  const results: HostLoadChildResult[] = [];
  const idle: number[] = [];
  for (let run = 0; run < runs; run++) {
    const { result } = await runJsonChild<HostLoadChildResult>(child, [ctx.repo, ctx.rgPath ?? '-'], { timeoutMs: 15 * 60_000 });
    results.push(result);
    idle.push(await idleDelay(Math.min(result.runMs, 60_000)));
    ctx.log(
      `hostload: run ${run + 1}/${runs}: ${result.healthText}; ${(result.runMs / 1000).toFixed(1)} s; idle process max ${idle[idle.length - 1]} ms`,
    );
  }
  const health = results.map((r) => r.health);
  const worst = results.reduce((a, b) => (b.health.maxDelayMs > a.health.maxDelayMs ? b : a));
  const held = worst.health.maxDelayMs;
  const maxRaw = Math.max(...health.map((h) => h.maxRawDelayMs));
  const p99 = median(health.map((h) => h.p99DelayMs));
  const hostGrowth = Math.max(...health.map((h) => h.rssGrowthMiB));
  const totalGrowth = Math.max(...health.map((h) => h.totalGrowthMiB));
  const idleMax = Math.max(...idle);
  const last = results[results.length - 1]!;
  const s = last.summary;
  const what =
    `${s.files?.toLocaleString('en-US') ?? '?'} files; ${s.greps ?? '?'} greps (${s.grepHits?.toLocaleString('en-US') ?? '?'} hits), ` +
    `${s.hostileStopped ?? '?'} of 7 hostile greps stopped; ${s.reads ?? '?'} reads (${((s.readChars ?? 0) / 1e6).toFixed(1)} M chars); ${s.subCalls ?? '?'} sub-calls; ` +
    `${(median(results.map((r) => r.runMs)) / 1000).toFixed(1)} s per run${last.ready ? '' : ' (NOT READY)'}${last.cellErrors.length ? `; cell errors: ${last.cellErrors.join(' | ').slice(0, 200)}` : ''}`;
  const over = `${runs} heavy run${runs > 1 ? 's' : ''}`;
  const row = (name: string, unit: Row['unit'], value: number, bound: number, extra: Partial<Row> = {}): Row => ({
    group: 'hostload',
    name,
    unit,
    value: round(value),
    reference: null,
    referenceLabel: '',
    ratio: null,
    target: `≤ ${bound} ${unit}`,
    met: value <= bound,
    ...extra,
  });
  const rows: Row[] = [
    row(`event loop held by the host, max over ${over}`, 'ms', held, HOST_BOUNDS.maxDelayMs, { note: `delays less the time the thread waited for a CPU; worst run: ${worst.healthText}` }),
    row(`event-loop delay (wall clock), max over ${over}`, 'ms', maxRaw, HOST_BOUNDS.maxDelayMs, { reference: idleMax, referenceLabel: 'idle node process, same time', note: what }),
    row('event-loop delay, p99 (median of runs)', 'ms', p99, HOST_BOUNDS.maxDelayMs),
    row('host RSS, peak growth during the run', 'MiB', hostGrowth, HOST_BOUNDS.hostGrowthMiB, {
      reference: median(results.map((r) => r.startRssMiB)),
      referenceLabel: 'RSS at start',
      note: `maxRSS ${Math.max(...results.map((r) => r.maxRssMiB))} MiB`,
    }),
    row('host and sandbox processes, peak growth', 'MiB', totalGrowth, HOST_BOUNDS.totalGrowthMiB),
  ];
  return { rows, raw: { results, idleMaxDelayMs: idle } };
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
