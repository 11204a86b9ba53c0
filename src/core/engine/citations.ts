/**
 * Citations come from what the sandbox actually saw: the repo's read log (line ranges
 * returned by repo.read, lines returned by repo.grep), merged per file.
 */
import type { ReadRecord } from '../repo/types';
import { mapSliced } from '../util/slices';

export interface Citation {
  path: string;
  /** Merged 1-based inclusive line ranges, sorted. */
  ranges: Array<{ start: number; end: number }>;
  /** How the lines were seen: read in full or in ranges, as grep matches, or by a host function. */
  via: string[];
  /** True when some of these lines came from an editor's unsaved changes, not the file on disk. */
  unsaved: boolean;
}

interface LedgerEntry {
  /** Ranges in the order seen, an adjacent or overlapping one folded into the last. */
  ranges: Array<{ start: number; end: number }>;
  via: Set<string>;
  unsaved: boolean;
}

/**
 * The lines a run (or a step) saw, gathered per file as they are seen, and merged into
 * citations at its end. A heavy run sees hundreds of thousands of lines (72 greps of 5,000
 * matches); grouping them as they come, and merging them in slices of the event loop, keeps
 * that off the host's thread in one piece (a single pass over such a log took 180 ms).
 */
export class ReadLedger {
  private readonly byPath = new Map<string, LedgerEntry>();

  add(r: ReadRecord): void {
    let entry = this.byPath.get(r.path);
    if (entry === undefined) {
      entry = { ranges: [], via: new Set(), unsaved: false };
      this.byPath.set(r.path, entry);
    }
    const last = entry.ranges[entry.ranges.length - 1];
    // Lines usually come in order (grep, a read after a read): most records extend the last range.
    if (last !== undefined && r.start >= last.start && r.start <= last.end + 1) last.end = Math.max(last.end, r.end);
    else entry.ranges.push({ start: r.start, end: r.end });
    entry.via.add(r.via);
    if (r.unsaved) entry.unsaved = true;
  }

  /** Files seen so far. */
  get files(): number {
    return this.byPath.size;
  }

  /** Citations, by path, with merged ranges; a slice of the event loop at a time. */
  async citations(): Promise<Citation[]> {
    // Paths mostly arrive in order (grep reports them so), which the sort finds in one pass.
    const paths = [...this.byPath.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return mapSliced(paths, (path) => {
      const { ranges, via, unsaved } = this.byPath.get(path)!;
      return { path, ranges: mergeRanges(ranges), via: [...via].sort(), unsaved };
    });
  }
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
