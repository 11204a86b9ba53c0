/**
 * The benchmark's pure helpers (bench/lib): statistics, the table, flags, the fan-out
 * floor, resource diffs and the synthetic repository layout. No clock, no I/O.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idealFanoutMs, median, quantile, ratio, renderTable, resourceDiff, within, type Row } from '../../bench/lib/stats';
import { ArgsError, DEFAULT_OUT, DEFAULT_RUNS, MEASUREMENTS, parseArgs } from '../../bench/lib/args';
import { synthFile } from '../../bench/lib/synthRepo';
import { CONTEXT_TRAJECTORY, SOAK_CHILD_QUESTION, questionOf, soakRootCode } from '../../bench/lib/scripts';

test('median and quantile', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(quantile([5, 1, 4, 2, 3], 0.9), 5);
  assert.equal(quantile([5, 1, 4, 2, 3], 0.5), 3);
  assert.equal(quantile([7], 0), 7);
});

test('ratio and within handle missing figures', () => {
  assert.equal(ratio(3, 2), 1.5);
  assert.equal(ratio(3, 0), null);
  assert.equal(ratio(null, 2), null);
  assert.equal(ratio(Number.NaN, 2), null);
  assert.equal(within(1.5, 1.5), true);
  assert.equal(within(1.51, 1.5), false);
  assert.equal(within(null, 1.5), null);
});

test('the fan-out floor is whole waves of the delay', () => {
  assert.equal(idealFanoutMs(200, 8, 100), 2500);
  assert.equal(idealFanoutMs(200, 32, 100), 700);
  assert.equal(idealFanoutMs(1, 8, 50), 50);
});

test('resourceDiff lists only what changed, sorted by kind', () => {
  assert.equal(resourceDiff({ PipeWrap: 2 }, { PipeWrap: 2 }), '');
  assert.equal(resourceDiff({ PipeWrap: 2, Timeout: 1 }, { PipeWrap: 2, TCPSocketWrap: 3 }), '+3 TCPSocketWrap, -1 Timeout');
});

test('renderTable aligns columns and numbers notes', () => {
  const rows: Row[] = [
    { group: 'search', name: 'repo.grep "x"', unit: 'ms', value: 12.345, reference: 10, referenceLabel: 'rg', ratio: 1.2345, target: '≤ 1.5× rg', met: true },
    { group: 'sandbox', name: 'cold', unit: 'ms', value: 150, reference: null, referenceLabel: '', ratio: null, target: '', met: null, note: 'a note' },
    { group: 'fanout', name: 'batch', unit: 'ms', value: 2600, reference: 2500, referenceLabel: 'ideal', ratio: 1.04, target: '≤ 1.15×', met: false },
  ];
  const text = renderTable(rows);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^measurement\s+median\s+reference\s+ratio\s+target\s+met\?$/);
  assert.match(text, /search: repo\.grep "x"\s+12\.3 ms\s+10\.0 ms \(rg\)\s+1\.23×\s+≤ 1\.5× rg\s+yes/);
  assert.match(text, /fanout: batch\s+2,600 ms\s+2,500 ms \(ideal\)\s+1\.04×\s+≤ 1\.15×\s+NO/);
  assert.match(text, /sandbox: cold\s+150 ms\s+–.*\[2\]$/m);
  assert.match(text, /^ {2}\[2\] sandbox: cold: a note$/m);
  // The median column is right-aligned: every body line has it ending at the same column.
  const header = lines[0]!;
  const medianEnd = header.indexOf('median') + 'median'.length;
  for (const line of lines.slice(2, 5)) assert.equal(line[medianEnd - 1], 's', line);
});

test('parseArgs: defaults, forms and errors', () => {
  const d = parseArgs([]);
  assert.equal(d.repo, null);
  assert.equal(d.runs, DEFAULT_RUNS);
  assert.equal(d.out, DEFAULT_OUT);
  assert.deepEqual(d.only, [...MEASUREMENTS]);
  const a = parseArgs(['--repo', '/x', '--runs=3', '--only', 'soak,search', '--out', 'o.json', '--keep-temp', '--soak-runs', '20']);
  assert.equal(a.repo, '/x');
  assert.equal(a.runs, 3);
  assert.deepEqual(a.only, ['search', 'soak'], 'canonical order');
  assert.equal(a.out, 'o.json');
  assert.equal(a.keepTemp, true);
  assert.equal(a.soakRuns, 20);
  assert.throws(() => parseArgs(['--runs', '0']), ArgsError);
  assert.throws(() => parseArgs(['--runs']), ArgsError);
  assert.throws(() => parseArgs(['--only', 'search,nope']), /unknown: nope/);
  assert.throws(() => parseArgs(['--soak-runs', '5']), ArgsError, 'at least 11: the soak compares with run 10');
  assert.throws(() => parseArgs(['--frobnicate']), /Unknown argument/);
  assert.equal(parseArgs(['-h']).help, true);
});

test('synthetic files: same top level from 64 files on, fixed path lengths, a TODO on line 3', () => {
  const top = new Set<string>();
  for (let i = 0; i < 64; i++) top.add(synthFile(i).rel.split('/').slice(0, 2).join('/'));
  assert.equal(top.size, 48, 'src, test and docs each with mod00..mod15');
  const lengths = new Map<string, number>();
  for (const i of [0, 1, 17, 40, 63, 64, 5_000, 99_999]) {
    const f = synthFile(i);
    const kind = f.rel.split('/')[0]!;
    const len = lengths.get(kind);
    if (len !== undefined) assert.equal(f.rel.length, len, `${f.rel} has the same length as other ${kind} paths`);
    lengths.set(kind, f.rel.length);
    assert.match(f.content.split('\n')[2]!, /TODO/, f.rel);
    assert.deepEqual(synthFile(i), f, 'deterministic');
  }
  assert.notEqual(synthFile(0).rel, synthFile(64).rel);
});

test('scripted trajectories are fixed code', () => {
  assert.equal(CONTEXT_TRAJECTORY.length, 6);
  assert.match(CONTEXT_TRAJECTORY.at(-1)!, /answer\.ready = true/);
  assert.match(soakRootCode(0), /repo\.grep/);
  assert.match(soakRootCode(3), /answer\.ready = true/);
  assert.match(soakRootCode(0, SOAK_CHILD_QUESTION), /answer\.ready = true/);
  assert.equal(questionOf([{ content: 'system' }, { content: 'Question: Why?\n\nRepository: x' }]), 'Why?');
});
