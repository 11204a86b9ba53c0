import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DiskSource, MultiRootSource, WorkspaceRepo, nodeRepoFs, type ReadRecord, type RepoFs } from '../../src/core/repo';
import { findRipgrep } from '../../src/cli/ripgrep';
import { makeTempRepo, type TempRepo } from '../support/tempRepo';

const RG = findRipgrep();

describe('observe(): per-run read reporting', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo({
      'src/a.ts': 'export const a = "token";\n',
      'src/b.ts': 'export const b = "token";\n',
      'docs/guide.md': 'token in docs\n',
    });
  });
  after(() => tmp.cleanup());

  for (const ripgrepPath of [RG, null]) {
    it(`gives each observed view only its own reads, and the base none (${ripgrepPath === null ? 'JS grep' : 'ripgrep'})`, async () => {
      const repo = new WorkspaceRepo(tmp.root, { ripgrepPath });
      const first: ReadRecord[] = [];
      const second: ReadRecord[] = [];
      const one = repo.observe((r) => first.push(r));
      const two = repo.observe((r) => second.push(r));
      // Interleaved, as two runs sharing a repo would be.
      await one.read('src/a.ts', { start: 1, end: 1 });
      await two.grep('token', { glob: 'docs/**' });
      await one.grep('const b');
      await two.read('src/b.ts');
      assert.deepEqual(first, [
        { path: 'src/a.ts', start: 1, end: 1, via: 'read' },
        { path: 'src/b.ts', start: 1, end: 1, via: 'grep' },
      ]);
      assert.deepEqual(second, [
        { path: 'docs/guide.md', start: 1, end: 1, via: 'grep' },
        { path: 'src/b.ts', start: 1, end: 1, via: 'read' },
      ]);
      assert.deepEqual(one.readLog, first, 'an observed view keeps its own log too');
      assert.deepEqual(two.readLog, second);
      assert.deepEqual(repo.readLog, [], 'the base repo saw none of it');
      await repo.read('docs/guide.md');
      assert.equal(first.length + second.length, 4, 'and its own reads go to no observer');
      assert.equal(repo.readLog.length, 1);
    });
  }

  it('reports reads of subsets of an observed view to the same observer, as they happen', async () => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    const seen: string[] = [];
    const observed = repo.observe((r) => seen.push(`${r.via} ${r.path}:${r.start}`));
    const sub = observed.subset(['src/**']);
    const subsub = sub.subset(['src/b.ts']);
    const pending = sub.read('src/a.ts', { start: 1, end: 1 });
    assert.deepEqual(seen, [], 'nothing before the read happens');
    await pending;
    assert.deepEqual(seen, ['read src/a.ts:1']);
    await subsub.grep('token');
    assert.deepEqual(seen, ['read src/a.ts:1', 'grep src/b.ts:1']);
    assert.equal(sub.readLog, observed.readLog, 'one log for the observed view and its subsets');
    // Observing an observed view moves its reads to the new observer only.
    const other: string[] = [];
    await sub.observe((r) => other.push(r.path)).read('src/b.ts');
    assert.deepEqual(other, ['src/b.ts']);
    assert.equal(seen.length, 2);
    assert.deepEqual(repo.readLog, []);
  });

  it('observed views share the snapshot: the folder is walked once', async () => {
    let dirReads = 0;
    const spy: RepoFs = { ...nodeRepoFs, readdir: (dir, options, callback) => (dirReads++, nodeRepoFs.readdir(dir, options, callback)) };
    const repo = new WorkspaceRepo(tmp.root, { fs: spy });
    await repo.files();
    const walked = dirReads;
    assert.ok(walked > 0);
    await repo.observe(() => {}).files();
    await repo.observe(() => {}).subset(['src']).tree();
    assert.equal(dirReads, walked);
    await repo.fresh().files();
    assert.equal(dirReads, 2 * walked, 'fresh() walks again');
  });
});

describe('fresh(): a new snapshot of the same workspace', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo({ 'src/a.ts': 'one line\n', 'src/b.ts': 'b\n', 'docs/x.md': 'x\n' });
  });
  after(() => tmp.cleanup());

  it('sees a file added and a file changed after the first listing, while the old view does not', async () => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG, name: 'proj' });
    assert.deepEqual(await repo.files(), ['docs/x.md', 'src/a.ts', 'src/b.ts']);
    assert.deepEqual(await repo.stat('src/a.ts'), { path: 'src/a.ts', bytes: 9, lines: 1 });
    tmp.write('src/added.ts', 'added later\n');
    tmp.write('src/a.ts', 'one line\ntwo lines\n');

    const next = repo.fresh();
    assert.deepEqual(await next.files(), ['docs/x.md', 'src/a.ts', 'src/added.ts', 'src/b.ts']);
    assert.deepEqual(await next.stat('src/a.ts'), { path: 'src/a.ts', bytes: 19, lines: 2 });
    assert.deepEqual((await next.grep('added')).map((m) => m.path), ['src/added.ts']);
    assert.equal(next.name, 'proj');

    assert.deepEqual(await repo.files(), ['docs/x.md', 'src/a.ts', 'src/b.ts'], 'the old view keeps its snapshot');
    assert.deepEqual(await repo.stat('src/a.ts'), { path: 'src/a.ts', bytes: 9, lines: 1 });
    assert.deepEqual(await repo.grep('added'), []);
  });

  it('keeps the scope, the read log or observer and the options', async () => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: null, maxReadBytes: 5 });
    const seen: string[] = [];
    const sub = repo.observe((r) => seen.push(r.path)).subset(['src/**']);
    const next = sub.fresh();
    assert.deepEqual(await next.files(), (await repo.files('src/**')));
    await next.read('src/b.ts');
    assert.deepEqual(seen, ['src/b.ts'], 'the same observer');
    assert.equal(next.readLog, sub.readLog);
    assert.deepEqual(repo.readLog, []);
    await assert.rejects(next.read('src/a.ts'), /more than the 5 bytes/, 'the same maxReadBytes');
    await assert.rejects(next.read('docs/x.md'), /outside this sub-repo/, 'the same scope');
    assert.equal(repo.fresh().readLog, repo.readLog, 'a fresh base view records to the same log');
  });

  it('works over any source: several folders', async () => {
    const other = makeTempRepo({ 'y.ts': 'y\n' });
    try {
      const repo = new WorkspaceRepo(new MultiRootSource([new DiskSource(tmp.root, { name: 'one' }), new DiskSource(other.root, { name: 'two' })]));
      const before = await repo.files();
      other.write('z.ts', 'z\n');
      assert.deepEqual(await repo.files(), before);
      assert.deepEqual((await repo.fresh().files()).filter((f) => f.startsWith('two/')), ['two/y.ts', 'two/z.ts']);
    } finally {
      await other.cleanup();
    }
  });
});
