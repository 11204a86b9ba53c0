/**
 * Child process of the memory measurement (bundled by bench/measures/memory.ts and run
 * with plain node): lists, greps and reads across a tree through WorkspaceRepo, the way a
 * heavy run would, then prints one JSON line with its own peak RSS.
 *
 *   node memoryChild.js ROOT RG_PATH|-
 */
import { MAX_RESULTS_CAP, WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { PATTERNS } from '../lib/patterns';

const MiB = 2 ** 20;

export interface MemoryChildResult {
  /** RSS right after start (modules loaded, nothing done yet). */
  startRssMiB: number;
  /** process.resourceUsage().maxRSS at the end: the peak over the whole life of the process. */
  peakRssMiB: number;
  endRssMiB: number;
  heapUsedEndMiB: number;
  /** Peak after each phase, to show which one raised it. */
  phases: Array<{ phase: string; ms: number; peakRssMiB: number; rssMiB: number }>;
  files: number;
  grepMatches: number;
  filesRead: number;
  charsRead: number;
  readLogEntries: number;
  grepEngine: string | null;
}

function peak(): number {
  return process.resourceUsage().maxRSS / 1024; // KiB -> MiB
}

async function main(): Promise<void> {
  const startRssMiB = process.memoryUsage().rss / MiB;
  const [root, rg] = process.argv.slice(2);
  if (!root) throw new Error('usage: memoryChild ROOT RG_PATH|-');
  const repo = new WorkspaceRepo(root, { ripgrepPath: rg && rg !== '-' ? rg : null });
  const phases: MemoryChildResult['phases'] = [];
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    const value = await fn();
    phases.push({ phase: name, ms: Math.round(performance.now() - t0), peakRssMiB: round(peak()), rssMiB: round(process.memoryUsage().rss / MiB) });
    return value;
  };

  // What a run does first (the repository description), then the model's exploration.
  await phase('summary (list + stat all)', () => repo.summary());
  const files = await phase('files()', () => repo.files());
  let grepMatches = 0;
  await phase(`grep × ${PATTERNS.length}`, async () => {
    for (const p of PATTERNS) grepMatches += (await repo.grep(p.pattern, { ignoreCase: p.ignoreCase === true, maxResults: MAX_RESULTS_CAP })).length;
  });
  await phase('clusters() (sniff + size all)', () => repo.clusters());
  let filesRead = 0;
  let charsRead = 0;
  await phase('read every file', async () => {
    for (const f of files) {
      try {
        const text = await repo.read(f);
        charsRead += text.length;
      } catch {
        // Too big for a whole-file read: read its first 2,000 lines instead, as the error advises.
        charsRead += (await repo.read(f, { start: 1, end: 2000 }).catch(() => '')).length;
      }
      filesRead++;
    }
  });
  await phase('tree() + stat() all', async () => {
    await repo.tree(undefined, { depth: 4 });
    for (const f of files) await repo.stat(f);
  });

  const result: MemoryChildResult = {
    startRssMiB: round(startRssMiB),
    peakRssMiB: round(peak()),
    endRssMiB: round(process.memoryUsage().rss / MiB),
    heapUsedEndMiB: round(process.memoryUsage().heapUsed / MiB),
    phases,
    files: files.length,
    grepMatches,
    filesRead,
    charsRead,
    readLogEntries: repo.readLog.length,
    grepEngine: repo.lastGrepEngine,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
