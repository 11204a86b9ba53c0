import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiskSource, WorkspaceRepo } from '../../src/core/repo';
import { findRipgrep } from '../../src/cli/ripgrep';
import { makeTempRepo, expectRepoError } from '../support/tempRepo';

describe('DiskSource', () => {
  it('needs a root directory', () => {
    assert.throws(() => new DiskSource(''), /needs its root directory; got an empty path/);
    assert.throws(() => new WorkspaceRepo(''), /needs its root directory/);
  });

  it('refuses a whole read of a file that grew past maxReadBytes after its size was taken', async () => {
    const tmp = makeTempRepo({ 'f.txt': 'small\n' });
    try {
      const repo = new WorkspaceRepo(tmp.root, { maxReadBytes: 1000 });
      assert.deepEqual(await repo.stat('f.txt'), { path: 'f.txt', bytes: 6, lines: 1 });
      tmp.write('f.txt', 'x'.repeat(2000) + '\n');
      await expectRepoError(() => repo.read('f.txt'), /more than the 1000 bytes a whole-file read returns/);
      // A range is streamed instead, and its one line, longer than maxReadBytes, comes back cut there.
      const line = await repo.read('f.txt', { start: 1, end: 1 });
      assert.ok(line.startsWith('x'.repeat(1000) + ' [… line cut: it is 2.0 KiB long; only its first 1000 bytes are shown]'), line.slice(990));
    } finally {
      await tmp.cleanup();
    }
  });

  it('does not list FIFOs among the files, says what they are, and greps past them', async (t) => {
    if (process.platform === 'win32') return t.skip('no FIFOs on Windows');
    const tmp = makeTempRepo({ 'a.txt': 'needle\n' });
    try {
      execFileSync('mkfifo', [tmp.abs('pipe')]);
      for (const ripgrepPath of [findRipgrep(), null]) {
        const repo = new WorkspaceRepo(tmp.root, { ripgrepPath });
        assert.deepEqual(await repo.files(), ['a.txt']);
        await expectRepoError(() => repo.read('pipe'), /^"pipe" is a named pipe \(FIFO\), a special file: it is never opened or read/);
        assert.match(await repo.tree(), /^  pipe  \[a named pipe \(FIFO\): never opened, cannot be read\]$/m);
        assert.deepEqual((await repo.grep('needle')).map((m) => m.path), ['a.txt']);
      }
    } finally {
      await tmp.cleanup();
    }
  });

  it('reports a root that cannot be opened, and lists it once it can', async () => {
    const tmp = makeTempRepo({ 'a.txt': 'a\n' });
    try {
      const repo = new WorkspaceRepo(tmp.root);
      fs.rmSync(tmp.root, { recursive: true });
      const message = await expectRepoError(() => repo.files(), /^The workspace folder "rlm-repo-\w+" cannot be opened: no such file or directory \(ENOENT\)\./);
      assert.ok(!message.includes(tmp.root), 'no absolute path in the message');
      tmp.write('b.txt', 'b\n');
      assert.deepEqual(await repo.files(), ['b.txt'], 'a failed listing is not remembered');
    } finally {
      await tmp.cleanup();
    }
  });

  it('looks up where its root really is again for a fresh snapshot', async (t) => {
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-retarget-'));
    try {
      for (const d of ['A', 'B']) {
        fs.mkdirSync(path.join(base, d));
        fs.writeFileSync(path.join(base, d, `${d}.txt`), `in ${d}\n`);
      }
      const link = path.join(base, 'ws');
      try {
        fs.symlinkSync('A', link, 'dir');
      } catch {
        return t.skip('cannot create directory links here');
      }
      const repo = new WorkspaceRepo(link);
      assert.equal(await repo.read('A.txt'), 'in A\n');
      fs.unlinkSync(link);
      fs.symlinkSync('B', link, 'dir');
      const next = repo.fresh();
      assert.deepEqual(await next.files(), ['B.txt']);
      assert.equal(await next.read('B.txt'), 'in B\n', 'not refused as leading outside the old target');
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
