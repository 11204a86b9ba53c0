import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DiskSource, MultiRootSource, OverlaySource, WorkspaceRepo, type GrepOptions, type ReadRecord, type SearchQuery, type SearchRecord } from '../../src/core/repo';
import { findRipgrep } from '../../src/cli/ripgrep';
import { makeTempRepo, expectRepoError, type TempRepo } from '../support/tempRepo';
import { withoutSearch } from '../support/sources';

const RG = findRipgrep();

const DISK_A = 'export const a = 1; // DISK_ONLY\nconst needle = "on disk";\n';
const UNSAVED_A = 'export const a = 2;\n// needle: unsaved one\n// needle: unsaved two\n\n// needle: unsaved four\n';

describe('unsaved text over the disk', () => {
  let tmp: TempRepo;

  before(() => {
    tmp = makeTempRepo({
      '.gitignore': 'ignored.ts\n',
      'a.ts': 'needle before, on disk\n',
      'src/a.ts': DISK_A,
      'src/b.ts': 'needle in b, saved\n',
      'src/c.ts': 'no match on disk\n',
      'src/blob.txt': 'text on disk\n',
      'ignored.ts': 'needle ignored\n',
      'z.ts': 'needle after, on disk\n',
    });
    // Enough other files that a grep without a glob makes rg walk the tree.
    for (let i = 0; i < 50; i++) tmp.write(`filler/f${i}.ts`, 'nothing\n');
  });
  after(() => tmp.cleanup());

  const texts = (): Map<string, string> =>
    new Map([
      ['src/a.ts', UNSAVED_A],
      ['src/c.ts', '\uFEFFneedle now in c\r\nsecond\r\n'],
      ['src/blob.txt', 'binary now\0\n'],
      ['src/new.ts', 'needle in a file that exists only as unsaved text\n'],
      ['ignored.ts', 'needle in unsaved text of an ignored file\n'],
    ]);
  const overlay = (ripgrepPath: string | null, t = texts()): WorkspaceRepo =>
    new WorkspaceRepo(new OverlaySource(new DiskSource(tmp.root, { ripgrepPath }), t));

  it('reads, reads line ranges and stats the unsaved text, recording it as unsaved', async () => {
    const repo = overlay(RG);
    assert.equal(await repo.read('src/a.ts'), UNSAVED_A);
    assert.equal(await repo.read('src/a.ts', { start: 2, end: 3 }), '// needle: unsaved one\n// needle: unsaved two');
    assert.equal(await repo.read('src/c.ts'), 'needle now in c\nsecond\n');
    assert.equal(await repo.read('src/b.ts'), 'needle in b, saved\n');
    await expectRepoError(() => repo.read('src/a.ts', { start: 6 }), /^Line 6 is past the end of "src\/a\.ts", which has 5 lines\.$/);
    assert.deepEqual(repo.readLog, [
      { path: 'src/a.ts', start: 1, end: 5, via: 'read', unsaved: true },
      { path: 'src/a.ts', start: 2, end: 3, via: 'read', unsaved: true },
      { path: 'src/c.ts', start: 1, end: 2, via: 'read', unsaved: true },
      { path: 'src/b.ts', start: 1, end: 1, via: 'read' },
    ]);
    assert.deepEqual(await repo.stat('src/a.ts'), { path: 'src/a.ts', bytes: Buffer.byteLength(UNSAVED_A), lines: 5 });
    assert.deepEqual(await repo.info('src/blob.txt'), { path: 'src/blob.txt', bytes: 12, binary: true });
    assert.equal(await repo.read('src/blob.txt'), '[binary file src/blob.txt, 12 bytes: not shown]');
    assert.deepEqual(await repo.stat('src/blob.txt'), { path: 'src/blob.txt', bytes: 12, lines: null });
  });

  it('greps the unsaved text, not the disk, with ripgrep and with the JavaScript grep alike', async () => {
    const rg = overlay(RG);
    const js = overlay(null);
    const expected = [
      { path: 'a.ts', line: 1, text: 'needle before, on disk' },
      { path: 'src/a.ts', line: 2, text: '// needle: unsaved one' },
      { path: 'src/a.ts', line: 3, text: '// needle: unsaved two' },
      { path: 'src/a.ts', line: 5, text: '// needle: unsaved four' },
      { path: 'src/b.ts', line: 1, text: 'needle in b, saved' },
      { path: 'src/c.ts', line: 1, text: 'needle now in c' },
      { path: 'z.ts', line: 1, text: 'needle after, on disk' },
    ];
    const queries: Array<[string, GrepOptions | undefined, typeof expected]> = [
      ['needle', undefined, expected],
      ['needle', { glob: 'src/**' }, expected.filter((m) => m.path.startsWith('src/'))],
      ['needle', { maxResults: 1 }, expected.slice(0, 1)],
      ['needle', { maxResults: 3 }, expected.slice(0, 3)],
      ['needle', { maxResults: 6 }, expected.slice(0, 6)],
      ['needle', { glob: 'src/**', maxResults: 2 }, expected.slice(1, 3)],
      ['DISK_ONLY|on disk', undefined, [expected[0]!, expected[6]!]],
      ['^second$', undefined, [{ path: 'src/c.ts', line: 2, text: 'second' }]],
      ['binary|text on disk', undefined, []],
      ['needle', { glob: 'src/{a,c}.ts' }, [expected[1]!, expected[2]!, expected[3]!, expected[5]!]],
    ];
    for (const [pattern, options, want] of queries) {
      const label = `${pattern} ${JSON.stringify(options ?? {})}`;
      assert.deepEqual(await rg.grep(pattern, options), want, `ripgrep: ${label}`);
      assert.equal(rg.lastGrepEngine, 'ripgrep', label);
      assert.deepEqual(await js.grep(pattern, options), want, `JS: ${label}`);
      assert.equal(js.lastGrepEngine, 'js', label);
    }
    const unsavedOf = (log: ReadRecord[]): string[] => log.filter((r) => r.unsaved).map((r) => `${r.path}:${r.start}`);
    assert.deepEqual(rg.readLog, js.readLog);
    assert.deepEqual(unsavedOf(rg.readLog).slice(0, 4), ['src/a.ts:2', 'src/a.ts:3', 'src/a.ts:5', 'src/c.ts:1']);
    assert.ok(rg.readLog.filter((r) => r.path === 'src/b.ts').every((r) => !('unsaved' in r)), 'saved files are recorded without the flag');
    // rg refuses `[^]`: the whole grep falls back to JavaScript, the unsaved text included.
    assert.deepEqual(await rg.grep('[^]needle'), await js.grep('[^]needle'));
    assert.equal(rg.lastGrepEngine, 'js');
    assert.deepEqual((await js.grep('[^]needle')).map((m) => m.path), ['src/a.ts', 'src/a.ts', 'src/a.ts']);
  });

  it('does not start the base search when every candidate is unsaved text', async () => {
    const disk = new DiskSource(tmp.root, { ripgrepPath: RG });
    const searches: Array<readonly string[] | null> = [];
    const counted = { ...withoutSearch(disk), search: (q: SearchQuery, on: (r: SearchRecord) => Promise<boolean>) => (searches.push(q.paths), disk.search!(q, on)) };
    const repo = new WorkspaceRepo(new OverlaySource(counted, texts()));
    assert.deepEqual((await repo.grep('needle', { glob: 'src/{a,c}.ts' })).length, 4);
    assert.equal(repo.lastGrepEngine, 'ripgrep');
    assert.deepEqual(searches, []);
    assert.deepEqual((await repo.grep('needle', { glob: 'src/*.ts' })).length, 5);
    assert.deepEqual(searches, [['src/b.ts']], 'only the saved candidate goes to rg');
  });

  it('agrees with a source that has no search at all', async () => {
    const repo = new WorkspaceRepo(new OverlaySource(withoutSearch(new DiskSource(tmp.root, { ripgrepPath: RG })), texts()));
    assert.deepEqual(await repo.grep('needle'), await overlay(RG).grep('needle'));
    assert.equal(repo.lastGrepEngine, 'js');
  });

  it('lists nothing new: unsaved text for a path the folder does not list is ignored', async () => {
    const repo = overlay(RG);
    const files = await repo.files();
    assert.ok(!files.includes('src/new.ts') && !files.includes('ignored.ts'));
    assert.deepEqual(files, await new WorkspaceRepo(tmp.root).files());
    await expectRepoError(() => repo.read('src/new.ts'), /^No file "src\/new\.ts" in the workspace/);
    await expectRepoError(() => repo.read('ignored.ts'), /excluded from the workspace/);
    assert.deepEqual((await repo.grep('only as unsaved|unsaved text of an ignored')).length, 0);
    assert.deepEqual((await repo.grep('only as unsaved', { glob: 'src/**' })).length, 0);
  });

  it('reads the text live, as it is when asked', async () => {
    const live = texts();
    const repo = overlay(RG, live);
    assert.equal(await repo.read('src/b.ts', { start: 1, end: 1 }), 'needle in b, saved');
    live.set('src/b.ts', 'edited in the editor\n');
    assert.equal(await repo.read('src/b.ts', { start: 1, end: 1 }), 'edited in the editor');
    live.delete('src/a.ts');
    assert.equal(await repo.read('src/a.ts', { start: 2, end: 2 }), 'const needle = "on disk";', 'saved or closed: the disk again');
    assert.deepEqual(repo.readLog.map((r) => r.unsaved === true), [false, true, false]);
  });

  it('refuses a whole read of unsaved text that grew past maxReadBytes after its size was taken', async () => {
    const live = new Map([['src/b.ts', 'short\n']]);
    const repo = new WorkspaceRepo(new OverlaySource(new DiskSource(tmp.root), live), { maxReadBytes: 100 });
    assert.deepEqual(await repo.info('src/b.ts'), { path: 'src/b.ts', bytes: 6, binary: false });
    live.set('src/b.ts', 'y'.repeat(200));
    await expectRepoError(() => repo.read('src/b.ts'), /more than the 100 bytes/);
  });

  it('says unsaved for the text of an overlay below another', async () => {
    const inner = new OverlaySource(new DiskSource(tmp.root), new Map([['src/b.ts', 'inner\n']]));
    const repo = new WorkspaceRepo(new OverlaySource(inner, new Map([['src/c.ts', 'outer\n']])));
    assert.equal(await repo.read('src/b.ts'), 'inner\n');
    assert.equal(await repo.read('src/c.ts'), 'outer\n');
    await repo.read('z.ts');
    assert.deepEqual(repo.readLog.map((r) => r.unsaved === true), [true, true, false]);
  });

  it('streams unsaved text too big for a whole read, like a big file', async () => {
    const big = Array.from({ length: 300 }, (_, i) => `unsaved line ${i + 1}`).join('\n') + '\n';
    const repo = new WorkspaceRepo(new OverlaySource(new DiskSource(tmp.root, { ripgrepPath: RG }), new Map([['src/b.ts', big]])), { maxReadBytes: 1000 });
    await expectRepoError(() => repo.read('src/b.ts'), /more than the 1000 bytes a whole-file read returns/);
    assert.equal(await repo.read('src/b.ts', { start: 299, end: 400 }), 'unsaved line 299\nunsaved line 300');
    assert.deepEqual(await repo.stat('src/b.ts'), { path: 'src/b.ts', bytes: Buffer.byteLength(big), lines: 300 });
    assert.deepEqual((await repo.grep('line 300$')).map((m) => [m.path, m.line]), [['src/b.ts', 300]]);
    assert.equal(repo.lastGrepEngine, 'ripgrep');
  });
});

