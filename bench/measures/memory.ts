/**
 * 3. Memory: peak RSS of a separate node process (bench/children/memoryChild.ts, bundled
 * with esbuild and run with plain node, no loader) that describes the tree, lists it,
 * greps it with every search pattern, clusters it and reads every file. References: the
 * same child's RSS right after start, and rg's own peak RSS (under /usr/bin/time -v) for
 * the same greps, since repo.grep runs rg as a second process beside it.
 */
import { DEFAULT_EXCLUDE, MAX_RESULTS_CAP } from '../../src/core/repo/workspaceRepo';
import { excludedDirNames } from '../../src/core/repo/globMatch';
import { ripgrepArgs } from '../../src/core/repo/ripgrep';
import type { MemoryChildResult } from '../children/memoryChild';
import { bundleChild, hasGnuTime, maxRssOf, runJsonChild } from '../lib/proc';
import { PATTERNS } from '../lib/patterns';
import { median, ratio, type Row } from '../lib/stats';
import type { BenchContext, MeasurementResult } from '../lib/context';

export async function measureMemory(ctx: BenchContext): Promise<MeasurementResult> {
  const child = await bundleChild(ctx.projectRoot, 'bench/children/memoryChild.ts');
  const results: MemoryChildResult[] = [];
  for (let run = 0; run < ctx.runs; run++) {
    const { result } = await runJsonChild<MemoryChildResult>(child, [ctx.repo, ctx.rgPath ?? '-']);
    results.push(result);
    ctx.log(`memory: run ${run + 1}/${ctx.runs}: peak ${result.peakRssMiB} MiB`);
  }

  // rg's own peak for the same searches (the largest of the patterns), when GNU time is here.
  let rgPeakMiB: number | null = null;
  let rgNote = '';
  if (ctx.rgPath !== null && hasGnuTime()) {
    const peaks: number[] = [];
    for (const p of PATTERNS) {
      const args = ripgrepArgs({
        pattern: p.pattern,
        ignoreCase: p.ignoreCase === true,
        useGitignore: true,
        includeGlobs: null,
        excludeDirNames: excludedDirNames(DEFAULT_EXCLUDE),
        paths: null,
      });
      const { maxRssKiB } = await maxRssOf(ctx.rgPath, args, ctx.repo);
      if (maxRssKiB !== null) peaks.push(maxRssKiB / 1024);
    }
    rgPeakMiB = peaks.length ? Math.max(...peaks) : null;
    rgNote = `rg's own peak over the ${PATTERNS.length} greps: ${rgPeakMiB?.toFixed(1) ?? '?'} MiB (a separate process while repo.grep runs).`;
  } else {
    rgNote = ctx.rgPath === null ? 'no rg binary: rg peak not measured.' : '/usr/bin/time is not installed: rg peak not measured.';
  }

  const peak = median(results.map((r) => r.peakRssMiB));
  const start = median(results.map((r) => r.startRssMiB));
  const last = results[results.length - 1]!;
  const rows: Row[] = [
    {
      group: 'memory',
      name: `peak RSS: list, grep × ${PATTERNS.length}, read all ${last.files.toLocaleString('en-US')} files`,
      unit: 'MiB',
      value: peak,
      reference: start,
      referenceLabel: 'same process at start',
      ratio: ratio(peak, start),
      target: '',
      met: null,
      note: `${rgNote} Read ${last.filesRead.toLocaleString('en-US')} files, ${(last.charsRead / 1e6).toFixed(1)} M chars; ${last.grepMatches.toLocaleString('en-US')} grep matches (engine ${last.grepEngine}, cap ${MAX_RESULTS_CAP}/grep).`,
    },
  ];
  if (rgPeakMiB !== null) {
    rows.push({
      group: 'memory',
      name: 'rg peak RSS (largest of the same greps)',
      unit: 'MiB',
      value: rgPeakMiB,
      reference: null,
      referenceLabel: '',
      ratio: null,
      target: '',
      met: null,
    });
  }
  const details = [
    `Memory phases (last child; peak RSS so far after each phase, MiB): start ${last.startRssMiB}`,
    ...last.phases.map((p) => `  ${p.phase.padEnd(32)} ${String(p.ms).padStart(6)} ms   peak ${p.peakRssMiB.toFixed(1).padStart(7)}   rss now ${p.rssMiB.toFixed(1).padStart(7)}`),
  ];
  return { rows, details, raw: { children: results, rgPeakMiB } };
}
