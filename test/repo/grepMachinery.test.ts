/**
 * The parts grep is made of, one by one: rg's output parser, the cutting of a tree into
 * parts, the worker pool's deadline, budget and cancellation, the launcher's kill of an rg
 * whose output is not being read, and the advice the model gets.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { RecordParser, runRipgrep, ripgrepArgs, type RipgrepRecord } from '../../src/core/repo/ripgrep';
import { RgLauncher } from '../../src/core/repo/rgLauncher';
import { partitionFiles } from '../../src/core/repo/partitions';
import { GrepWorkerPool, WorkCancelled, WorkerOverrun, workBudget } from '../../src/core/repo/grepWorkerPool';
import { backtrackingAdvice, exponentialBacktracking } from '../../src/core/repo/regexRisk';
import { comparePaths } from '../../src/core/repo';
import { findRipgrep } from '../../src/cli/ripgrep';
import { makeTempRepo } from '../support/tempRepo';

const RG = findRipgrep();

describe("rg's output parser", () => {
  const frame = (path: string, line: number, text: string) => Buffer.concat([Buffer.from(path), Buffer.from([0]), Buffer.from(`${line}:${text}\n`)]);
  const output = Buffer.concat([
    frame('x\na.ts', 1, 'needle'),
    frame('./src/b.ts', 12, 'with\0a NUL and a CR\r'),
    frame('y\n\n1:z.ts', 3, 'colons: 1:2:3'),
    frame('long.js', 7, `${'q'.repeat(50)} [... omitted end of long line]`),
  ]);

  it('reads the path up to its NUL, so a newline in a file name cannot start another record', () => {
    const out: RipgrepRecord[] = [];
    const parser = new RecordParser();
    parser.feed(output, out);
    parser.end(out);
    assert.deepEqual(
      out.map((r) => [r.path, r.line, r.text, r.cut]),
      [
        ['x\na.ts', 1, 'needle', false],
        ['src/b.ts', 12, 'with\0a NUL and a CR', false],
        ['y\n\n1:z.ts', 3, 'colons: 1:2:3', false],
        ['long.js', 7, `${'q'.repeat(50)} [... omitted end of long line]`, true],
      ],
    );
  });

  it('gives the same records whatever the chunk boundaries', () => {
    const whole: RipgrepRecord[] = [];
    const p0 = new RecordParser();
    p0.feed(output, whole);
    for (let size = 1; size <= 17; size++) {
      const out: RipgrepRecord[] = [];
      const parser = new RecordParser();
      for (let at = 0; at < output.length; at += size) parser.feed(output.subarray(at, at + size), out);
      parser.end(out);
      assert.deepEqual(out, whole, `chunks of ${size}`);
    }
  });

  it('keeps a last record without its newline, and drops what has no line number', () => {
    const out: RipgrepRecord[] = [];
    const parser = new RecordParser();
    parser.feed(Buffer.from('a.ts\u0000x:bad\nb.ts\u00000:zero\nc.ts\u00009:last'), out);
    parser.end(out);
    assert.deepEqual(out.map((r) => [r.path, r.line, r.text]), [['c.ts', 9, 'last']]);
  });
});

describe('cutting the candidates into parts', () => {
  const files = [
    ...Array.from({ length: 30 }, (_, i) => `a/x${String(i).padStart(2, '0')}.ts`),
    'a-b.txt',
    ...Array.from({ length: 30 }, (_, i) => `b/c/y${String(i).padStart(2, '0')}.ts`),
    ...Array.from({ length: 30 }, (_, i) => `b/d/z${String(i).padStart(2, '0')}.ts`),
    ...Array.from({ length: 30 }, (_, i) => `g/w${String(i).padStart(2, '0')}.ts`),
    'top.txt',
  ].sort(comparePaths);
  const base = { parts: 4, minFiles: 10, maxArgChars: 8000, keepWhole: () => false, sizes: null };

  it('covers every candidate once, in order, each part named by directories and files that hold exactly its range', () => {
    const parts = partitionFiles(files, base)!;
    assert.ok(parts.length >= 2);
    let next = 0;
    for (const part of parts) {
      assert.equal(part.lo, next);
      next = part.hi;
      const inPart = files.slice(part.lo, part.hi);
      const covered = files.filter((f) => part.under.some((u) => f === u || f.startsWith(`${u}/`)));
      assert.deepEqual(covered, inPart, JSON.stringify(part.under));
    }
    assert.equal(next, files.length);
  });

  it('never splits a directory that has its own .gitignore', () => {
    const parts = partitionFiles(files, { ...base, parts: 8, keepWhole: (dir) => dir === 'b' })!;
    const roots = parts.flatMap((p) => p.under);
    assert.ok(roots.includes('b') && !roots.some((r) => r.startsWith('b/')), JSON.stringify(roots));
  });

  it('balances by size when sizes are given', () => {
    const sizes = files.map((f) => (f.startsWith('g/') ? 1_000_000 : 10));
    const parts = partitionFiles(files, { ...base, sizes })!;
    // g/ holds nearly all the bytes: it is split file by file into several parts.
    assert.ok(parts.filter((p) => p.under.every((u) => u.startsWith('g/'))).length >= 2, JSON.stringify(parts.map((p) => p.under)));
  });

  it('declines small lists and lists whose parts would not fit on a command line', () => {
    assert.equal(partitionFiles(files.slice(0, 5), base), null);
    assert.equal(partitionFiles(files, { ...base, maxArgChars: 3 }), null);
  });
});

describe('the grep worker pool', () => {
  const pool = new GrepWorkerPool({ jobBaseMs: 300, idleMs: 200 });
  after(() => pool.close());
  const slow = { pattern: '(a+){30}b', flags: '' };
  const line = `${'a'.repeat(300)}!`;

  it('stops a job past its deadline, replaces the worker, and runs the next job', async () => {
    await pool.run({ kind: 'compile', spec: { pattern: 'warm', flags: '' } }, { size: 4 });
    const started = pool.stats.started;
    await assert.rejects(pool.run({ kind: 'lines', spec: slow, texts: [line], cut: new Uint8Array(1), limit: 1 }, { size: line.length }), (err: unknown) => {
      assert.ok(err instanceof WorkerOverrun && err.reason === 'deadline' && err.ms >= 300, String(err));
      return true;
    });
    const reply = await pool.run({ kind: 'lines', spec: { pattern: 'b$', flags: '' }, texts: ['ab', 'ba'], cut: new Uint8Array(2), limit: 10 }, { size: 4 });
    assert.deepEqual([...reply.hits], [0]);
    assert.equal(pool.stats.started, started + 1, 'a new worker');
  });

  it('refuses a job whose call has spent its budget', async () => {
    const budget = workBudget(1000);
    budget.spentMs = 1000;
    await assert.rejects(pool.run({ kind: 'compile', spec: { pattern: 'x', flags: '' } }, { size: 1, budget }), (err: unknown) => err instanceof WorkerOverrun && err.reason === 'budget');
  });

  it('a cancelled running job ends at once (its worker is replaced), queued ones leave the queue', async () => {
    const controller = new AbortController();
    const running = pool.run({ kind: 'lines', spec: slow, texts: [line], cut: new Uint8Array(1), limit: 1 }, { size: 1, signal: controller.signal });
    const queued = pool.run({ kind: 'compile', spec: { pattern: 'y', flags: '' } }, { size: 1, signal: controller.signal });
    controller.abort();
    await assert.rejects(running, WorkCancelled);
    await assert.rejects(queued, WorkCancelled);
    const reply = await pool.run({ kind: 'select', glob: '**/*.ts', call: 'grep()', paths: ['a.ts', 'b.js'] }, { size: 8 });
    assert.deepEqual([...reply.mask], [1, 0]);
    assert.deepEqual(reply.ripgrepGlobs, ['*.ts']);
  });

  it('reports a bad glob as a message for the model', async () => {
    await assert.rejects(pool.run({ kind: 'select', glob: '/abs/**', call: 'grep()', paths: ['a'] }, { size: 1 }), (err: Error) => err.name === 'WorkerJobError' && /is absolute/.test(err.message));
  });
});

