import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkspaceRepo, RepoError } from '../../src/core/repo';
import { findRipgrep } from '../../src/cli/ripgrep';
import { normalizeRelPath } from '../../src/core/repo/pathGuard';
import { makeTempRepo, expectRepoError, type TempRepo } from '../support/tempRepo';

describe('normalizeRelPath', () => {
  it('normalises relative paths to the "a/b" form', () => {
    assert.equal(normalizeRelPath('./src//a.ts'), 'src/a.ts');
    assert.equal(normalizeRelPath('src/'), 'src');
    assert.equal(normalizeRelPath('src/x/../a.ts'), 'src/a.ts');
    assert.equal(normalizeRelPath('.'), '');
    assert.equal(normalizeRelPath(''), '');
  });

  it('refuses absolute paths, suggesting the relative form when inside the root', () => {
    assert.throws(() => normalizeRelPath('/etc/passwd'), (e: Error) => e instanceof RepoError && /is absolute/.test(e.message));
    assert.throws(
      () => normalizeRelPath('/work/root/src/a.ts', '/work/root'),
      (e: Error) => e instanceof RepoError && /Did you mean "src\/a\.ts"\?/.test(e.message),
    );
  });

  it('refuses paths that climb out of the root', () => {
    for (const p of ['..', '../x', 'a/../../x', 'a/b/../../../x']) {
      assert.throws(
        () => normalizeRelPath(p),
        (e: Error) =>
          e instanceof RepoError &&
          e.message ===
            `Path "${p}" is outside the workspace; paths are relative to the workspace root, like "src/index.ts".`,
        p,
      );
    }
  });

});

describe('WorkspaceRepo path safety', () => {
  let tmp: TempRepo;
  let outside: string;

  before(() => {
    tmp = makeTempRepo({
      'src/a.ts': 'export const a = 1;\n',
      'src/deep/b.ts': 'export const b = 2;\n',
      'ignored.log': 'log\n',
      '.gitignore': '*.log\n',
    });
    outside = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'TOP_SECRET_TOKEN\n');
    fs.mkdirSync(path.join(outside, 'dir'));
    fs.writeFileSync(path.join(outside, 'dir', 'inner.txt'), 'TOP_SECRET_TOKEN inner\n');
    tmp.symlink('leak.txt', path.join(outside, 'secret.txt'), 'file');
    tmp.symlink('leakdir', path.join(outside, 'dir'), 'dir');
    tmp.symlink('relative-leak.txt', '../' + path.basename(outside) + '/secret.txt', 'file');
    tmp.symlink('alias.ts', 'src/a.ts', 'file');
    tmp.symlink('srclink', 'src', 'dir');
  });

  after(async () => {
    await tmp.cleanup();
    fs.rmSync(outside, { recursive: true, force: true });
  });

  for (const ripgrepPath of [findRipgrep(), null]) {
    const label = ripgrepPath === null ? 'JS grep' : 'ripgrep';

    it(`refuses traversal and absolute paths in read and stat (${label})`, async () => {
      const repo = new WorkspaceRepo(tmp.root, { ripgrepPath });
      await expectRepoError(() => repo.read('../x'), /^Path "\.\.\/x" is outside the workspace; paths are relative/);
      await expectRepoError(() => repo.read('a/../../x'), /outside the workspace/);
      await expectRepoError(() => repo.stat('src/../../etc/passwd'), /outside the workspace/);
      await expectRepoError(() => repo.read('/etc/passwd'), /is absolute/);
      await expectRepoError(() => repo.read(path.join(tmp.root, 'src', 'a.ts')), /Did you mean "src\/a\.ts"/);
      await expectRepoError(() => repo.tree('../'), /outside the workspace/);
    });

    it(`refuses symbolic links leading out of the root, for files and directories (${label})`, async () => {
      const repo = new WorkspaceRepo(tmp.root, { ripgrepPath });
      await expectRepoError(() => repo.read('leak.txt'), /leads outside the workspace through a symbolic link/);
      await expectRepoError(() => repo.read('relative-leak.txt'), /leads outside the workspace through a symbolic link/);
      await expectRepoError(() => repo.read('leakdir/inner.txt'), /leads outside the workspace through a symbolic link/);
      await expectRepoError(() => repo.stat('leakdir/inner.txt'), /through a symbolic link/);
      // Even a file that does not exist behind the link is refused as outside.
      await expectRepoError(() => repo.read('leakdir/missing.txt'), /through a symbolic link/);
      const files = await repo.files();
      assert.ok(!files.includes('leak.txt') && !files.includes('relative-leak.txt'));
      assert.ok(!files.some((f) => f.startsWith('leakdir/')));
      assert.deepEqual(await repo.grep('TOP_SECRET_TOKEN'), []);
      assert.equal(repo.readLog.length, 0);
    });

    it(`follows symbolic links that stay inside the workspace (${label})`, async () => {
      const repo = new WorkspaceRepo(tmp.root, { ripgrepPath });
      const files = await repo.files();
      assert.ok(files.includes('alias.ts'), 'a linked file inside the workspace is listed');
      assert.ok(!files.some((f) => f.startsWith('srclink/')), 'linked directories are not walked (no duplicates)');
      assert.equal(await repo.read('alias.ts'), 'export const a = 1;\n');
      // Through a linked directory: readable, and recorded under the file's listed path.
      assert.equal(await repo.read('srclink/deep/b.ts', { start: 1, end: 1 }), 'export const b = 2;');
      assert.deepEqual(repo.readLog.at(-1), { path: 'src/deep/b.ts', start: 1, end: 1, via: 'read' });
      assert.deepEqual(await repo.stat('alias.ts'), { path: 'alias.ts', bytes: 20, lines: 1 });
    });
  }

  it('explains missing files, directories, ignored files and the root', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    await expectRepoError(
      () => repo.read('src/foo.ts'),
      /^No file "src\/foo\.ts" in the workspace\. Use repo\.files\(\) or repo\.grep\(\) to find files\.$/,
    );
    await expectRepoError(() => repo.read('lib/b.ts'), /Files with that name: "src\/deep\/b\.ts"/);
    await expectRepoError(() => repo.read('src'), /"src" is a directory; use repo\.tree\("src"\)/);
    await expectRepoError(() => repo.read('ignored.log'), /excluded from the workspace \(by \.gitignore/);
    await expectRepoError(() => repo.read('.'), /is the workspace root, not a file/);
  });

  it('refuses a root that is not a directory', () => {
    assert.throws(() => new WorkspaceRepo(path.join(tmp.root, 'src', 'a.ts')), /is not a directory/);
    assert.throws(() => new WorkspaceRepo(path.join(tmp.root, 'nope')), RepoError);
  });
});
