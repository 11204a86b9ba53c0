import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { WorkspaceRepo, nodeRepoFs, type RepoFs } from '../../src/core/repo';
import { makeTempRepo, expectRepoError, type TempRepo } from '../support/tempRepo';

const TEN_LINES = Array.from({ length: 10 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';

describe('read and stat', () => {
  let tmp: TempRepo;
  const big = Array.from({ length: 500 }, (_, i) => `big line ${i + 1} ${'.'.repeat(20)}`).join('\n') + '\n';

  before(() => {
    tmp = makeTempRepo({
      'ten.txt': TEN_LINES,
      'no-newline.txt': 'a\nb',
      'empty.txt': '',
      'crlf.txt': 'one\r\ntwo\r\nthree\r\n',
      'bom.txt': '\uFEFFfirst\nsecond\n',
      'big.txt': big,
      'assets/logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]),
      'data/blob': Buffer.concat([Buffer.from('text first\n'), Buffer.from([0, 1, 2]), Buffer.from('\nmore\n')]),
      'data/late-nul.txt': 'x'.repeat(9000) + '\n' + '\0' + '\n',
    });
  });

  after(() => tmp.cleanup());

  it('reads a whole file and records lines 1..n', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    assert.equal(await repo.read('ten.txt'), TEN_LINES);
    assert.equal(await repo.read('no-newline.txt'), 'a\nb');
    assert.equal(await repo.read('empty.txt'), '');
    assert.deepEqual(repo.readLog, [
      { path: 'ten.txt', start: 1, end: 10, via: 'read' },
      { path: 'no-newline.txt', start: 1, end: 2, via: 'read' },
    ]);
  });

  it('reads 1-based inclusive line ranges, clamping the end, and records what was returned', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    assert.equal(await repo.read('ten.txt', { start: 1, end: 1 }), 'line 1');
    assert.equal(await repo.read('ten.txt', { start: 10, end: 10 }), 'line 10');
    assert.equal(await repo.read('ten.txt', { start: 3, end: 5 }), 'line 3\nline 4\nline 5');
    assert.equal(await repo.read('ten.txt', { start: 9, end: 500 }), 'line 9\nline 10');
    assert.equal(await repo.read('ten.txt', { start: 8 }), 'line 8\nline 9\nline 10');
    assert.equal(await repo.read('ten.txt', { end: 2 }), 'line 1\nline 2');
    assert.equal(await repo.read('no-newline.txt', { start: 2, end: 2 }), 'b');
    assert.deepEqual(repo.readLog, [
      { path: 'ten.txt', start: 1, end: 1, via: 'read' },
      { path: 'ten.txt', start: 10, end: 10, via: 'read' },
      { path: 'ten.txt', start: 3, end: 5, via: 'read' },
      { path: 'ten.txt', start: 9, end: 10, via: 'read' },
      { path: 'ten.txt', start: 8, end: 10, via: 'read' },
      { path: 'ten.txt', start: 1, end: 2, via: 'read' },
      { path: 'no-newline.txt', start: 2, end: 2, via: 'read' },
    ]);
  });

  it('rejects invalid ranges with a clear error and records nothing', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    await expectRepoError(() => repo.read('ten.txt', { start: 11 }), /^Line 11 is past the end of "ten\.txt", which has 10 lines\.$/);
    await expectRepoError(() => repo.read('ten.txt', { start: 11, end: 12 }), /past the end/);
    await expectRepoError(() => repo.read('ten.txt', { start: 5, end: 4 }), /start \(5\) is after end \(4\)/);
    await expectRepoError(() => repo.read('empty.txt', { start: 1, end: 1 }), /"empty\.txt" is empty \(0 lines\)/);
    assert.deepEqual(repo.readLog, []);
  });

  it('normalises CRLF line ends and drops a byte-order mark', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    assert.equal(await repo.read('crlf.txt'), 'one\ntwo\nthree\n');
    assert.equal(await repo.read('crlf.txt', { start: 2, end: 3 }), 'two\nthree');
    assert.equal(await repo.read('bom.txt'), 'first\nsecond\n');
    assert.equal(await repo.read('bom.txt', { start: 1, end: 1 }), 'first');
  });

  it('returns a short notice for binary files, by extension or by a NUL byte, and records nothing', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    assert.equal(await repo.read('assets/logo.png'), '[binary file assets/logo.png, 11 bytes: not shown]');
    assert.equal(await repo.read('data/blob', { start: 1, end: 1 }), '[binary file data/blob, 20 bytes: not shown]');
    assert.deepEqual(repo.readLog, []);
    // A NUL byte beyond the first 8 KiB does not make a file binary.
    assert.equal(await repo.read('data/late-nul.txt', { start: 2, end: 2 }), '\0');
  });

  it('refuses a whole read above maxReadBytes but streams line ranges of it', async () => {
    const repo = new WorkspaceRepo(tmp.root, { maxReadBytes: 1000 });
    await expectRepoError(() => repo.read('big.txt'), /more than the 1000 bytes a whole-file read returns; read a line range instead, e\.g\. repo\.read\("big\.txt", \{ start: 1, end: 2000 \}\)/);
    assert.equal(await repo.read('big.txt', { start: 1, end: 2 }), big.split('\n').slice(0, 2).join('\n'));
    assert.equal(await repo.read('big.txt', { start: 499, end: 900 }), big.split('\n').slice(498, 500).join('\n'));
    await expectRepoError(() => repo.read('big.txt', { start: 501 }), /Line 501 is past the end of "big\.txt", which has 500 lines/);
    await expectRepoError(() => repo.read('big.txt', { start: 1, end: 400 }), /more than 1000 bytes; read a smaller range/);
    assert.deepEqual(repo.readLog, [
      { path: 'big.txt', start: 1, end: 2, via: 'read' },
      { path: 'big.txt', start: 499, end: 500, via: 'read' },
    ]);
    assert.deepEqual(await repo.stat('big.txt'), { path: 'big.txt', bytes: Buffer.byteLength(big), lines: 500 });
  });

  it('stat gives bytes and lines (null for binaries) and records no read', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    assert.deepEqual(await repo.stat('ten.txt'), { path: 'ten.txt', bytes: TEN_LINES.length, lines: 10 });
    assert.deepEqual(await repo.stat('./no-newline.txt'), { path: 'no-newline.txt', bytes: 3, lines: 2 });
    assert.deepEqual(await repo.stat('empty.txt'), { path: 'empty.txt', bytes: 0, lines: 0 });
    assert.deepEqual(await repo.stat('crlf.txt'), { path: 'crlf.txt', bytes: 17, lines: 3 });
    assert.deepEqual(await repo.stat('assets/logo.png'), { path: 'assets/logo.png', bytes: 11, lines: null });
    assert.deepEqual(await repo.stat('data/blob'), { path: 'data/blob', bytes: 20, lines: null });
    assert.deepEqual(repo.readLog, []);
  });

  it('shares a read log passed in the options', async () => {
    const log: Array<{ path: string; start: number; end: number; via: 'read' | 'grep' }> = [];
    const a = new WorkspaceRepo(tmp.root, { readLog: log });
    const b = new WorkspaceRepo(tmp.root, { readLog: log });
    await a.read('ten.txt', { start: 2, end: 2 });
    await b.read('no-newline.txt');
    assert.equal(a.readLog, log);
    assert.deepEqual(log.map((r) => r.path), ['ten.txt', 'no-newline.txt']);
  });
});

describe('info', () => {
  it('gives size and binary-ness from the first 8 KiB at most, without the whole-file read stat() needs', async () => {
    const big = 'x'.repeat(100_000) + '\n';
    const tmp = makeTempRepo({ 'big.txt': big, 'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1]) });
    try {
      const whole: string[] = [];
      const spy: RepoFs = {
        ...nodeRepoFs,
        open: (file, purpose) => (purpose === 'read' || purpose === 'stream' ? whole.push(file) : undefined, nodeRepoFs.open(file, purpose)),
      };
      const repo = new WorkspaceRepo(tmp.root, { fs: spy });
      assert.deepEqual(await repo.info('./big.txt'), { path: 'big.txt', bytes: big.length, binary: false });
      assert.deepEqual(await repo.info('logo.png'), { path: 'logo.png', bytes: 6, binary: true });
      assert.deepEqual(whole, []);
      assert.deepEqual(await repo.stat('big.txt'), { path: 'big.txt', bytes: big.length, lines: 1 });
      assert.ok(whole.length > 0, 'the spy does see whole-file reads (stat counts lines)');
      await expectRepoError(() => repo.info('../outside.txt'), /outside the workspace/);
    } finally {
      tmp.cleanup();
    }
  });
});