describe('the rg launcher', () => {
  it('kills an rg whose output it stopped reading (rg blocked on a full pipe), and reports its exit', { skip: RG === null }, async () => {
    // 6 MiB of matching lines, far more than a pipe holds: paused, rg blocks writing.
    const tmp = makeTempRepo({ 'big.txt': `${'needle '.repeat(100)}\n`.repeat(9000) });
    const launcher = new RgLauncher();
    try {
      const args = ripgrepArgs({ pattern: 'needle', ignoreCase: false, useGitignore: true, includeGlobs: null, excludeDirNames: [], paths: null });
      let bytes = 0;
      let pid = 0;
      const exit = await new Promise<{ code: number | null; signal: string | null; error: string | null }>((resolve) => {
        const id = launcher.run(RG!, args, tmp.root, {
          spawned: (p) => {
            pid = p;
          },
          stdout: (chunk) => {
            if (bytes === 0) {
              // Stop reading; once a second run through the launcher has come and gone, rg
              // has long filled its pipe and blocks. Then kill it.
              launcher.pause(id);
              launcher.run(RG!, ['--version'], tmp.root, { spawned: () => undefined, stdout: () => undefined, stderr: () => undefined, exit: () => launcher.kill(id) });
            }
            bytes += chunk.length;
          },
          stderr: () => undefined,
          exit: resolve,
        });
      });
      assert.equal(exit.signal, 'SIGKILL');
      assert.ok(bytes < 6 * 1024 * 1024, 'stopped before the end of its output');
      assert.throws(() => process.kill(pid, 0), /ESRCH/, 'rg is gone');
    } finally {
      await tmp.cleanup();
    }
  });

  it('a run whose handler throws costs no other run its frames: every exit still arrives', { skip: RG === null }, async () => {
    const launcher = new RgLauncher();
    // Runs of rg --version end in a few ms: their spawn, output and exit frames share chunks.
    const exits = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        new Promise<number | null>((resolve) => {
          launcher.run(RG!, ['--version'], process.cwd(), {
            spawned: () => {
              if (i % 2 === 0) throw new Error('a broken handler');
            },
            stdout: () => {
              if (i % 3 === 0) throw new Error('another broken handler');
            },
            stderr: () => undefined,
            exit: (outcome) => resolve(outcome.code),
          });
        }),
      ),
    );
    assert.deepEqual(exits, Array.from({ length: 20 }, () => 0));
  });

  it('reports a binary that does not start as a spawn failure', async () => {
    const outcome = await runRipgrep('/nonexistent/rg', ['x'], process.cwd(), async () => true);
    assert.equal(outcome.ok, false);
    assert.equal(!outcome.ok && outcome.spawnFailed, true);
  });
});

describe('advice about backtracking patterns', () => {
  for (const [pattern, advice] of [
    ['(a+){30}b', /repeats a group that itself repeats or alternates \("\(a\+\)\{30\}"\)/],
    ['(?:x|y){5}z', /repeats a group that itself repeats or alternates/],
    ['\\w*\\w*\\w*!', /several repetitions in a row that can match the same characters \("\\\\w\*\\\\w\*"\)/],
    ['(\\w+)\\w*\\1!', /back-reference \("\\\\1"\)/],
    ['(?<name>a+)\\k<name>', /back-reference \("\\\\k<name>"\)/],
    ['(a+?){25}b', /lazy repetition/],
    ['[^]*\\w*!', /several repetitions in a row/],
    ['foo.*bar', /^Simplify it/],
  ] as const) {
    it(`${pattern}`, () => assert.match(backtrackingAdvice(pattern), advice));
  }
  it('reads [^] and [] the JavaScript way (the class ends at once)', () => {
    assert.equal(exponentialBacktracking('[^](a+)+'), '(a+)+');
    assert.equal(exponentialBacktracking('[](a|b)*'), '(a|b)*');
  });
});
