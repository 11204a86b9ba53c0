/**
 * grep over a tree big enough to be searched in parallel parts (sourceGrep.ts,
 * partitions.ts): the results are exactly the JavaScript grep's, cut-offs at maxResults
 * included, whatever part a match falls in, with the ignore rules of the root and of
 * nested directories, several folders and unsaved text.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DiskSource, MultiRootSource, OverlaySource, WorkspaceRepo, type GrepOptions } from '../../src/core/repo';
import { findRipgrep } from '../../src/cli/ripgrep';
import { ripgrepProcessLimit, ripgrepProcesses } from '../../src/core/repo/ripgrep';
import { makeTempRepo, type TempRepo } from '../support/tempRepo';
import { withoutSearch } from '../support/sources';
import { sharedGrepWorkers, workBudget } from '../../src/core/repo/grepWorkerPool';
import { LineJudge } from '../../src/core/repo/lineJudge';
import { Snapshot } from '../../src/core/repo/snapshot';
import { sourceGrep } from '../../src/core/repo/sourceGrep';

const RG = findRipgrep();

/** A tree of 3,000 files over nested directories, with needles spread over it. */
function bigTree(tmp: TempRepo, tag: string): void {
  tmp.write('.gitignore', '/ignored-at-root.txt\nbuild/\n*.tmp\nsub/anchored/\n');
  tmp.write('ignored-at-root.txt', `${tag} root-ignored\n`);
  tmp.write('sub/anchored/x.txt', `${tag} anchored-ignored\n`);
  tmp.write('deep/a/build/out.txt', `${tag} in a build dir below\n`);
  tmp.write('deep/a/kept.tmp', `${tag} tmp ignored\n`);
  // A nested .gitignore that re-includes what the root ignores, in a directory big enough to be split.
  tmp.write('pkg/.gitignore', '!keep.tmp\nlocal-only/\n');
  tmp.write('pkg/keep.tmp', `${tag} re-included by pkg/.gitignore\n`);
  tmp.write('pkg/local-only/y.txt', `${tag} ignored by pkg/.gitignore\n`);
  for (let i = 0; i < 3000; i++) {
    const dir = ['a', 'b', 'c', 'pkg', 'deep/a', 'deep/b'][i % 6];
    const body = i % 97 === 0 ? `hay\n${tag} number ${i}\nhay\n` : i % 7 === 0 ? `${tag}-ish ${i}\n`.repeat(3) : 'hay\n';
    tmp.write(`${dir}/d${i % 13}/f${String(i).padStart(4, '0')}.txt`, body);
  }
}

describe('grep in parallel parts', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo();
    bigTree(tmp, 'needle');
  });
  after(() => tmp.cleanup());

  const queries: Array<[string, GrepOptions?]> = [
    ['needle'],
    ['needle number \\d+$'],
    ['needle', { maxResults: 1 }],
    ['needle', { maxResults: 37 }],
    ['needle', { maxResults: 500 }],
    ['needle-ish', { maxResults: 1300 }],
    ['needle', { glob: '**/d3/*.txt' }],
    ['needle', { glob: ['deep/**', 'pkg/**'], maxResults: 50 }],
    ['NEEDLE', { ignoreCase: true, maxResults: 200 }],
    ['re-included|ignored'],
    ['no such thing anywhere'],
  ];

  it('uses several rg processes and returns what the JavaScript grep returns', async () => {
    const rg = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    const js = new WorkspaceRepo(tmp.root, { ripgrepPath: null });
    await rg.summary(); // a run's summary: the sizes the parts are balanced by
    for (const [pattern, options] of queries) {
      let spawned = 0;
      const off = ripgrepProcesses.onSpawn(() => spawned++);
      const viaRg = await rg.grep(pattern, options).finally(off);
      const viaJs = await js.grep(pattern, options);
      const label = `${pattern} ${JSON.stringify(options ?? {})}`;
      assert.equal(rg.lastGrepEngine, 'ripgrep', label);
      assert.deepEqual(viaRg, viaJs, label);
      if (options?.glob === undefined && (options?.maxResults ?? 200) >= 200) assert.ok(spawned >= 2, `${label}: ${spawned} rg processes`);
    }
    assert.deepEqual(rg.readLog, js.readLog);
  });

  it('honours the root .gitignore (anchored rules too) and nested ones in every part', async () => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    await repo.summary();
    const paths = new Set((await repo.grep('needle', { maxResults: 5000 })).map((m) => m.path));
    assert.ok(paths.has('pkg/keep.tmp'), 're-included by the nested .gitignore');
    for (const p of ['ignored-at-root.txt', 'sub/anchored/x.txt', 'deep/a/build/out.txt', 'deep/a/kept.tmp', 'pkg/local-only/y.txt']) {
      assert.ok(!paths.has(p), `${p} is ignored`);
    }
  });

  it('gives the same results on a first grep, before any summary', async () => {
    const cold = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    const js = new WorkspaceRepo(tmp.root, { ripgrepPath: null });
    assert.deepEqual(await cold.grep('needle', { maxResults: 300 }), await js.grep('needle', { maxResults: 300 }));
  });

  it('stops the later parts once the earlier ones hold maxResults', async () => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    await repo.summary();
    // Parts take rg's process slots in their order: the first rg is the first part's.
    // Every other rg is frozen, so the grep can only end if they are killed unfinished.
    const spawned: number[] = [];
    const off = ripgrepProcesses.onSpawn((pid) => {
      if (spawned.push(pid) <= 1) return;
      try {
        process.kill(pid, 'SIGSTOP');
      } catch {
        // that part's rg has already finished: it cannot be frozen, and need not be
      }
    });
    const hits = await repo.grep('hay', { maxResults: 3 }).finally(off);
    assert.deepEqual(hits.map((h) => [h.path, h.line]), [['a/d0/f0000.txt', 1], ['a/d0/f0000.txt', 3], ['a/d0/f0078.txt', 1]]);
    assert.ok(spawned.length >= 2 && spawned.length <= ripgrepProcessLimit(), `${spawned.length} rg processes: the parts still waiting for a slot never started`);
    await ripgrepProcesses.idle();
  });
});