describe('unsaved text in a multi-root workspace', () => {
  let api: TempRepo;
  let web: TempRepo;
  before(() => {
    api = makeTempRepo({ 'x.ts': 'needle on disk in api\n', 'y.ts': 'needle in api y\n' });
    web = makeTempRepo({ 'x.ts': 'needle on disk in web\n' });
  });
  after(async () => {
    await api.cleanup();
    await web.cleanup();
  });

  it('takes prefixed paths over the combined folders, or folder paths under each folder', async () => {
    const disk = (root: string, name: string, ripgrepPath: string | null): DiskSource => new DiskSource(root, { name, ripgrepPath });
    const over = (ripgrepPath: string | null): WorkspaceRepo =>
      new WorkspaceRepo(new OverlaySource(new MultiRootSource([disk(api.root, 'api', ripgrepPath), disk(web.root, 'web', ripgrepPath)]), new Map([['web/x.ts', 'needle unsaved in web\n']])));
    const under = (ripgrepPath: string | null): WorkspaceRepo =>
      new WorkspaceRepo(
        new MultiRootSource([
          new OverlaySource(disk(api.root, 'api', ripgrepPath), new Map([['x.ts', 'needle unsaved in api\n']])),
          disk(web.root, 'web', ripgrepPath),
        ]),
      );
    for (const ripgrepPath of [RG, null]) {
      const a = over(ripgrepPath);
      assert.deepEqual((await a.grep('needle')).map((m) => m.text), ['needle on disk in api', 'needle in api y', 'needle unsaved in web']);
      assert.deepEqual(a.readLog.map((r) => r.unsaved === true), [false, false, true]);
      const b = under(ripgrepPath);
      assert.deepEqual((await b.grep('needle')).map((m) => m.text), ['needle unsaved in api', 'needle in api y', 'needle on disk in web']);
      assert.equal(await b.read('api/x.ts'), 'needle unsaved in api\n');
      assert.deepEqual(b.readLog.map((r) => r.unsaved === true), [true, false, false, true]);
      assert.equal(b.lastGrepEngine, ripgrepPath === null ? 'js' : 'ripgrep');
    }
  });
});
