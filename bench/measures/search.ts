/**
 * 2. Search: repo.grep against ripgrep's fastest way to give the same results, and
 * repo.files against `rg --files` with the same ignore options.
 *
 * What repo.grep returns for a pattern is its first `maxResults` matches (5,000 here) in
 * path order. ripgrep can give exactly that in two ways, both with the engine's own
 * arguments (`ripgrepArgs`: ignore rules, hidden files, --text, --crlf, the binary-extension
 * globs):
 *   - parallel: without `--sort path` (rg's default, every core), all matching lines, then
 *     sorted and cut, which costs rg nothing more;
 *   - ordered: with `--sort path` (one thread), stopped at the 5,000th line (the clock stops
 *     there), which only pays when the pattern has more matches than that.
 * The reference of each pattern is the faster of the two medians, measured in the same run
 * (interleaved with repo.grep); the table says which. repo.grep runs on a repo whose
 * listing and sizes are made (as in a run, whose summary looks at every file first) and
 * whose grep candidates were prepared (as in a run, while the model writes its first cell;
 * their cost is its own line below), a new repo per sample (so binary sniffs are not
 * cached), and answers from ripgrep.
 *
 * repo.grep does more than rg: it checks every line rg reports against the listing, the
 * file's binary sniff (first 8 KiB, once per file) and the JavaScript regex (in its
 * worker thread), then sorts. Breakdown figures per pattern: rg with the engine's exact
 * arguments (ordered, full), the engine's rg runner with a no-op consumer (launcher,
 * spawn, stream parsing), and repo.grep a second time on the same repo (sniffs cached).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fg from 'fast-glob';
import { mapLimit } from '../../src/core/repo/snapshot';
import { comparePaths } from '../../src/core/repo/pathOrder';
import { SNIFF_BYTES, hasBinaryExtension, looksBinary } from '../../src/core/repo/binary';
import { splitLines } from '../../src/core/repo/lines';
import { nodeRepoFs, type RepoFs } from '../../src/core/repo/fsAccess';
import { type RipgrepQuery, ripgrepArgs, runRipgrep } from '../../src/core/repo/ripgrep';
import { excludedDirNames } from '../../src/core/repo/globMatch';
import { DEFAULT_EXCLUDE, MAX_RESULTS_CAP, WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { median, ratio, within, type Row } from '../lib/stats';
import type { BenchContext, MeasurementResult } from '../lib/context';
import { runProcess } from '../lib/proc';
import { PATTERNS } from '../lib/patterns';

const TARGET = 1.2;
/** repo.files against rg --files: the listing has no matching to do, so it is held closer (the listing's own target). */
const FILES_TARGET = 1.2;

/** The flags repo.files' listing semantics correspond to (same ignore handling as ripgrepArgs). */
export function rgFilesArgs(sorted: boolean): string[] {
  const grepArgs = ripgrepArgs(query('x', false));
  const keep = ['--no-config', '--hidden', '--no-require-git', '--no-ignore-parent', '--no-ignore-global', '--no-ignore-dot', '--no-ignore-exclude'];
  const args = grepArgs.filter((a) => keep.includes(a));
  if (sorted) args.push('--sort', 'path');
  args.push('--files', '--null');
  for (const name of excludedDirNames(DEFAULT_EXCLUDE)) args.push('-g', `!${name}/`);
  args.push('.');
  return args;
}

function query(pattern: string, ignoreCase: boolean): RipgrepQuery {
  return {
    pattern,
    ignoreCase,
    useGitignore: true,
    includeGlobs: null,
    excludeDirNames: excludedDirNames(DEFAULT_EXCLUDE),
    paths: null,
  };
}

async function countSymlinks(root: string, files: readonly string[]): Promise<number> {
  const flags = await mapLimit(files, 64, async (f) => (await fs.promises.lstat(path.join(root, f))).isSymbolicLink());
  return flags.filter(Boolean).length;
}

