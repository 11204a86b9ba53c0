/**
 * 6. Soak: 200 sequential runRlm runs in one fresh process (bench/children/soakChild.ts)
 * through the real openai client to the bench's model server (a process of its own).
 * Leaks are looked for four ways: sandbox workers constructed vs exited, OS threads,
 * process.getActiveResourcesInfo() against the baseline taken before the first run (at
 * once, and after the connection pool has idled), and whether the process exits on its
 * own once its work is done. Memory: RSS and heap (after GC) at the end against after
 * run 10.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { SoakChildResult, SoakSnapshot } from '../children/soakChild';
import { bundleChild, startServerChild } from '../lib/proc';
import { median, ratio, resourceDiff, within, type Row } from '../lib/stats';
import type { BenchContext, MeasurementResult } from '../lib/context';

/** How long the child may take to exit on its own once it has printed its result. */
const EXIT_GRACE_MS = 10_000;
const MEMORY_TARGET = 1.1;

function describe(s: SoakSnapshot): string {
  const res = Object.entries(s.resources).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
  return `rss ${s.rssMiB} MiB (V8 heap ${s.heapTotalMiB} of which young gen. ${s.newSpaceMiB}, external ${s.externalMiB}), heap used ${s.heapUsedMiB} MiB, threads ${s.threads ?? '?'}, fds ${s.fds ?? '?'} (sockets ${s.sockets ?? '?'}), live sandbox processes ${s.workersLive}, resources: ${res}`;
}

