/**
 * Child process of the soak (bundled, run with `node --expose-gc`): N sequential runRlm
 * runs in this one process, through OpenAIProvider to the bench's model server, each run
 * with grep, files, read, an llm.batch and a recursive rlm() (a second sandbox process).
 * Prints one JSON line: resources, threads, workers and memory before the first run,
 * after run 10, after the last run, and after the connection pool has been idle.
 *
 *   node --expose-gc soakChild.js URL REPO_DIR RUNS
 */
import * as fs from 'node:fs';
import * as v8 from 'node:v8';
import { runRlm } from '../../src/core/engine/rlm';
import { OpenAIProvider } from '../../src/core/providers/openaiProvider';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { findRipgrep } from '../../src/cli/ripgrep';
import { processCounts } from '../../src/core/sandbox/processes';

const MiB = 2 ** 20;
/** Longer than undici's keep-alive timeout (4 s), so idle pooled sockets have closed. */
export const IDLE_WAIT_MS = 5_000;
const HEAP_EVERY = 25;

// Sandbox processes as the sandbox counts them (processes.ts): started, and seen exited.
const workers = processCounts;
// The grep worker (dist/grep-worker.js) is a thread, one per process, shared by every run, and
// ends itself after 2 s without work, so it is checked after idling: wrap the Worker class the
// grep pool constructs (it reads `worker_threads.Worker` at construction time).
const workerThreads = require('node:worker_threads') as { Worker: new (...args: any[]) => import('node:worker_threads').Worker };
let grepWorkersStarted = 0;
let grepWorkersExited = 0;
const OriginalWorker = workerThreads.Worker;
workerThreads.Worker = class CountingWorker extends OriginalWorker {
  constructor(...args: any[]) {
    super(...args);
    if (String(args[0]).includes('grep-worker')) {
      grepWorkersStarted++;
      this.once('exit', () => grepWorkersExited++);
    }
  }
};

export interface SoakSnapshot {
  afterRun: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** V8 heap reserved (heapTotal) and its young generation (new_space size): what RSS holds beyond the live heap. */
  heapTotalMiB: number;
  newSpaceMiB: number;
  /** Memory outside the V8 heap: ArrayBuffers and C++ objects bound to JS. */
  externalMiB: number;
  /** process.getActiveResourcesInfo(), counted by type. */
  resources: Record<string, number>;
  /** OS threads of this process (/proc/self/task), or null off Linux. */
  threads: number | null;
  /** Open file descriptors and, among them, sockets (/proc/self/fd), or null off Linux. */
  fds: number | null;
  sockets: number | null;
  workersLive: number;
  grepWorkersLive: number;
}

export interface SoakChildResult {
  runs: number;
  baseline: SoakSnapshot;
  after10: SoakSnapshot;
  /** After run 10 and IDLE_WAIT_MS of idling, to compare with afterIdle like for like. */
  after10Idle: SoakSnapshot;
  afterAll: SoakSnapshot;
  afterIdle: SoakSnapshot;
  workersStarted: number;
  workersExited: number;
  grepWorkersStarted: number;
  runMs: number[];
  rssMiBPerRun: number[];
  /** Heap used after GC every HEAP_EVERY runs: a leak shows as a steady climb. */
  heapCurve: Array<{ run: number; heapUsedMiB: number; rssMiB: number }>;
  failures: string[];
}

function countBy(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}

/** Open descriptors, and sockets among them: idle pooled HTTP sockets are unref'd and so missing from getActiveResourcesInfo(). */
function descriptors(): { fds: number | null; sockets: number | null } {
  try {
    const fds = fs.readdirSync('/proc/self/fd');
    let sockets = 0;
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) sockets++;
      } catch {
        // closed meanwhile (the directory handle itself)
      }
    }
    return { fds: fds.length, sockets };
  } catch {
    return { fds: null, sockets: null };
  }
}

function threads(): number | null {
  try {
    return fs.readdirSync('/proc/self/task').length;
  } catch {
    return null;
  }
}

