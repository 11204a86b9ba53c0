/**
 * The read ledger: lines gathered per file as they are seen, folded as they come, merged at
 * the end. Whatever the order the records arrive in, the citations are the sorted, merged
 * ranges of every line seen, per file.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ReadLedger, formatCitation } from '../../src/core/engine/citations';
import type { ReadRecord } from '../../src/core/repo/types';

/** The reference: every line seen, per file, as a set; merged ranges read off it. */
function reference(records: readonly ReadRecord[]): string[] {
  const lines = new Map<string, Set<number>>();
  for (const r of records) {
    const set = lines.get(r.path) ?? new Set<number>();
    for (let n = r.start; n <= r.end; n++) set.add(n);
    lines.set(r.path, set);
  }
  return [...lines.keys()].sort().map((path) => {
    const sorted = [...lines.get(path)!].sort((a, b) => a - b);
    const ranges: string[] = [];
    let start = sorted[0]!;
    for (let i = 1; i <= sorted.length; i++) {
      if (i < sorted.length && sorted[i] === sorted[i - 1]! + 1) continue;
      ranges.push(start === sorted[i - 1] ? `${start}` : `${start}-${sorted[i - 1]}`);
      start = sorted[i]!;
    }
    return `${path}:${ranges.join(',')}`;
  });
}

/** A small deterministic generator (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the read ledger', () => {
  test('records in any order give the merged ranges of every line seen', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const next = random(seed);
      const records: ReadRecord[] = [];
      for (let i = 0; i < 40; i++) {
        const start = 1 + Math.floor(next() * 60);
        records.push({ path: `f${Math.floor(next() * 4)}.ts`, start, end: start + Math.floor(next() * 6), via: next() < 0.5 ? 'grep' : 'read' });
      }
      const ledger = new ReadLedger();
      for (const r of records) ledger.add(r);
      assert.deepEqual((await ledger.citations()).map(formatCitation), reference(records), `seed ${seed}`);
    }
  });

  test('how lines were seen and whether any were unsaved are kept per file', async () => {
    const ledger = new ReadLedger();
    ledger.add({ path: 'b.ts', start: 3, end: 3, via: 'grep' });
    ledger.add({ path: 'b.ts', start: 1, end: 2, via: 'read', unsaved: true });
    ledger.add({ path: 'a.ts', start: 10, end: 12, via: 'read' });
    assert.deepEqual(await ledger.citations(), [
      { path: 'a.ts', ranges: [{ start: 10, end: 12 }], via: ['read'], unsaved: false },
      { path: 'b.ts', ranges: [{ start: 1, end: 3 }], via: ['grep', 'read'], unsaved: true },
    ]);
    assert.equal(ledger.files, 2);
  });
});
