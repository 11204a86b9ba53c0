/**
 * 1. Sandbox: cold start of a worker with lockdown(), a trivial cell's round trip, and the
 * round trip of one endowment call (repo.stat), each beside a reference measured here:
 * a bare worker thread (same resource limits, no SES), a raw postMessage echo, and the
 * same repo.stat called directly on the host.
 */
import { Worker } from 'node:worker_threads';
import * as path from 'node:path';
import { Sandbox } from '../../src/core/sandbox/sandbox';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { median, ratio, summarize, type Row } from '../lib/stats';
import type { BenchContext, MeasurementResult } from '../lib/context';

const WARM_CELLS_PER_RUN = 100;
const STAT_CALLS = 1000;
/** Same limits as the sandbox's worker (sandbox.ts), so the bare reference differs only by SES. */
const RESOURCE_LIMITS = { maxOldGenerationSizeMb: 512, maxYoungGenerationSizeMb: 32, stackSizeMb: 4 };

function bareWorker(code: string): Worker {
  return new Worker(code, { eval: true, env: {}, execArgv: [], resourceLimits: RESOURCE_LIMITS, stdout: true, stderr: true });
}

/** Starts a worker running `code` and resolves when it posts its first message. */
async function startAndWaitReady(code: string): Promise<{ ms: number; worker: Worker }> {
  const t0 = performance.now();
  const worker = bareWorker(code);
  worker.stdout.resume();
  worker.stderr.resume();
  await new Promise<void>((resolve, reject) => {
    worker.once('message', () => resolve());
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`reference worker exited with ${code}`)));
  });
  return { ms: performance.now() - t0, worker };
}

export async function measureSandbox(ctx: BenchContext): Promise<MeasurementResult> {
  const repo = new WorkspaceRepo(ctx.projectRoot);
  await repo.stat('package.json'); // listing and the file's caches, so every call below costs the same
  const handleCall = async (name: string, args: unknown[]): Promise<unknown> => {
    if (name === 'repo.stat') return repo.stat(args[0] as string);
    throw new Error(`not available in this benchmark: ${name}`);
  };

  const cold: number[] = [];
  const bare: number[] = [];
  const warm: number[] = [];
  const echo: number[] = [];
  const statSandbox: number[] = [];
  const statDirect: number[] = [];
  const coldRuns = Math.max(ctx.runs * 2, 10);

  // Cold starts, interleaved so that drift affects both alike.
  for (let i = 0; i < coldRuns; i++) {
    const b = await startAndWaitReady("require('node:worker_threads').parentPort.postMessage('ready')");
    bare.push(b.ms);
    await b.worker.terminate();

    const sandbox = new Sandbox({ repoName: 'bench', handleCall });
    const t0 = performance.now();
    await sandbox.warm();
    cold.push(performance.now() - t0);
    await sandbox.dispose();
  }

  for (let run = 0; run < ctx.runs; run++) {
    // Warm cell round trips, against a raw postMessage echo.
    const sandbox = new Sandbox({ repoName: 'bench', handleCall });
    try {
      await sandbox.warm();
      await sandbox.runCell('1'); // first cell compiles the paths once
      for (let i = 0; i < WARM_CELLS_PER_RUN; i++) {
        const t0 = performance.now();
        const outcome = await sandbox.runCell('1');
        warm.push(performance.now() - t0);
        if (outcome.error) throw new Error(`trivial cell failed: ${outcome.error}`);
      }

      const echoWorker = bareWorker("const { parentPort } = require('node:worker_threads'); parentPort.on('message', (m) => parentPort.postMessage(m));");
      try {
        const roundTrip = (m: unknown) =>
          new Promise<void>((resolve) => {
            echoWorker.once('message', () => resolve());
            echoWorker.postMessage(m);
          });
        await roundTrip({ type: 'warm-up' });
        for (let i = 0; i < WARM_CELLS_PER_RUN; i++) {
          const t0 = performance.now();
          await roundTrip({ type: 'run', cellId: i, script: '1', declaredNames: [], answer: { content: '', ready: false } });
          echo.push(performance.now() - t0);
        }
      } finally {
        await echoWorker.terminate();
      }

      // 1,000 sequential repo.stat calls from one cell, against the same calls on the host.
      const code = `for (let i = 0; i < ${STAT_CALLS}; i++) await repo.stat("package.json"); print("ok")`;
      await sandbox.runCell(code); // warm-up
      const t0 = performance.now();
      const outcome = await sandbox.runCell(code);
      const cellMs = performance.now() - t0;
      if (outcome.error || outcome.output.trim() !== 'ok') throw new Error(`stat cell failed: ${outcome.error ?? outcome.output}`);
      statSandbox.push((cellMs * 1000) / STAT_CALLS);

      const t1 = performance.now();
      for (let i = 0; i < STAT_CALLS; i++) await repo.stat('package.json');
      statDirect.push(((performance.now() - t1) * 1000) / STAT_CALLS);
    } finally {
      await sandbox.dispose();
    }
  }

  const coldMs = median(cold);
  const warmMs = median(warm);
  const statUs = median(statSandbox);
  const rows: Row[] = [
    {
      group: 'sandbox',
      name: 'worker start with lockdown() (cold)',
      unit: 'ms',
      value: coldMs,
      reference: median(bare),
      referenceLabel: 'bare worker',
      ratio: ratio(coldMs, median(bare)),
      target: '',
      met: null,
      note: `new Sandbox().warm() until the worker's "ready" (bundle loaded, lockdown(), Compartment and endowments built), against a worker that posts "ready" at once; ${cold.length} starts each.`,
    },
    {
      group: 'sandbox',
      name: 'trivial cell round trip (warm)',
      unit: 'ms',
      value: warmMs,
      reference: median(echo),
      referenceLabel: 'postMessage echo',
      ratio: ratio(warmMs, median(echo)),
      target: '< 5 ms',
      met: warmMs < 5,
      note: `p90 ${summarize(warm).p90.toFixed(2)} ms over ${warm.length} cells; includes the idle ping the host sends after every cell.`,
    },
    {
      group: 'sandbox',
      name: `endowment call round trip (${STAT_CALLS.toLocaleString('en-US')} × repo.stat)`,
      unit: 'µs',
      value: statUs,
      reference: median(statDirect),
      referenceLabel: 'direct repo.stat',
      ratio: ratio(statUs, median(statDirect)),
      target: '',
      met: null,
      note: `per call; ${(statUs * STAT_CALLS / 1000).toFixed(1)} ms for the whole cell.`,
    },
  ];
  return {
    rows,
    raw: {
      coldStartMs: cold,
      bareWorkerStartMs: bare,
      warmCellMs: warm,
      echoRoundTripMs: echo,
      statCallSandboxUs: statSandbox,
      statCallDirectUs: statDirect,
      statFile: path.join(ctx.projectRoot, 'package.json'),
    },
  };
}
