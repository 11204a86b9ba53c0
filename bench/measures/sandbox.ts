/**
 * 1. Sandbox: cold start of a sandbox process with lockdown(), a trivial cell's round trip,
 * and the round trip of one endowment call (repo.stat), each beside a reference measured
 * here: a bare Node process (the same heap flags, no SES) that says "ready" at once, a raw
 * echo of one line over its pipes, and the same repo.stat called directly on the host.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import { Sandbox } from '../../src/core/sandbox/sandbox';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { median, ratio, summarize, type Row } from '../lib/stats';
import type { BenchContext, MeasurementResult } from '../lib/context';

const WARM_CELLS_PER_RUN = 100;
const STAT_CALLS = 1000;
/** The sandbox's own heap flags (sandbox.ts, default plan), so the bare reference differs only by SES. */
const FLAGS = ['--max-old-space-size=96', '--max-semi-space-size=5', '--expose-gc'];

function bareProcess(code: string): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [...FLAGS, '-e', code], { stdio: ['pipe', 'pipe', 'pipe'], env: {} });
}

/** Starts a process running `code` and resolves when it writes its first line. */
async function startAndWaitReady(code: string): Promise<{ ms: number; child: ChildProcessWithoutNullStreams }> {
  const t0 = performance.now();
  const child = bareProcess(code);
  child.stderr.resume();
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`reference process exited with ${code}`)));
  });
  return { ms: performance.now() - t0, child };
}

/** Ends a reference process and waits until it is gone. */
function stop(child: ChildProcessWithoutNullStreams): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
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
    const b = await startAndWaitReady("process.stdout.write('ready\\n'); process.stdin.resume()");
    bare.push(b.ms);
    await stop(b.child);

    const sandbox = new Sandbox({ repoName: 'bench', handleCall });
    const t0 = performance.now();
    await sandbox.warm();
    cold.push(performance.now() - t0);
    await sandbox.dispose();
  }

  for (let run = 0; run < ctx.runs; run++) {
    // Warm cell round trips, against a raw line echo over a process's pipes.
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

      const echo1 = bareProcess("process.stdin.on('data', (d) => process.stdout.write(d))");
      echo1.stderr.resume();
      try {
        const roundTrip = (m: unknown) =>
          new Promise<void>((resolve) => {
            echo1.stdout.once('data', () => resolve());
            echo1.stdin.write(JSON.stringify(m) + '\n');
          });
        await roundTrip({ type: 'warm-up' });
        for (let i = 0; i < WARM_CELLS_PER_RUN; i++) {
          const t0 = performance.now();
          await roundTrip({ type: 'run', cellId: i, source: '1', answer: { content: '', ready: false }, repoName: 'bench' });
          echo.push(performance.now() - t0);
        }
      } finally {
        await stop(echo1);
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
      name: 'sandbox process start with lockdown() (cold)',
      unit: 'ms',
      value: coldMs,
      reference: median(bare),
      referenceLabel: 'bare node process',
      ratio: ratio(coldMs, median(bare)),
      target: '',
      met: null,
      note: `new Sandbox().warm() until the sandbox's "ready" (process started by the zygote, bundle loaded, lockdown(), Compartment and endowments built), against a node process that writes "ready" at once; ${cold.length} starts each.`,
    },
    {
      group: 'sandbox',
      name: 'trivial cell round trip (warm)',
      unit: 'ms',
      value: warmMs,
      reference: median(echo),
      referenceLabel: 'line echo over pipes',
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
      bareProcessStartMs: bare,
      warmCellMs: warm,
      echoRoundTripMs: echo,
      statCallSandboxUs: statSandbox,
      statCallDirectUs: statDirect,
      statFile: path.join(ctx.projectRoot, 'package.json'),
    },
  };
}