async function settle(): Promise<void> {
  // Let closing handles finish closing, then collect garbage twice (weak refs, finalizers).
  await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setImmediate(r));
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  await new Promise((r) => setImmediate(r));
  gc?.();
}

async function snapshot(afterRun: number): Promise<SoakSnapshot> {
  await settle();
  const m = process.memoryUsage();
  return {
    afterRun,
    rssMiB: round(m.rss / MiB),
    heapUsedMiB: round(m.heapUsed / MiB),
    heapTotalMiB: round(m.heapTotal / MiB),
    newSpaceMiB: round((v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0) / MiB),
    externalMiB: round(m.external / MiB),
    resources: countBy(process.getActiveResourcesInfo()),
    threads: threads(),
    ...descriptors(),
    workersLive: workers.started - workers.exited,
    grepWorkersLive: grepWorkersStarted - grepWorkersExited,
  };
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

async function main(): Promise<void> {
  const [url, repoDir, runsArg] = process.argv.slice(2);
  const runs = Number(runsArg);
  if (!url || !repoDir || !Number.isInteger(runs) || runs < 11) throw new Error('usage: soakChild URL REPO_DIR RUNS (RUNS > 10)');
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') throw new Error('run with --expose-gc');

  // Process-lifetime handles go into the baseline, so they do not look like leaks: libuv's
  // thread pool (started by the first fs call) and the stdio pipes (opened lazily, e.g.
  // when node:assert is first loaded and checks whether stderr takes colours).
  await fs.promises.readFile(repoDir + '/README.md');
  void process.stdout;
  void process.stderr;
  const provider = new OpenAIProvider({ baseURL: url, model: 'bench-model', maxRetries: 0 });
  const baseline = await snapshot(0);
  let after10: SoakSnapshot | null = null;
  let after10Idle: SoakSnapshot | null = null;
  const runMs: number[] = [];
  const rssMiBPerRun: number[] = [];
  const failures: string[] = [];
  const heapCurve: SoakChildResult['heapCurve'] = [{ run: 0, heapUsedMiB: baseline.heapUsedMiB, rssMiB: baseline.rssMiB }];
  for (let run = 1; run <= runs; run++) {
    const t0 = performance.now();
    try {
      const result = await runRlm({
        repo: new WorkspaceRepo(repoDir, { ripgrepPath: findRipgrep() }),
        query: 'What do the modules export?',
        root: { provider },
        limits: { subCallConcurrency: 4 },
      });
      if (!result.ready) failures.push(`run ${run}: not ready (${result.note})`);
      const cellError = result.trace.root.steps.flatMap((s) => s.cells).find((c) => c.error)?.error;
      if (cellError) failures.push(`run ${run}: ${cellError}`);
    } catch (error) {
      failures.push(`run ${run}: ${error instanceof Error ? error.message : String(error)}`);
    }
    runMs.push(Math.round(performance.now() - t0));
    rssMiBPerRun.push(round(process.memoryUsage().rss / MiB));
    if (run === 10) {
      after10 = await snapshot(10);
      await new Promise((r) => setTimeout(r, IDLE_WAIT_MS));
      after10Idle = await snapshot(10);
    }
    if (run % HEAP_EVERY === 0 || run === 10) {
      const s = run === 10 ? after10! : await snapshot(run);
      heapCurve.push({ run, heapUsedMiB: s.heapUsedMiB, rssMiB: s.rssMiB });
    }
  }
  const afterAll = await snapshot(runs);
  await new Promise((r) => setTimeout(r, IDLE_WAIT_MS));
  const afterIdle = await snapshot(runs);

  const result: SoakChildResult = { runs, baseline, after10: after10!, after10Idle: after10Idle!, afterAll, afterIdle, workersStarted: workers.started, workersExited: workers.exited, grepWorkersStarted, runMs, rssMiBPerRun, heapCurve, failures: failures.slice(0, 20) };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
