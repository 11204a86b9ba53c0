import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WorkspaceRepo } from '../../src/core/repo';
import { findRipgrep } from '../../src/cli/ripgrep';
import { makeTempRepo, expectRepoError, type TempRepo } from '../support/tempRepo';

describe('subset views', () => {
  let tmp: TempRepo;

  before(() => {
    tmp = makeTempRepo({
      'src/core/a.ts': 'export const a = "shared token";\n',
      'src/core/b.ts': 'export const b = "shared token";\n',
      'src/core/deep/c.ts': 'export const c = "shared token";\n',
      'src/cli/main.ts': 'main("shared token");\n',
      'README.md': '# shared token\n',
      'docs/guide.md': 'shared token in docs\n',
    });
  });

  after(() => tmp.cleanup());

  for (const ripgrepPath of [findRipgrep(), null]) {
    const label = ripgrepPath === null ? 'JS grep' : 'ripgrep';

    it(`sees only the included files, by glob, directory or path (${label})`, async () => {
      const repo = new WorkspaceRepo(tmp.root, { ripgrepPath });
      const sub = repo.subset(['src/core/**', 'README.md']);
      assert.deepEqual(await sub.files(), ['README.md', 'src/core/a.ts', 'src/core/b.ts', 'src/core/deep/c.ts']);
      assert.deepEqual(await repo.subset(['src/cli', 'docs/']).files(), ['docs/guide.md', 'src/cli/main.ts']);
      assert.deepEqual(await sub.files('**/*.md'), ['README.md']);
      assert.deepEqual(
        (await sub.grep('shared token')).map((m) => m.path),
        ['README.md', 'src/core/a.ts', 'src/core/b.ts', 'src/core/deep/c.ts'],
      );
      assert.deepEqual((await sub.grep('shared', { glob: 'src/**' })).map((m) => m.path), ['src/core/a.ts', 'src/core/b.ts', 'src/core/deep/c.ts']);
      assert.deepEqual((await sub.grep('shared', { maxResults: 2 })).map((m) => m.path), ['README.md', 'src/core/a.ts']);
      assert.equal((sub as WorkspaceRepo).lastGrepEngine, ripgrepPath === null ? 'js' : 'ripgrep');
      assert.equal(repo.lastGrepEngine, null, 'the parent ran no grep');
    });

    it(`refuses files outside the subset and shares the read log (${label})`, async () => {
      const repo = new WorkspaceRepo(tmp.root, { ripgrepPath });
      const sub = repo.subset(['src/core/**']);
      await expectRepoError(
        () => sub.read('src/cli/main.ts'),
        /^"src\/cli\/main\.ts" is outside this sub-repo, which only holds the files matching \["src\/core\/\*\*"\]\. Use repo\.files\(\) to list them\.$/,
      );
      await expectRepoError(() => sub.stat('README.md'), /outside this sub-repo/);
      await expectRepoError(() => sub.tree('src/cli'), /No directory "src\/cli" in this sub-repo/);
      await expectRepoError(() => sub.read('../x'), /outside the workspace/);
      assert.equal(await sub.read('src/core/a.ts', { start: 1, end: 1 }), 'export const a = "shared token";');
      await sub.grep('const b');
      assert.equal((sub as WorkspaceRepo).readLog, repo.readLog, 'the very same log');
      assert.deepEqual(repo.readLog, [
        { path: 'src/core/a.ts', start: 1, end: 1, via: 'read' },
        { path: 'src/core/b.ts', start: 1, end: 1, via: 'grep' },
      ]);
    });
  }

  it('narrows further when taken from a subset, and scopes tree, clusters and summary', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    const sub = repo.subset(['src/**']).subset(['**/deep/**', 'README.md']);
    assert.deepEqual(await sub.files(), ['src/core/deep/c.ts']);
    await expectRepoError(() => sub.read('README.md'), /outside this sub-repo.*within \["src\/\*\*"\]/);
    const core = repo.subset(['src/core']);
    assert.equal(await core.tree(), `${repo.name}/ (3 files)\n  src/ (3 files)\n    core/ (3 files)`);
    assert.deepEqual((await core.clusters()).flatMap((c) => c.files), ['src/core/a.ts', 'src/core/b.ts', 'src/core/deep/c.ts']);
    const summary = await core.summary();
    assert.equal(summary.fileCount, 3);
    assert.deepEqual(summary.languages.map((l) => [l.language, l.files]), [['TypeScript', 3]]);
  });

  it('rejects bad include lists', () => {
    const repo = new WorkspaceRepo(tmp.root);
    assert.throws(() => repo.subset([]), /subset\(\) needs a non-empty array of paths or globs/);
    assert.throws(() => repo.subset(['../outside/**']), /climbs out/);
    assert.throws(() => repo.subset(['/abs/**']), /absolute/);
  });
});
