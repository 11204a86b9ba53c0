/**
 * The disk side's guards, one at a time: the safe open (fsAccess.openInside), the indexed
 * ignore rules against the `ignore` package itself, bounded line scans and counts, the read
 * gate, path quoting, and special files and notes through a multi-root workspace. The
 * hostile workspaces that exercise them together are in test/attacks/hostileRepo.test.ts.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import ignore from 'ignore';
import { DiskSource, MultiRootSource, OverlaySource, WorkspaceRepo, nodeRepoFs, type RepoFs } from '../../src/core/repo';
import { FileRefused, openInside } from '../../src/core/repo/fsAccess';
import { IgnoreRules } from '../../src/core/repo/ignoreRules';
import { listWorkspace } from '../../src/core/repo/listing';
import { countLines, scanLines, splitLines } from '../../src/core/repo/lines';
import { Gate } from '../../src/core/repo/ioGate';
import { displayName, quotePath } from '../../src/core/repo/pathGuard';
import { makeTempRepo, expectRepoError } from '../support/tempRepo';

const posix = process.platform !== 'win32';

describe('openInside', { skip: posix ? false : 'POSIX' }, () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-open-'));
  const root = path.join(base, 'ws');
  fs.mkdirSync(path.join(root, 'dir'), { recursive: true });
  fs.writeFileSync(path.join(root, 'a.txt'), 'inside\n');
  fs.writeFileSync(path.join(base, 'outside.txt'), 'outside\n');
  fs.symlinkSync('a.txt', path.join(root, 'alias.txt'));
  fs.symlinkSync('../outside.txt', path.join(root, 'leak.txt'));
  execFileSync('mkfifo', [path.join(root, 'pipe')]);
  after(() => fs.rmSync(base, { recursive: true, force: true }));
  const noProc: RepoFs = { ...nodeRepoFs, openedPath: async () => null };

  for (const [label, fsa] of [['kernel path', nodeRepoFs], ['inode check', noProc]] as const) {
    it(`opens regular files and links inside, refuses links outside, FIFOs and directories (${label})`, async () => {
      const realRoot = fs.realpathSync(root);
      for (const name of ['a.txt', 'alias.txt']) {
        const { file, size } = await openInside(fsa, realRoot, path.join(root, name), 'read');
        assert.equal(size, 7);
        await file.close();
      }
      const reason = async (name: string): Promise<string> => {
        try {
          await openInside(fsa, realRoot, path.join(root, name), 'read');
        } catch (err) {
          assert.ok(err instanceof FileRefused);
          assert.ok(!err.message.includes(base), 'no absolute path');
          return `${err.reason}: ${err.detail}`;
        }
        return 'opened';
      };
      assert.equal(await reason('leak.txt'), 'outside: leads outside the workspace through a symbolic link');
      assert.equal(await reason('pipe'), 'special: a named pipe (FIFO)');
      assert.equal(await reason('dir'), 'directory: a directory');
      assert.equal(await reason('missing'), 'missing: no longer exists');
    });
  }

  it('checks the handle, not the name: a file whose directory is a link outside is refused', async () => {
    // The walker never lists through a linked directory; this is what a swap would present to open().
    const linked = path.join(root, 'via');
    fs.symlinkSync(base, linked);
    try {
      for (const fsa of [nodeRepoFs, noProc]) {
        await assert.rejects(openInside(fsa, fs.realpathSync(root), path.join(linked, 'outside.txt'), 'read'), (err: FileRefused) => err.reason === 'outside');
      }
    } finally {
      fs.unlinkSync(linked);
    }
  });
});

describe('IgnoreRules (indexed) agrees with the ignore package', () => {
  // Rules of every kind the index distinguishes, negations among them, and paths that hit them.
  const rules = [
    'build/', '/dist', 'a/b.txt', '*.log', '!keep.log', '.env*', '*.py[cod]', 'foo/**', '**/x', 'node?', '\\#lit', 'name with space',
    'docs/*.md', '!docs/keep.md', '*~', 'tmp*', '!tmp-keep', 'deep/**/z.ts', '*.tar.gz', 'LICENSE', '/root-only.txt', 'vendor/', '!vendor/', 'sub/*/gen/',
  ];
  const names = ['build', 'dist', 'b.txt', 'x.log', 'keep.log', '.env', '.env.local', 'm.pyc', 'm.py', 'foo', 'bar', 'x', 'node1', 'nodes', '#lit',
    'name with space', 'readme.md', 'keep.md', 'f~', 'tmpfile', 'tmp-keep', 'z.ts', 'a.tar.gz', 'LICENSE', 'root-only.txt', 'vendor', 'gen', 'tmp'];
  const dirs = ['', 'a', 'docs', 'foo', 'deep', 'deep/q', 'sub', 'sub/k', 'x', 'src/a'];

  it('gives the per-path verdict of the package for every rule kind, file or directory', async () => {
    const ours = new IgnoreRules();
    await ours.add('', rules.join('\n'));
    const ref = ignore({ ignorecase: false }).add(rules);
    const own = (ref as unknown as { _rules: { test(p: string, mode: string): { ignored: boolean; unignored: boolean } } })._rules;
    let checked = 0;
    for (const dir of dirs) {
      for (const name of names) {
        for (const isDir of [false, true]) {
          const rel = dir === '' ? name : `${dir}/${name}`;
          const verdict = own.test(rel + (isDir ? '/' : ''), 'regex');
          assert.equal(ours.isIgnored(rel, isDir), verdict.ignored, `${rel}${isDir ? '/' : ''}`);
          checked++;
        }
      }
    }
    assert.ok(checked > 500);
  });

  it('applies at most 10,000 rules over all files and says what it left out', async () => {
    const ours = new IgnoreRules();
    await ours.add('', Array.from({ length: 8000 }, (_, i) => `r${i}`).join('\n'));
    await ours.add('sub', Array.from({ length: 4000 }, (_, i) => `s${i}`).join('\n'));
    assert.equal(ours.isIgnored('r7999', false), true);
    assert.equal(ours.isIgnored('sub/s1999', false), true);
    assert.equal(ours.isIgnored('sub/s2000', false), false, 'past the cap');
    assert.deepEqual(ours.notes(), ['The ignore files hold more than 10,000 rules; 2,000 rules after that (in "sub/.gitignore") are not applied, so files they would hide are listed.']);
  });

  it('applies at most 1,000 rules that must be tried against every path', async () => {
    const ours = new IgnoreRules();
    await ours.add('', Array.from({ length: 1500 }, (_, i) => `?${i}.t?`).join('\n'));
    assert.equal(ours.isIgnored('a999.tx', false), true);
    assert.equal(ours.isIgnored('a1000.tx', false), false);
    assert.match(ours.notes()[0]!, /more than 1,000 complex wildcard rules \(or 100 with no literal text\); 500 after that/);
  });

  it('applies at most 100 rules with no literal text, which must be tried as regexes for every path', async () => {
    const ours = new IgnoreRules();
    // "[Ā]*", "[ā]*", …: a class and a star, nothing to look up or pre-test.
    await ours.add('', Array.from({ length: 150 }, (_, i) => `[${String.fromCharCode(0x100 + i)}]*`).join('\n'));
    assert.equal(ours.isIgnored(`${String.fromCharCode(0x100 + 99)}x`, false), true);
    assert.equal(ours.isIgnored(`${String.fromCharCode(0x100 + 100)}x`, false), false);
    assert.match(ours.notes()[0]!, /; 50 after that/);
  });
});