export async function measureSoak(ctx: BenchContext): Promise<MeasurementResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-bench-soak-'));
  ctx.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'README.md'), '# soak\n');
  fs.mkdirSync(path.join(dir, 'src'));
  for (let i = 0; i < 8; i++) {
    fs.writeFileSync(path.join(dir, 'src', `mod${i}.ts`), `export const value${i} = ${i};\nexport function run${i}() {\n  return value${i} * 2;\n}\n`);
  }

  const server = await startServerChild(ctx.projectRoot, ['soak', '0']);
  ctx.defer(() => server.close());
  const child = await bundleChild(ctx.projectRoot, 'bench/children/soakChild.ts');

  let result: SoakChildResult;
  let exitedOnItsOwn: boolean;
  let stderr = '';
  const t0 = performance.now();
  try {
    ({ result, exitedOnItsOwn } = await new Promise<{ result: SoakChildResult; exitedOnItsOwn: boolean }>((resolve, reject) => {
      const proc = spawn(process.execPath, ['--expose-gc', child, server.url, dir, String(ctx.soakRuns)], { stdio: ['ignore', 'pipe', 'pipe'] });
      ctx.defer(() => {
        if (proc.exitCode === null) proc.kill('SIGKILL');
      });
      let out = '';
      let parsed: SoakChildResult | null = null;
      let grace: NodeJS.Timeout | null = null;
      let killedByUs = false;
      const overall = setTimeout(() => {
        killedByUs = true;
        proc.kill('SIGKILL');
      }, 15 * 60_000);
      proc.stderr.on('data', (d: Buffer) => {
        if (stderr.length < 20_000) stderr += d.toString('utf8');
      });
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString('utf8');
        const line = out.trim().split('\n').pop() ?? '';
        if (parsed === null && line.startsWith('{') && out.endsWith('\n')) {
          parsed = JSON.parse(line) as SoakChildResult;
          grace = setTimeout(() => {
            killedByUs = true;
            proc.kill('SIGKILL');
          }, EXIT_GRACE_MS);
        }
      });
      proc.once('error', reject);
      proc.once('close', (code) => {
        clearTimeout(overall);
        if (grace) clearTimeout(grace);
        if (parsed === null) reject(new Error(`soak child exited with ${code} without a result: ${stderr.slice(-2000)}`));
        else resolve({ result: parsed, exitedOnItsOwn: !killedByUs && code === 0 });
      });
    }));
  } finally {
    await server.close();
  }
  ctx.log(`soak: ${result.runs} runs in ${((performance.now() - t0) / 1000).toFixed(0)} s`);

  const { baseline, after10, after10Idle, afterAll, afterIdle } = result;
  // The heap point half-way through (the curve is sampled every 25 runs).
  const half = [...result.heapCurve].reverse().find((h) => h.run <= result.runs / 2 && h.run >= 10) ?? null;
  const leakedWorkers = afterAll.workersLive - baseline.workersLive;
  const threadDelta = afterIdle.threads !== null && baseline.threads !== null ? afterIdle.threads - baseline.threads : null;
  const diffIdle = resourceDiff(baseline.resources, afterIdle.resources);
  const diffAll = resourceDiff(baseline.resources, afterAll.resources);
  const diff10 = resourceDiff(after10.resources, afterAll.resources);
  const count = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  const first10 = median(result.runMs.slice(0, 10));
  const last10 = median(result.runMs.slice(-10));

  const rows: Row[] = [
    {
      group: 'soak',
      name: `live sandbox processes after ${result.runs} runs`,
      unit: 'count',
      value: afterAll.workersLive,
      reference: baseline.workersLive,
      referenceLabel: 'before run 1',
      ratio: null,
      target: 'no leak',
      met: leakedWorkers === 0 && result.workersStarted > 0 && (threadDelta === null || threadDelta <= 0) && afterIdle.grepWorkersLive === 0,
      note:
        `${result.workersStarted} sandbox processes started, ${result.workersExited} exited; OS threads ${baseline.threads ?? '?'} before, ` +
        `${after10.threads ?? '?'} after run 10, ${afterAll.threads ?? '?'} after run ${result.runs}, ${afterIdle.threads ?? '?'} after idling; ` +
        `the process's grep worker: started ${result.grepWorkersStarted} times, ${afterAll.grepWorkersLive} live right after the last run, ${afterIdle.grepWorkersLive} after idling.`,
    },
    {
      group: 'soak',
      name: 'active handles (sockets, timers, ...) after runs + 5 s idle',
      unit: 'count',
      value: count(afterIdle.resources),
      reference: count(baseline.resources),
      referenceLabel: 'before run 1',
      ratio: null,
      target: 'no leak',
      met: diffIdle === '' && exitedOnItsOwn,
      note:
        `at once after run ${result.runs}: ${diffAll || 'same as baseline'} (vs after run 10: ${diff10 || 'same'}); after idling: ${diffIdle || 'same as baseline'}; ` +
        `process ${exitedOnItsOwn ? 'exited on its own' : `did NOT exit within ${EXIT_GRACE_MS / 1000} s of finishing`}.`,
    },
    {
      group: 'soak',
      name: `RSS right after run ${result.runs}`,
      unit: 'MiB',
      value: afterAll.rssMiB,
      reference: after10.rssMiB,
      referenceLabel: 'right after run 10',
      ratio: ratio(afterAll.rssMiB, after10.rssMiB),
      target: `≤ ${MEMORY_TARGET}×`,
      met: within(ratio(afterAll.rssMiB, after10.rssMiB), MEMORY_TARGET),
      note:
        `V8 heap reserved ${after10.heapTotalMiB} → ${afterAll.heapTotalMiB} MiB, of which young generation ${after10.newSpaceMiB} → ${afterAll.newSpaceMiB} MiB; ` +
        `median run ${first10} ms over runs 1-10, ${last10} ms over the last 10; ${result.failures.length} failed runs${result.failures[0] ? ` (${result.failures[0]})` : ''}.`,
    },
    {
      group: 'soak',
      name: `RSS after run ${result.runs} + 5 s idle`,
      unit: 'MiB',
      value: afterIdle.rssMiB,
      reference: after10Idle.rssMiB,
      referenceLabel: 'after run 10 + 5 s idle',
      ratio: ratio(afterIdle.rssMiB, after10Idle.rssMiB),
      target: `≤ ${MEMORY_TARGET}×`,
      met: within(ratio(afterIdle.rssMiB, after10Idle.rssMiB), MEMORY_TARGET),
    },
    {
      group: 'soak',
      name: `heap used after GC, after run ${result.runs}`,
      unit: 'MiB',
      value: afterAll.heapUsedMiB,
      reference: half?.heapUsedMiB ?? null,
      referenceLabel: `after run ${half?.run ?? '?'}`,
      ratio: ratio(afterAll.heapUsedMiB, half?.heapUsedMiB ?? null),
      target: `≤ ${MEMORY_TARGET}×`,
      met: within(ratio(afterAll.heapUsedMiB, half?.heapUsedMiB ?? null), MEMORY_TARGET),
      note:
        `against run 10: ${after10.heapUsedMiB} MiB (${ratio(afterAll.heapUsedMiB, after10.heapUsedMiB)?.toFixed(2)}×); ` +
        `the second half is the leak test, the first includes warm-up (see the curve below).`,
    },
  ];
  if (result.failures.length > 0) rows.forEach((r) => (r.met = false));
  const details = [
    `Soak (${result.runs} runs, one process):`,
    `  before run 1:     ${describe(baseline)}`,
    `  after run 10:     ${describe(after10)}`,
    `  + 5 s idle:       ${describe(after10Idle)}`,
    `  after run ${String(result.runs).padEnd(6)} ${describe(afterAll)}`,
    `  after 5 s idle:   ${describe(afterIdle)}`,
    `  heap after GC by run: ${result.heapCurve.map((h) => `${h.run}: ${h.heapUsedMiB}`).join(', ')} MiB`,
    ...(stderr.trim() ? [`  child stderr (first lines): ${stderr.trim().split('\n').slice(0, 3).join(' | ')}`] : []),
  ];
  return { rows, details, raw: { ...result, exitedOnItsOwn, stderr: stderr.slice(0, 5000) } };
}