describe('grep in parallel parts over several folders and unsaved text', () => {
  let one: TempRepo;
  let two: TempRepo;
  before(() => {
    one = makeTempRepo({}, 'rlm-api-');
    two = makeTempRepo({}, 'rlm-web-');
    bigTree(one, 'needle');
    bigTree(two, 'needle');
  });
  after(async () => {
    await one.cleanup();
    await two.cleanup();
  });

  it('agrees with the JavaScript grep across folders', async () => {
    const folders = (rg: string | null) => [new DiskSource(one.root, { name: 'api', ripgrepPath: rg }), new DiskSource(two.root, { name: 'web', ripgrepPath: rg })];
    const rg = new WorkspaceRepo(new MultiRootSource(folders(RG)));
    const js = new WorkspaceRepo(new MultiRootSource(folders(null)));
    await rg.summary();
    for (const [pattern, options] of [['needle', { maxResults: 5000 }], ['needle number', { maxResults: 40 }], ['needle', { glob: 'web/**', maxResults: 10 }]] as const) {
      assert.deepEqual(await rg.grep(pattern, options), await js.grep(pattern, options), pattern);
      assert.equal(rg.lastGrepEngine, 'ripgrep');
    }
  });

  it('merges unsaved text into its part, in path order', async () => {
    const texts = new Map([
      ['b/d1/f0001.txt', 'needle unsaved in b\n'],
      ['deep/b/d5/f0005.txt', 'needle unsaved deep\n'],
    ]);
    const rg = new WorkspaceRepo(new OverlaySource(new DiskSource(one.root, { ripgrepPath: RG }), texts));
    const js = new WorkspaceRepo(new OverlaySource(withoutSearch(new DiskSource(one.root)), texts));
    await rg.summary();
    const viaRg = await rg.grep('needle unsaved|needle number', { maxResults: 5000 });
    assert.deepEqual(viaRg, await js.grep('needle unsaved|needle number', { maxResults: 5000 }));
    assert.ok(viaRg.some((m) => m.text === 'needle unsaved deep'));
    assert.equal(rg.lastGrepEngine, 'ripgrep');
  });
});