describe('bounded line scans', () => {
  const stream = (...chunks: string[]): AsyncIterable<Uint8Array> => ({
    async *[Symbol.asyncIterator]() {
      for (const c of chunks) yield Buffer.from(c);
    },
  });

  it('counts lines as splitLines numbers them, from the bytes alone', async () => {
    for (const text of ['', '\n', 'a', 'a\n', 'a\nb', 'a\r\nb\r\n', '\uFEFF', '\uFEFF\n', '\uFEFFx', '\n\n\n', 'é\nü']) {
      assert.equal((await countLines([Buffer.from(text)])).lines, splitLines(text).length, JSON.stringify(text));
    }
  });

  it('cuts a line longer than maxLineBytes at a character boundary, with its real length', async () => {
    const lines: string[] = [];
    // 'é' is two bytes: a cut at byte 5 falls inside the third one and backs off to 4.
    await scanLines(stream('éééééé', 'éé\nshort\n'), (l) => void lines.push(l), { maxLineBytes: 5 });
    assert.deepEqual(lines, ['éé [… line cut: it is 16 bytes long; only its first 4 bytes are shown]', 'short']);
  });

  it('stops after maxBytes without reporting the line it cut through', async () => {
    const lines: string[] = [];
    const result = await scanLines(stream('one\ntwo\nthr', 'ee\nfour\n'), (l) => void lines.push(l), { maxBytes: 10 });
    assert.deepEqual(result, { lines: 2, stopped: false, truncated: true });
    assert.deepEqual(lines, ['one', 'two']);
    assert.deepEqual(await countLines(stream('one\ntwo\nthree\n'), 6), { lines: 2, newlines: 1, complete: false, scanned: 6 });
  });

  it('estimates, and says so, the lines of a file bigger than the scan limit', async () => {
    const tmp = makeTempRepo({ 'big.txt': 'line\n'.repeat(10_000) });
    try {
      const repo = new WorkspaceRepo(tmp.root, { maxReadBytes: 1000, maxScanBytes: 5000 });
      assert.deepEqual(await repo.stat('big.txt'), { path: 'big.txt', bytes: 50_000, lines: 10_000, linesEstimated: true });
      assert.equal(await repo.read('big.txt', { start: 999, end: 1000 }), 'line\nline');
      await expectRepoError(() => repo.read('big.txt', { start: 1001 }), /^Line 1,001 of "big\.txt" is beyond the first 4\.9 KiB of the file, which is as far as a read by line goes \(that part holds 1,000 lines\)/);
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('Gate', () => {
  it('admits at most maxOps operations and maxBytes bytes at once, in arrival order', async () => {
    const gate = new Gate(3, 100);
    let peakOps = 0;
    let peakBytes = 0;
    const order: number[] = [];
    const work = (i: number, bytes: number) =>
      gate.run(bytes, async () => {
        peakOps = Math.max(peakOps, gate.inFlight.ops);
        peakBytes = Math.max(peakBytes, gate.inFlight.bytes);
        order.push(i);
        await new Promise((resolve) => setTimeout(resolve, 2));
      });
    await Promise.all([work(0, 60), work(1, 60), work(2, 10), work(3, 500), work(4, 1), work(5, 1), work(6, 1)]);
    assert.equal(peakOps, 3);
    assert.ok(peakBytes <= 100, `${peakBytes} bytes in flight`);
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5, 6], 'first come, first served; the big one ran alone');
    assert.deepEqual(gate.inFlight, { ops: 0, bytes: 0 });
  });

  it('bounds what Promise.all of many reads holds at once, per source', async () => {
    const tmp = makeTempRepo(Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`f${i}.txt`, 'x'.repeat(100_000) + '\n'])));
    try {
      let open = 0;
      let peak = 0;
      const counting: RepoFs = {
        ...nodeRepoFs,
        open: async (file, purpose) => {
          const handle = await nodeRepoFs.open(file, purpose);
          peak = Math.max(peak, ++open);
          return { fd: handle.fd, stat: () => handle.stat(), read: (b, o, l, p) => handle.read(b, o, l, p), close: () => (open--, handle.close()) };
        },
      };
      const repo = new WorkspaceRepo(tmp.root, { fs: counting });
      const files = await repo.files();
      const texts = await Promise.all(files.map((f) => repo.read(f)));
      assert.equal(texts.length, 100);
      assert.ok(peak <= 16, `${peak} files open at once`);
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('listing caps', { skip: posix ? false : 'POSIX' }, () => {
  it('stops at maxEntries and keeps at most 50 per-file notes, the walk\'s own notes first', async () => {
    const tmp = makeTempRepo(Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}.txt`, ''])));
    try {
      for (let i = 0; i < 60; i++) {
        fs.mkdirSync(tmp.abs(`d${i}`));
        execFileSync('mkfifo', [tmp.abs(`d${i}/.gitignore`)]);
      }
      const realRoot = fs.realpathSync(tmp.root);
      const listing = await listWorkspace({ root: tmp.root, realRoot, exclude: [], useGitignore: true, fs: nodeRepoFs, maxEntries: 20 });
      assert.equal(listing.files.length + listing.special.size, 20);
      assert.equal(listing.notes[0], 'The workspace has more than 20 files; the listing stopped there, so some files are not listed.');
      const all = await listWorkspace({ root: tmp.root, realRoot, exclude: [], useGitignore: true, fs: nodeRepoFs });
      assert.equal(all.notes.length, 51);
      assert.match(all.notes[0]!, /^"d\d+\/\.gitignore" is a named pipe \(FIFO\)/);
      assert.equal(all.notes[50], '… and 10 more notes like these.');
      const summary = await new WorkspaceRepo(tmp.root).summary();
      assert.equal(summary.notes?.length, 7, 'five notes, a line for the rest, and the special files');
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('ignore files are read up to their cap', () => {
  it('reads at most 1 MiB (and one byte) of a 5 MB .gitignore', async () => {
    const tmp = makeTempRepo({ '.gitignore': '*.log\n' + `${'#'.repeat(99)}\n`.repeat(50_000), 'a.log': '', 'b.txt': '' });
    try {
      let read = 0;
      const counting: RepoFs = {
        ...nodeRepoFs,
        open: async (file, purpose) => {
          const handle = await nodeRepoFs.open(file, purpose);
          return {
            fd: handle.fd,
            stat: () => handle.stat(),
            close: () => handle.close(),
            read: async (b, o, l, p) => {
              const r = await handle.read(b, o, l, p);
              if (purpose === 'ignore-file') read += r.bytesRead;
              return r;
            },
          };
        },
      };
      const repo = new WorkspaceRepo(tmp.root, { fs: counting });
      assert.deepEqual(await repo.files(), ['.gitignore', 'b.txt']);
      assert.ok(read <= 1024 * 1024 + 1, `${read} bytes of the ignore file read`);
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('DiskSource open limit', () => {
  it('keeps at most 64 files open whatever is asked of it at once', async () => {
    const tmp = makeTempRepo(Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`f${i}.txt`, `${i}\n`])));
    try {
      let open = 0;
      let peak = 0;
      const counting: RepoFs = {
        ...nodeRepoFs,
        open: async (file, purpose) => {
          const handle = await nodeRepoFs.open(file, purpose);
          peak = Math.max(peak, ++open);
          await new Promise((resolve) => setTimeout(resolve, 1)); // hold it a moment, as a slow disk would
          return { fd: handle.fd, stat: () => handle.stat(), read: (b, o, l, p) => handle.read(b, o, l, p), close: () => (open--, handle.close()) };
        },
      };
      const source = new DiskSource(tmp.root, { fs: counting });
      const names = Array.from({ length: 300 }, (_, i) => `f${i}.txt`);
      await Promise.all([...names.map((n) => source.size(n)), ...names.map((n) => source.readBytes(n, 100)), ...names.map((n) => source.isBinary(n))]);
      assert.ok(peak <= 64, `${peak} files open at once`);
      assert.equal(open, 0, 'every handle closed');
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('unsaved text, streamed', () => {
  it('streams a huge unsaved buffer a piece at a time, never splitting a character', async () => {
    const tmp = makeTempRepo({ 'big.txt': 'on disk\n' });
    try {
      const emoji = '\u{1F600}'.repeat(300_000); // 600,000 UTF-16 units, 1.2 MB of UTF-8, one line
      const texts = new Map([['big.txt', `${emoji}\nend\n`]]);
      const repo = new WorkspaceRepo(new OverlaySource(new DiskSource(tmp.root), texts), { maxReadBytes: 2 * 1024 * 1024 });
      assert.equal(await repo.read('big.txt', { start: 2, end: 2 }), 'end');
      const small = new WorkspaceRepo(new OverlaySource(new DiskSource(tmp.root), texts), { maxReadBytes: 1000 });
      const first = await small.read('big.txt', { start: 1, end: 1 });
      assert.ok(!first.includes('\uFFFD'), 'no character split');
      assert.ok(first.startsWith('\u{1F600}'.repeat(250)) && first.includes('line cut: it is 1.1 MiB long'), first.slice(0, 40));
      assert.equal(await small.read('big.txt', { start: 2, end: 2 }), 'end');
    } finally {
      await tmp.cleanup();
    }
  });
});

describe('paths in messages and trees', () => {
  it('quotes paths as JavaScript strings, escaping controls, separators and bidi controls', () => {
    assert.equal(quotePath('src/a.ts'), '"src/a.ts"');
    assert.equal(quotePath('a\nb'), '"a\\nb"');
    assert.equal(quotePath('q"\\'), '"q\\"\\\\"');
    assert.equal(quotePath('x\u001b[1m\u202e\u2028\u0085'), '"x\\u001b[1m\\u202e\\u2028\\u0085"');
    assert.equal(displayName('plain name.ts'), 'plain name.ts');
    assert.equal(displayName(' lead'), '" lead"');
    assert.equal(displayName('tab\there'), '"tab\\there"');
  });
});

describe('special files and notes through several folders', { skip: posix ? false : 'POSIX' }, () => {
  it('prefixes special files and notes with the folder', async () => {
    const a = makeTempRepo({ 'x.ts': 'x\n' });
    const b = makeTempRepo({ 'y.ts': 'y\n' });
    try {
      execFileSync('mkfifo', [a.abs('pipe'), b.abs('.gitignore')]);
      const repo = new WorkspaceRepo(new MultiRootSource([new DiskSource(a.root, { name: 'api' }), new DiskSource(b.root, { name: 'web' })]));
      assert.deepEqual(await repo.files(), ['api/x.ts', 'web/y.ts']);
      await expectRepoError(() => repo.read('api/pipe'), /^"api\/pipe" is a named pipe \(FIFO\), a special file/);
      const summary = await repo.summary();
      assert.deepEqual(summary.notes, [
        'In folder "web": ".gitignore" is a named pipe (FIFO), not a file; it was not read, and its rules are not applied.',
        '2 special files (named pipes, sockets or devices) are shown in repo.tree() but never opened: they are not in repo.files() and cannot be read.',
      ]);
      assert.match(await repo.tree(), /^    pipe  \[a named pipe \(FIFO\): never opened, cannot be read\]$/m);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });
});