/** Counts files below `root` with plain readdirSync, skipping the excluded directory names. */
function walkSync(root: string, skip: readonly string[]): number {
  let n = 0;
  const stack = [root];
  while (stack.length > 0) {
    const dir = stack.pop()!;
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const e of entries) {
      if (e.isDirectory()) {
        if (!skip.includes(e.name)) stack.push(path.join(dir, e.name));
      } else n++;
    }
  }
  return n;
}

/**
 * Lines rg cut at --max-columns in text files: repo.grep re-reads each such file whole to
 * get the full line. Returns how many files and bytes that is and what one pass costs.
 */
async function longLineRereads(rgPath: string, args: string[], root: string): Promise<{ files: number; bytes: number; ms: number }> {
  const cutFiles = new Set<string>();
  await runRipgrep(rgPath, args, root, async (r) => {
    if (r.cut) cutFiles.add(r.path);
    return true;
  });
  const text: string[] = [];
  for (const f of cutFiles) {
    if (hasBinaryExtension(f)) continue;
    const head = Buffer.alloc(SNIFF_BYTES);
    const handle = await fs.promises.open(path.join(root, f), 'r');
    const { bytesRead } = await handle.read(head, 0, SNIFF_BYTES, 0).finally(() => handle.close());
    if (!looksBinary(head.subarray(0, bytesRead))) text.push(f);
  }
  let bytes = 0;
  const t0 = performance.now();
  for (const f of text) {
    const b = await fs.promises.readFile(path.join(root, f));
    bytes += b.length;
    splitLines(b.toString('utf8'));
  }
  return { files: text.length, bytes, ms: performance.now() - t0 };
}

interface FsCounts {
  readFile: number;
  readFileBytes: number;
  readHead: number;
  stat: number;
  /** Streamed reads (files over maxReadBytes): one per cut line, each from the start of the file. */
  streams: number;
}

/**
 * The repo's file-system layer, counting what grep reads beyond rg's output: every file is
 * opened through `open` with its purpose (a whole read, an 8 KiB sniff, a size, a stream),
 * and whole reads' bytes are counted at the handle.
 */
function countingFs(counts: FsCounts): RepoFs {
  return {
    ...nodeRepoFs,
    open: async (file, purpose) => {
      const handle = await nodeRepoFs.open(file, purpose);
      if (purpose === 'sniff') counts.readHead++;
      else if (purpose === 'size') counts.stat++;
      else if (purpose === 'stream') counts.streams++;
      else if (purpose === 'read') {
        counts.readFile++;
        return {
          fd: handle.fd,
          stat: () => handle.stat(),
          close: () => handle.close(),
          read: async (buffer, offset, length, position) => {
            const result = await handle.read(buffer, offset, length, position);
            counts.readFileBytes += result.bytesRead;
            return result;
          },
        };
      }
      return handle;
    },
  };
}

function withoutSort(args: string[]): string[] {
  const i = args.indexOf('--sort');
  return i < 0 ? args : [...args.slice(0, i), ...args.slice(i + 2)];
}

/**
 * A repo as a run's first grep finds it: the summary has looked at every file, and what it
 * started for grep (prepareSearch: candidates, parts) was done while the model wrote its
 * first cell, which takes far longer than those 30 ms.
 */
async function primedRepo(root: string, rgPath: string): Promise<WorkspaceRepo> {
  const repo = new WorkspaceRepo(root, { ripgrepPath: rgPath });
  await repo.summary();
  await repo.prepareSearch();
  return repo;
}

interface PatternSamples {
  rg: number[];
  rgParallel: number[];
  /** rg --sort path, stopped at its MAX_RESULTS_CAP-th line. */
  rgOrderedCut: number[];
  parseOnly: number[];
  grep: number[];
  grepCachedSniff: number[];
  rgLines: number;
  longLines: { files: number; bytes: number; ms: number } | null;
  /** What one repo.grep (fresh repo, listing made) read itself: whole files, 8 KiB sniffs, stats. */
  fsCounts: FsCounts | null;
  grepMatches: number;
  filesWithMatches: number;
  engine: string | null;
  capped: boolean;
}

