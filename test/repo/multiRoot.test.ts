import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiskSource, MultiRootSource, WorkspaceRepo, workspaceOf, type GrepOptions, type WorkspaceSource } from '../../src/core/repo';
import { uniqueNames } from '../../src/core/repo/multiRoot';
import { findRipgrep } from '../../src/cli/ripgrep';
import { makeTempRepo, expectRepoError, type TempRepo } from '../support/tempRepo';
import { withoutSearch } from '../support/sources';

const RG = findRipgrep();

describe('a workspace of several folders', () => {
  let tmp: TempRepo;
  let outside: string;

  before(() => {
    tmp = makeTempRepo({
      'api/.gitignore': 'dist/\n',
      'api/src/server.ts': 'export function serve() {}\n// needle in api\n',
      'api/src/deep/handler.ts': 'export const handler = "needle";\n',
      'api/dist/bundle.js': 'needle ignored by api/.gitignore\n',
      'api/README.md': '# API\nneedle\n',
      'web/src/app.ts': 'import { serve } from "api";\n// needle in web\n',
      'web/dist/keep.js': 'needle kept: the api .gitignore does not apply here\n',
      'web/generated/g.ts': 'needle excluded by web\'s own exclude\n',
      'web/logo.png': 'needle in a binary by name\n',
      'one/app/main.ts': 'needle in the first app\n',
      'two/app/main.ts': 'needle in the second app\n',
      'three/app-2/x.ts': 'needle in a folder really called app-2\n',
    });
    fs.mkdirSync(tmp.abs('empty'));
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'needle outside\n');
    tmp.symlink('api/leak.txt', path.join(outside, 'secret.txt'), 'file');
    tmp.symlink('api/srclink', 'src', 'dir');
  });

  after(async () => {
    await tmp.cleanup();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  const folders = (ripgrepPath: string | null): WorkspaceSource[] => [
    new DiskSource(tmp.abs('web'), { ripgrepPath, exclude: ['**/node_modules/**', '**/.git/**', 'generated/**'] }),
    new DiskSource(tmp.abs('api'), { ripgrepPath }),
  ];
  const workspace = (ripgrepPath: string | null): WorkspaceRepo => new WorkspaceRepo(new MultiRootSource(folders(ripgrepPath)));

  it('lists every folder\'s files under its name, each folder with its own ignore rules and excludes', async () => {
    const repo = workspace(null);
    assert.deepEqual(await repo.files(), [
      'api/.gitignore', 'api/README.md', 'api/src/deep/handler.ts', 'api/src/server.ts',
      'web/dist/keep.js', 'web/logo.png', 'web/src/app.ts',
    ]);
    assert.deepEqual(await repo.files('*/src/**/*.ts'), ['api/src/deep/handler.ts', 'api/src/server.ts', 'web/src/app.ts']);
    assert.deepEqual(await repo.files('api/**'), ['api/.gitignore', 'api/README.md', 'api/src/deep/handler.ts', 'api/src/server.ts']);
    assert.equal(repo.name, 'workspace');
    assert.deepEqual(repo.folders.map((f) => f.name), ['web', 'api'], 'in the order given');
    assert.equal(repo.root, tmp.abs('web'), 'root is the first folder\'s');
  });

  it('shows each folder in tree() and summary(), an empty one included', async () => {
    const repo = new WorkspaceRepo(new MultiRootSource([...folders(null), new DiskSource(tmp.abs('empty'))]), { name: 'proj' });
    assert.equal(
      await repo.tree(undefined, { depth: 1 }),
      ['proj/ (7 files)', '  api/ (4 files)', '  empty/ (0 files)', '  web/ (3 files)'].join('\n'),
    );
    assert.equal(await repo.tree('empty'), 'empty/ (0 files)');
    const bare = new WorkspaceRepo(new MultiRootSource([new DiskSource(tmp.abs('empty')), new DiskSource(tmp.abs('empty'), { name: 'other' })]));
    assert.equal(await bare.tree(), 'workspace/ (0 files)\n  empty/ (0 files)\n  other/ (0 files)');
    assert.equal(await repo.tree('api', { depth: 1 }), 'api/ (4 files)\n  src/ (2 files)\n  .gitignore\n  README.md');
    const summary = await repo.summary();
    assert.equal(summary.name, 'proj');
    assert.deepEqual(summary.folders, ['web', 'api', 'empty']);
    assert.equal(summary.fileCount, 7);
    assert.deepEqual(summary.languages.map((l) => [l.language, l.files]), [['TypeScript', 3], ['JavaScript', 1], ['.png', 1], ['Markdown', 1], ['(no extension)', 1]]);
    const lines = summary.topLevelTree.split('\n');
    assert.equal(lines[0], 'proj/ (7 files; every path starts with its folder name)');
    assert.deepEqual(lines.filter((l) => /^ {2}\S/.test(l)), ['  api/ (4 files)', '  empty/ (0 files)', '  web/ (3 files)']);
    // A subset shows only what it holds.
    assert.equal(await repo.subset(['api/src']).tree(undefined, { depth: 1 }), 'proj/ (2 files)\n  api/ (2 files)');
  });

  it('subset(["api"]) is one folder', async () => {
    const api = workspace(null).subset(['api']);
    assert.deepEqual(await api.files(), ['api/.gitignore', 'api/README.md', 'api/src/deep/handler.ts', 'api/src/server.ts']);
    await expectRepoError(() => api.read('web/src/app.ts'), /outside this sub-repo/);
    assert.deepEqual((await api.grep('needle')).map((m) => m.path), ['api/README.md', 'api/src/deep/handler.ts', 'api/src/server.ts']);
  });

  it('reads through prefixed paths, with the same guard in every folder', async () => {
    const repo = workspace(RG);
    assert.equal(await repo.read('api/src/server.ts', { start: 2, end: 2 }), '// needle in api');
    assert.equal(await repo.read('./web/src/app.ts'), 'import { serve } from "api";\n// needle in web\n');
    assert.deepEqual(await repo.stat('web/src/app.ts'), { path: 'web/src/app.ts', bytes: 46, lines: 2 });
    // Through a linked directory inside a folder: recorded under the file's listed path.
    assert.equal(await repo.read('api/srclink/deep/handler.ts', { start: 1, end: 1 }), 'export const handler = "needle";');
    assert.deepEqual(repo.readLog, [
      { path: 'api/src/server.ts', start: 2, end: 2, via: 'read' },
      { path: 'web/src/app.ts', start: 1, end: 2, via: 'read' },
      { path: 'api/src/deep/handler.ts', start: 1, end: 1, via: 'read' },
    ]);
    await expectRepoError(() => repo.read('api/leak.txt'), /leads outside the workspace through a symbolic link/);
    await expectRepoError(() => repo.read('api/dist/bundle.js'), /excluded from the workspace/);
    await expectRepoError(() => repo.read('api'), /"api" is a directory; use repo\.tree\("api"\)/);
    await expectRepoError(() => repo.read('api/src'), /"api\/src" is a directory/);
    await expectRepoError(() => repo.read('src/server.ts'), /^No file "src\/server\.ts" in the workspace\. .*Files with that name: "api\/src\/server\.ts"\.$/);
    await expectRepoError(() => repo.read('nowhere/x.ts'), /^No file "nowhere\/x\.ts"/);
    await expectRepoError(() => repo.read('api/missing.ts'), /^No file "api\/missing\.ts" in the workspace/);
    await expectRepoError(() => repo.read(tmp.abs('web/src/app.ts')), /is absolute; .*Did you mean "web\/src\/app\.ts"\?/);
    await expectRepoError(() => repo.read(tmp.abs('api')), /is absolute; .*Did you mean "api"\?/);
    await expectRepoError(() => repo.read('../x'), /outside the workspace/);
  });

  const queries: Array<[string, GrepOptions?]> = [
    ['needle'],
    ['needle', { maxResults: 3 }],
    ['needle', { maxResults: 4 }],
    ['needle', { glob: '**/*.ts' }],
    ['needle', { glob: ['web/**', 'api/README.md'] }],
    ['NEEDLE', { ignoreCase: true, glob: 'api/src/**' }],
    ['(?<=// )needle'],
    ['nothing-matches'],
  ];

  it('greps across folders in path order with the same cut-off, ripgrep and JavaScript alike', async () => {
    const rg = workspace(RG);
    const js = workspace(null);
    for (const [pattern, options] of queries) {
      const label = `${pattern} ${JSON.stringify(options ?? {})}`;
      const viaRg = await rg.grep(pattern, options);
      assert.equal(rg.lastGrepEngine, 'ripgrep', label);
      const viaJs = await js.grep(pattern, options);
      assert.equal(js.lastGrepEngine, 'js', label);
      assert.deepEqual(viaRg, viaJs, label);
    }
    assert.deepEqual(rg.readLog, js.readLog);
    assert.deepEqual((await js.grep('needle')).map((m) => `${m.path}:${m.line}`), [
      'api/README.md:2', 'api/src/deep/handler.ts:1', 'api/src/server.ts:2', 'web/dist/keep.js:1', 'web/src/app.ts:2',
    ]);
    assert.deepEqual((await rg.grep('needle', { maxResults: 4 })).map((m) => m.path).at(-1), 'web/dist/keep.js', 'the cut falls inside the second folder');
    // The subset path (explicit candidates handed to rg, folder by folder, only to the folders holding some).
    for (const include of [['web', 'api/src/server.ts'], ['api'], ['web/src']]) {
      const sub = rg.subset(include);
      assert.deepEqual(await sub.grep('needle'), await js.subset(include).grep('needle'), JSON.stringify(include));
      assert.equal(sub.lastGrepEngine, 'ripgrep');
    }
    // rg refuses this pattern in the first folder: the whole grep falls back, not just that folder.
    assert.deepEqual(await rg.grep('[^]needle'), await js.grep('[^]needle'));
    assert.equal(rg.lastGrepEngine, 'js');
    assert.ok((await js.grep('[^]needle')).some((m) => m.path.startsWith('web/')));
  });

  it('uses the JavaScript grep for every folder when one folder has no search', async () => {
    const [web, api] = folders(RG);
    const repo = new WorkspaceRepo(new MultiRootSource([web!, withoutSearch(api!)]));
    const matches = await repo.grep('needle');
    assert.equal(repo.lastGrepEngine, 'js');
    assert.deepEqual(matches, await workspace(RG).grep('needle'));
  });

  it('gives colliding folder names a stable disambiguation', async () => {
    const repo = new WorkspaceRepo(
      new MultiRootSource([new DiskSource(tmp.abs('one/app'), { ripgrepPath: RG }), new DiskSource(tmp.abs('two/app'), { ripgrepPath: RG }), new DiskSource(tmp.abs('three/app-2'), { ripgrepPath: RG })]),
    );
    assert.deepEqual(repo.folders.map((f) => [f.name, f.root]), [
      ['app', tmp.abs('one/app')],
      ['app-3', tmp.abs('two/app')],
      ['app-2', tmp.abs('three/app-2')],
    ]);
    assert.deepEqual(await repo.files(), ['app/main.ts', 'app-2/x.ts', 'app-3/main.ts']);
    assert.equal(await repo.read('app-3/main.ts'), 'needle in the second app\n');
    assert.deepEqual((await repo.grep('needle')).map((m) => m.path), ['app/main.ts', 'app-2/x.ts', 'app-3/main.ts']);
    assert.equal(repo.lastGrepEngine, 'ripgrep');
    assert.deepEqual(uniqueNames(['a', 'a', 'a']), ['a', 'a-2', 'a-3']);
    assert.deepEqual(uniqueNames(['', '.', '..', 'x/y', 'x\\y', 'folder']), ['folder', 'folder-2', 'folder-3', 'x_y', 'x_y-2', 'folder-4']);
  });

  it('has no prefix with one folder', async () => {
    const source = workspaceOf([new DiskSource(tmp.abs('api'))]);
    assert.ok(source instanceof DiskSource);
    const repo = new WorkspaceRepo(source);
    assert.deepEqual(await repo.files('src/**'), ['src/deep/handler.ts', 'src/server.ts']);
    assert.deepEqual((await repo.summary()).folders, ['api']);
    assert.ok(workspaceOf(folders(null)) instanceof MultiRootSource);
  });

  it('refuses to be built from fewer than two folders or from a source of several', () => {
    assert.throws(() => new MultiRootSource([new DiskSource(tmp.abs('api'))]), /at least two folders; got 1/);
    const pair = new MultiRootSource(folders(null));
    assert.throws(() => new MultiRootSource([pair, new DiskSource(tmp.abs('api'))]), /must be one folder; got one of 2/);
  });

  it('refuses reads of paths that name no folder when asked directly', async () => {
    const source = new MultiRootSource(folders(null));
    await assert.rejects(source.size('nowhere/x.ts'), /No folder holds "nowhere\/x\.ts"/);
    assert.deepEqual(await source.locate('nowhere/x.ts'), { outside: false, real: null });
    assert.equal(await source.entryKind('nowhere'), 'missing');
    const seen: string[] = [];
    const searcher = new MultiRootSource(folders(RG));
    assert.deepEqual(
      await searcher.search!({ pattern: 'needle', ignoreCase: false, includeGlobs: null, paths: ['nowhere/x.ts', 'web/src/app.ts'] }, async (r) => (seen.push(r.path), true)),
      { ok: true },
    );
    assert.deepEqual(seen, ['web/src/app.ts'], 'a path naming no folder is not searched');
  });
});