describe('grep stops its search as soon as it has its results', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo({ 'many.txt': 'needle\n'.repeat(10_000), 'pcre/a.txt': `${'ab'.repeat(300)} !\n`, 'pcre/b.txt': 'needle here\n' });
  });
  after(() => tmp.cleanup());

  it('judges the first lines once they could complete maxResults, and stops rg there', async () => {
    const disk = new DiskSource(tmp.root, { ripgrepPath: RG });
    let fed = 0;
    const counting = new Proxy(disk, {
      get(target, key, receiver) {
        if (key !== 'search') return Reflect.get(target, key, receiver);
        const search = target.search!;
        return (query: Parameters<typeof search>[0], onRecord: Parameters<typeof search>[1]) =>
          search(query, (record) => {
            fed++;
            return onRecord(record);
          });
      },
    });
    const repo = new WorkspaceRepo(counting);
    const hits = await repo.grep('needle', { maxResults: 3, glob: 'many.txt' });
    assert.deepEqual(hits.map((h) => h.line), [1, 2, 3]);
    // A batch holds up to 2,000 lines: waiting for a full one would have read that many.
    assert.ok(fed < 100, `${fed} lines were read before rg was stopped`);
  });

  it('does not take rg\'s answer when PCRE2 gave up on a line: the JavaScript grep decides', async () => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    // rg reports pcre/b.txt and an error for pcre/a.txt; silently keeping b alone would lose
    // a's line, so the JavaScript regex judges both files (and is stopped on a's line).
    const message = await repo.grep('(\\w+)\\w*\\w*\\w*\\1!|needle', { glob: 'pcre/*' }).then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    assert.match(message, /was stopped after .* on .*"pcre\/a\.txt"/);
  });

  it('a glob selection shared with a cancelled grep is made again for the other', async () => {
    tmp.write(`slow/${'a'.repeat(250)}`, 'needle\n');
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    await repo.grep('needle', { maxResults: 1 }); // the pattern is known to compile: no compile job below
    // A hostile glob's selection holds the worker (until its deadline): the next selection waits in the queue.
    const hostile = repo.grep('needle', { glob: `slow/${'*a'.repeat(100)}b` }).catch(() => 'stopped');
    while (sharedGrepWorkers().queued > 0 || sharedGrepWorkers().threadId === null) await new Promise((r) => setImmediate(r));
    const controller = new AbortController();
    const glob = ['**/*.txt', '!nothing'];
    const first = repo.grep('needle', { glob }, controller.signal);
    const second = repo.grep('needle', { glob, maxResults: 2 });
    // Both wait on one selection job, queued behind the hostile one: cancel the first.
    while (sharedGrepWorkers().queued === 0) await new Promise((r) => setImmediate(r));
    controller.abort();
    await assert.rejects(first, /was cancelled/);
    assert.deepEqual((await second).map((h) => h.path), ['many.txt', 'many.txt']);
    assert.equal(await hostile, 'stopped');
  });
});

describe('a grep cancelled before its search starts', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo();
    bigTree(tmp, 'needle');
  });
  after(() => tmp.cleanup());

  // The grep was cancelled while it waited to get to its search (for the listing's sizes, a
  // glob's selection): an abort listener added then never fires, so the search must look.
  it('starts no rg and gives no matches', { skip: RG === null ? 'no bundled rg' : false }, async () => {
    const source = new DiskSource(tmp.root, { ripgrepPath: RG });
    const snapshot = new Snapshot(source, 8 * 1024 * 1024);
    const files = (await snapshot.listing()).files;
    const controller = new AbortController();
    controller.abort();
    let spawned = 0;
    const off = ripgrepProcesses.onSpawn(() => spawned++);
    try {
      const result = await sourceGrep({
        search: source.search!,
        snapshot,
        files,
        index: new Map(files.map((f, i) => [f, i])),
        query: { pattern: 'needle', ignoreCase: false, includeGlobs: null, paths: null },
        partitions: null,
        maxResults: 100,
        judge: (wholeLines, onProgress) => new LineJudge({ pool: sharedGrepWorkers(), spec: { pattern: 'needle', flags: '' }, limit: 100, budget: workBudget(), signal: controller.signal, wholeLines, onProgress }),
        signal: controller.signal,
      });
      await ripgrepProcesses.idle();
      assert.equal(spawned, 0, 'no rg was started for a cancelled grep');
      assert.deepEqual(result, []);
    } finally {
      off();
    }
  });
});

describe('preparing a view for grep', () => {
  it('never rejects: a listing that fails is met by the grep itself, with its message', async () => {
    const tmp = makeTempRepo({ 'a.txt': 'needle\n' });
    try {
      const source = new DiskSource(tmp.root, { ripgrepPath: RG });
      let fail = true;
      const list = source.list.bind(source);
      source.list = async () => {
        if (fail) throw new Error('the disk went away');
        return list();
      };
      const repo = new WorkspaceRepo(source);
      await repo.prepareSearch(); // resolves
      await assert.rejects(repo.grep('needle'), /the disk went away/);
      fail = false;
      await repo.prepareSearch();
      assert.deepEqual((await repo.grep('needle')).map((h) => h.path), ['a.txt']);
    } finally {
      await tmp.cleanup();
    }
  });
});
