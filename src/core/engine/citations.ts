/**
 * Citations come from what the sandbox actually saw: the repo's read log (line ranges
 * returned by repo.read, lines returned by repo.grep), merged per file.
 */
import type { ReadRecord } from '../repo/types';

export interface Citation {
  path: string;
  /** Merged 1-based inclusive line ranges, sorted. */
  ranges: Array<{ start: number; end: number }>;
  /** How the lines were seen: read in full or in ranges, as grep matches, or by a host function. */
  via: string[];
  /** True when some of these lines came from an editor's unsaved changes, not the file on disk. */
  unsaved: boolean;
}

export function citationsFromReadLog(log: readonly ReadRecord[]): Citation[] {
  const byPath = new Map<string, { ranges: Array<{ start: number; end: number }>; via: Set<string>; unsaved: boolean }>();
  for (const r of log) {
    const entry = byPath.get(r.path) ?? { ranges: [], via: new Set(), unsaved: false };
    entry.ranges.push({ start: r.start, end: r.end });
    entry.via.add(r.via);
    if (r.unsaved) entry.unsaved = true;
    byPath.set(r.path, entry);
  }
  return [...byPath.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, { ranges, via, unsaved }]) => ({ path, ranges: mergeRanges(ranges), via: [...via].sort(), unsaved }));
}

export function mergeRanges(ranges: Array<{ start: number; end: number }>): Array<{ start: number; end: number }> {
  const sorted = [...ranges].sort((a, b) => a.start - b.start || a.end - b.end);
  const merged: Array<{ start: number; end: number }> = [];
  for (const r of sorted) {
    const last = merged.at(-1);
    // Adjacent ranges (10-12 and 13-20) read as one.
    if (last && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else merged.push({ ...r });
  }
  return merged;
}

export function formatCitation(c: Citation): string {
  return `${c.path}:${c.ranges.map((r) => (r.start === r.end ? `${r.start}` : `${r.start}-${r.end}`)).join(',')}`;
}