export async function measureSearch(ctx: BenchContext): Promise<MeasurementResult> {
  const rgPath = ctx.rgPath;
  if (rgPath === null) throw new Error('No runnable rg binary (the bundled @vscode/ripgrep-universal one is missing); search cannot be compared.');
  const root = ctx.repo;

  // ---- repo.files against rg --files ----------------------------------------------------
  const filesSamples: number[] = [];
  const rgFilesSorted: number[] = [];
  const rgFilesParallel: number[] = [];
  const candidateFilter: number[] = [];
  const fgPlain: number[] = [];
  const nodeWalk: number[] = [];
  const sortMs: number[] = [];
  /** Longest event-loop delay during each cold listing, ms (the listing runs in the shared extension host). */
  const listingLoopDelay: number[] = [];
  let listed = 0;
  let rgListed = 0;
  let symlinked = 0;
  let candidates = 0;
  await runProcess(rgPath, rgFilesArgs(true), { cwd: root }); // page cache
  for (let run = 0; run < ctx.runs; run++) {
    const r = await runProcess(rgPath, rgFilesArgs(true), { cwd: root, countNul: true });
    rgFilesSorted.push(r.ms);
    rgListed = r.records;
    rgFilesParallel.push((await runProcess(rgPath, rgFilesArgs(false), { cwd: root, countNul: true })).ms);
    const repo = new WorkspaceRepo(root, { ripgrepPath: rgPath });
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const t0 = performance.now();
    const files = await repo.files();
    filesSamples.push(performance.now() - t0);
    loop.disable();
    listingLoopDelay.push(loop.max / 1e6);
    listed = files.length;
    // What a view's first grep needs before it starts rg (a run's summary starts it early):
    // the candidates and the parts, once the listing's sizes have come.
    candidates = files.filter((f) => !hasBinaryExtension(f)).length;
    await (repo as unknown as { snapshot: { sizesOf(f: string[]): Promise<number[]> } }).snapshot.sizesOf([]);
    const t1 = performance.now();
    await repo.prepareSearch();
    candidateFilter.push(performance.now() - t1);
    if (run === 0) symlinked = await countSymlinks(root, files);
    // Where the listing's time goes: fast-glob alone (no .gitignore pruning), a bare
    // synchronous readdir walk (a floor for Node), and the final path sort.
    const t2 = performance.now();
    await fg('**/*', { cwd: root, dot: true, onlyFiles: false, followSymbolicLinks: false, objectMode: true, ignore: [...DEFAULT_EXCLUDE], suppressErrors: true });
    fgPlain.push(performance.now() - t2);
    const t3 = performance.now();
    walkSync(root, excludedDirNames(DEFAULT_EXCLUDE));
    nodeWalk.push(performance.now() - t3);
    const shuffled = files.slice().reverse();
    const t4 = performance.now();
    shuffled.sort(comparePaths);
    sortMs.push(performance.now() - t4);
  }
  ctx.log(`search: ${listed.toLocaleString('en-US')} files listed (rg --files: ${rgListed.toLocaleString('en-US')})`);

  // ---- repo.grep against rg ------------------------------------------------------------
  const perPattern: Record<string, PatternSamples> = {};
  for (const p of PATTERNS) {
    const ignoreCase = p.ignoreCase === true;
    const args = ripgrepArgs(query(p.pattern, ignoreCase));
    const parallelArgs = withoutSort(args);
    const s: PatternSamples = { rg: [], rgParallel: [], rgOrderedCut: [], parseOnly: [], grep: [], grepCachedSniff: [], rgLines: 0, longLines: null, fsCounts: null, grepMatches: 0, filesWithMatches: 0, engine: null, capped: false };
    // Warm-up: page cache, and the first spawn of each kind.
    await runProcess(rgPath, args, { cwd: root });
    await (await primedRepo(root, rgPath)).grep(p.pattern, { ignoreCase, maxResults: MAX_RESULTS_CAP });
    for (let run = 0; run < ctx.runs; run++) {
      const direct = await runProcess(rgPath, args, { cwd: root });
      if (direct.code !== 0 && direct.code !== 1) throw new Error(`rg exited with ${direct.code}: ${direct.stderr}`);
      s.rg.push(direct.ms);
      s.rgLines = direct.records;
      s.rgParallel.push((await runProcess(rgPath, parallelArgs, { cwd: root })).ms);
      s.rgOrderedCut.push((await runProcess(rgPath, args, { cwd: root, maxRecords: MAX_RESULTS_CAP })).ms);

      const t0 = performance.now();
      const outcome = await runRipgrep(rgPath, args, root, async () => true);
      s.parseOnly.push(performance.now() - t0);
      if (!outcome.ok) throw new Error(`runRipgrep failed: ${outcome.reason}`);

      const repo = await primedRepo(root, rgPath);
      const t1 = performance.now();
      const matches = await repo.grep(p.pattern, { ignoreCase, maxResults: MAX_RESULTS_CAP });
      s.grep.push(performance.now() - t1);
      s.engine = repo.lastGrepEngine;
      s.grepMatches = matches.length;
      s.capped = matches.length >= MAX_RESULTS_CAP;
      s.filesWithMatches = new Set(matches.map((m) => m.path)).size;

      const t2 = performance.now();
      await repo.grep(p.pattern, { ignoreCase, maxResults: MAX_RESULTS_CAP });
      s.grepCachedSniff.push(performance.now() - t2);
    }
    s.longLines = await longLineRereads(rgPath, args, root);
    const counts: FsCounts = { readFile: 0, readFileBytes: 0, readHead: 0, stat: 0, streams: 0 };
    const counted = new WorkspaceRepo(root, { ripgrepPath: rgPath, fs: countingFs(counts) });
    await counted.summary();
    Object.assign(counts, { readFile: 0, readFileBytes: 0, readHead: 0, stat: 0, streams: 0 });
    await counted.grep(p.pattern, { ignoreCase, maxResults: MAX_RESULTS_CAP });
    s.fsCounts = { ...counts };
    if (s.engine !== 'ripgrep') throw new Error(`repo.grep used the ${s.engine} engine, not ripgrep`);
    perPattern[`${p.label} ${JSON.stringify(p.pattern)}`] = s;
  }

  // ---- rows --------------------------------------------------------------------------
  const rows: Row[] = [];
  const details: string[] = [
    `Search breakdown (medians, ms; tree ${root}, ${listed.toLocaleString('en-US')} files):`,
    '  pattern                                        rg same-opts  rg parallel  rg ordered, cut  rg+node parse  repo.grep  grep (sniffs cached)  rg lines  matches  files  sniffs  whole-file reads',
  ];
  let sumGrep = 0;
  let sumRg = 0;
  for (const [name, s] of Object.entries(perPattern)) {
    const g = median(s.grep);
    const parallel = median(s.rgParallel);
    const orderedCut = median(s.rgOrderedCut);
    // The fastest way rg gives the same first MAX_RESULTS_CAP matches in path order.
    const r = Math.min(parallel, orderedCut);
    sumGrep += g;
    sumRg += r;
    const q = ratio(g, r);
    rows.push({
      group: 'search',
      name: `repo.grep ${name}`,
      unit: 'ms',
      value: g,
      reference: r,
      referenceLabel: parallel <= orderedCut ? 'rg parallel' : `rg --sort path, cut at ${MAX_RESULTS_CAP.toLocaleString('en-US')}`,
      ratio: q,
      target: `≤ ${TARGET}× rg`,
      met: within(q, TARGET),
      ...(s.capped ? { note: `${MAX_RESULTS_CAP.toLocaleString('en-US')} matches or more: the first ${MAX_RESULTS_CAP.toLocaleString('en-US')} in path order are the result.` } : {}),
    });
    details.push(
      `  ${name.padEnd(45)}  ${median(s.rg).toFixed(1).padStart(12)}  ${parallel.toFixed(1).padStart(11)}  ${orderedCut.toFixed(1).padStart(15)}  ${median(s.parseOnly).toFixed(1).padStart(13)}  ${g.toFixed(1).padStart(9)}  ${median(s.grepCachedSniff).toFixed(1).padStart(20)}  ${String(s.rgLines).padStart(8)}  ${String(s.grepMatches).padStart(7)}  ${String(s.filesWithMatches).padStart(5)}  ${String(s.fsCounts?.readHead ?? '?').padStart(6)}  ${s.fsCounts && s.fsCounts.readFile + s.fsCounts.streams > 0 ? `${s.fsCounts.readFile} (${(s.fsCounts.readFileBytes / 2 ** 20).toFixed(1)} MiB)${s.fsCounts.streams ? ` + ${s.fsCounts.streams} streamed` : ''}; read + split alone: ${s.longLines?.ms.toFixed(0) ?? '?'} ms` : '0'}`,
    );
  }
  const total = ratio(sumGrep, sumRg);
  rows.push({
    group: 'search',
    name: `repo.grep, all ${PATTERNS.length} patterns (sum of medians)`,
    unit: 'ms',
    value: sumGrep,
    reference: sumRg,
    referenceLabel: "rg's fastest mode per pattern",
    ratio: total,
    target: `≤ ${TARGET}× rg`,
    met: within(total, TARGET),
  });
  const f = median(filesSamples);
  const rf = median(rgFilesSorted);
  const fq = ratio(f, rf);
  rows.push({
    group: 'search',
    name: `repo.files (cold listing, ${listed.toLocaleString('en-US')} files)`,
    unit: 'ms',
    value: f,
    reference: rf,
    referenceLabel: 'rg --files --sort path',
    ratio: fq,
    target: `≤ ${FILES_TARGET}× rg`,
    met: within(fq, FILES_TARGET),
    note:
      `rg --files without --sort: ${median(rgFilesParallel).toFixed(1)} ms; rg lists ${rgListed.toLocaleString('en-US')} files, ` +
      `repo.files ${listed.toLocaleString('en-US')} (${symlinked} of them symbolic links to files, which rg --files skips).`,
  });
  details.push(
    `  listing (repo.files, cold) ${f.toFixed(1)} ms: fast-glob alone (no .gitignore pruning) ${median(fgPlain).toFixed(1)} ms, ` +
      `bare readdirSync walk ${median(nodeWalk).toFixed(1)} ms, path sort ${median(sortMs).toFixed(1)} ms; rg --files --sort path ${rf.toFixed(1)} ms`,
    `  event loop during the listing: longest delay ${median(listingLoopDelay).toFixed(1)} ms (median of runs), ${Math.max(...listingLoopDelay).toFixed(1)} ms at worst`,
    `  grep preparation of a view (candidates and parallel parts; started by its summary, done before its first grep in a run): ${median(candidateFilter).toFixed(1)} ms`,
    '  "rg+node parse" = the engine\'s rg runner with a consumer that keeps nothing (spawn, pipe, record parsing, one await per record);',
    '  repo.grep minus that = listing/binary/JS-regex checks, sorting and the read log; minus "sniffs cached" = first-time binary sniffs.',
    '  "sniffs": files whose first 8 KiB repo.grep read to rule out binary content (once per file with a reported line, cached per repo);',
    '  "whole-file reads": text files where rg cut a matching line at --max-columns (300), which repo.grep reads and splits whole to recover the line',
    '  (cached per grep call); files over 8 MiB are streamed from their start instead, once per cut line ("streamed").',
  );

  return {
    rows,
    details,
    raw: {
      tree: root,
      listedFiles: listed,
      rgListedFiles: rgListed,
      symlinkedFiles: symlinked,
      filesMs: filesSamples,
      listingLoopDelayMs: listingLoopDelay,
      rgFilesSortedMs: rgFilesSorted,
      rgFilesParallelMs: rgFilesParallel,
      candidateFilterMs: candidateFilter,
      grepCandidates: candidates,
      fastGlobPlainMs: fgPlain,
      readdirWalkMs: nodeWalk,
      pathSortMs: sortMs,
      rgFilesArgs: rgFilesArgs(true),
      grepArgsExample: ripgrepArgs(query(PATTERNS[0]!.pattern, false)),
      patterns: perPattern,
    },
  };
}
