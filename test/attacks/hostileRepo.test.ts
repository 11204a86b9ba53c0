/**
 * Hostile workspaces against the repo's disk side: special files, files of gigabytes, huge
 * and hostile ignore files, a symbolic link swapped while reads run, and file names made to
 * forge lines. Each workspace is made by the test itself; each attack goes through the real
 * `WorkspaceRepo` over a real `DiskSource` (the last one through the real engine with a
 * scripted model), inside `underWatch()`, and asserts:
 *   - the host's bounds: event-loop delay at most 100 ms, memory growth within bound;
 *   - nothing outside the workspace is ever returned (a secret is planted outside, next to it);
 *   - a clear message, naming workspace paths only;
 *   - the next call works (and libuv's thread pool is not parked on a FIFO).
 * Linux and macOS (FIFOs, /dev/zero); the kernel-path check is Linux's, the inode check
 * everyone else's, and both are run. Deterministic: the swap race asserts over every
 * iteration, and a second version makes the swap happen exactly between check and open.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkspaceRepo, nodeRepoFs, type RepoFs } from '../../src/core/repo';
import { MAX_IGNORE_RULES } from '../../src/core/repo/ignoreRules';
import { runRlm } from '../../src/core/engine/rlm';
import { ScriptedProvider, js } from '../support/scriptedProvider';
import { HOST_BOUNDS, describeHealth, underWatch, type HostHealth } from '../support/hostHealth';
import { expectRepoError } from '../support/tempRepo';

const posix = process.platform !== 'win32';
const linux = process.platform === 'linux';
const skipUnlessPosix = posix ? false : 'FIFOs, /dev/zero and sparse files are POSIX';
const MiB = 1024 * 1024;

/** The secret planted outside every workspace: it must never come back from any call. */
const SECRET = `OUTSIDE-SECRET-${process.pid}-${Date.now()}`;

interface World {
  /** The workspace root. */
  root: string;
  /** A directory beside it holding secret.txt and dir/f.txt, both with SECRET. */
  outside: string;
  abs(rel: string): string;
  write(rel: string, content: string | Uint8Array): void;
  cleanup(): void;
}

function makeWorld(files: Record<string, string> = {}): World {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-hostile-'));
  const root = path.join(base, 'ws');
  const outside = path.join(base, 'outside');
  fs.mkdirSync(root);
  fs.mkdirSync(path.join(outside, 'dir'), { recursive: true });
  // The same sizes as their inside counterparts would be too easy to confuse; make them distinct.
  fs.writeFileSync(path.join(outside, 'secret.txt'), `${SECRET}\n`.repeat(37));
  fs.writeFileSync(path.join(outside, 'dir', 'f.txt'), `${SECRET}\n`.repeat(41));
  fs.writeFileSync(path.join(outside, 'ignore-everything'), '*\n');
  const abs = (rel: string): string => path.join(root, ...rel.split('/'));
  const write = (rel: string, content: string | Uint8Array): void => {
    fs.mkdirSync(path.dirname(abs(rel)), { recursive: true });
    fs.writeFileSync(abs(rel), content);
  };
  for (const [rel, content] of Object.entries(files)) write(rel, content);
  return {
    root,
    outside,
    abs,
    write,
    cleanup: () => {
      unparkFifos(base);
      fs.rmSync(base, { recursive: true, force: true });
    },
  };
}

/**
 * Opens every FIFO under `dir` for writing, without blocking: if a regression left a reader
 * parked on one (a thread-pool thread), this releases it, so a failing test fails instead of
 * hanging the suite.
 */
function unparkFifos(dir: string): void {
  const walk = (d: string): void => {
    let entries: fs.Dirent[] = [];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFIFO()) {
        try {
          fs.closeSync(fs.openSync(p, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
        } catch {
          // no reader: nothing parked
        }
      }
    }
  };
  walk(dir);
}

/**
 * For attacks on FIFOs: if a regression makes an open block, the FIFOs are unparked after
 * `ms` (so the suite goes on), and the attack must have finished well before that.
 */
function fifoWatchdog(w: World, ms = 8000): { stop(): void; elapsedMs(): number } {
  const started = performance.now();
  let repeat: NodeJS.Timeout | undefined;
  // Again and again: each unparking frees the threads parked now, and queued opens park next.
  const timer = setTimeout(() => {
    repeat = setInterval(() => unparkFifos(path.dirname(w.root)), 200);
    repeat.unref();
  }, ms);
  timer.unref();
  return {
    stop: () => {
      clearTimeout(timer);
      clearInterval(repeat);
    },
    elapsedMs: () => performance.now() - started,
  };
}

/** Everything a call gave back, as text, for the checks below. */
function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value) ?? String(value);
}

/** Nothing from outside, and no absolute path of the host. */
function assertClean(w: World, value: unknown, what: string): void {
  const s = text(value);
  assert.ok(!s.includes(SECRET), `${what}: the outside secret came back`);
  assert.ok(!s.includes(w.root) && !s.includes(path.dirname(w.root)), `${what}: an absolute path came back: ${s.slice(0, 300)}`);
  assert.ok(!s.includes(os.tmpdir() + path.sep), `${what}: the temp directory came back: ${s.slice(0, 300)}`);
}

/** The error a call threw (a RepoError), or fails. */
async function refusal(action: () => Promise<unknown>, message: RegExp): Promise<string> {
  return expectRepoError(action, message);
}

/** Runs an attack under watch, reports its figures, and asserts the host's bounds. */
const figures: Array<{ attack: string; health: HostHealth }> = [];
async function attack<T>(t: { diagnostic(message: string): void; name: string }, run: () => Promise<T>, bounds: { rssGrowthMiB?: number } = {}): Promise<T> {
  const { result, health } = await underWatch(run);
  figures.push({ attack: t.name, health });
  t.diagnostic(describeHealth(health));
  // Held by this process: underWatch takes out the time the thread waited for a CPU.
  assert.ok(health.maxDelayMs <= HOST_BOUNDS.maxDelayMs, `event loop blocked for ${health.maxDelayMs.toFixed(0)} ms (wall clock ${health.maxRawDelayMs.toFixed(0)} ms)`);
  // No sandbox runs in these attacks: the host alone must stay within the run's memory bound.
  const rssBound = bounds.rssGrowthMiB ?? HOST_BOUNDS.totalGrowthMiB;
  assert.ok(health.rssGrowthMiB <= rssBound, `RSS grew by ${health.rssGrowthMiB.toFixed(0)} MiB (bound ${rssBound})`);
  return result;
}

/** libuv's thread pool still serves file operations: none of its threads is parked on a FIFO. */
async function assertThreadPoolFree(w: World): Promise<void> {
  w.write('probe/p.txt', 'probe\n');
  const reads = Array.from({ length: 16 }, () => fs.promises.readFile(w.abs('probe/p.txt'), 'utf8'));
  const timeout = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 5000).unref());
  const outcome = await Promise.race([Promise.all(reads), timeout]);
  assert.notEqual(outcome, 'timeout', 'file operations hang: the thread pool is parked');
}

/** The next call works: a plain read of a plain file. */
async function assertNextCallWorks(repo: WorkspaceRepo, rel = 'ok.txt'): Promise<void> {
  assert.equal(await repo.read(rel), 'fine\n');
}

after(() => {
  if (figures.length === 0) return;
  const lines = figures.map(
    (f) =>
      `  ${f.attack.slice(0, 70).padEnd(70)}  ${f.health.maxRawDelayMs.toFixed(0).padStart(4)} ms wall  ${f.health.maxDelayMs.toFixed(0).padStart(4)} ms own  ` +
      `${f.health.rssGrowthMiB.toFixed(0).padStart(4)} MiB RSS  ${f.health.arrayBufferGrowthMiB.toFixed(0).padStart(4)} MiB buffers`,
  );
  console.log(`hostile repo attacks (max event-loop delay: wall clock, and held by this process; peak growth):\n${lines.join('\n')}`);
});

describe('hostile workspaces: special files', { skip: skipUnlessPosix }, () => {
  it('FIFOs named like source files and as .gitignore files are listed apart, never opened', async (t) => {
    const w = makeWorld({ 'ok.txt': 'fine\n', 'src/a.ts': 'export const a = 1;\n', 'sub/x.ts': 'x\n' });
    try {
      execFileSync('mkfifo', [w.abs('data.txt'), w.abs('src/pipe.ts'), w.abs('.gitignore'), w.abs('sub/.gitignore')]);
      const repo = new WorkspaceRepo(w.root, { ripgrepPath: null });
      const watchdog = fifoWatchdog(w);
      await attack(t, async () => {
        const files = await repo.files();
        assert.deepEqual(files, ['ok.txt', 'src/a.ts', 'sub/x.ts']);
        const tree = await repo.tree();
        assert.match(tree, /^  data\.txt  \[a named pipe \(FIFO\): never opened, cannot be read\]$/m);
        assert.match(tree, /^    pipe\.ts  \[a named pipe \(FIFO\): never opened, cannot be read\]$/m);
        const summary = await repo.summary();
        assert.match(summary.topLevelTree, /^Note: "\.gitignore" is a named pipe \(FIFO\), not a file; it was not read, and its rules are not applied\.$/m);
        assert.match(summary.topLevelTree, /^Note: "sub\/\.gitignore" is a named pipe/m);
        assert.match(summary.topLevelTree, /^Note: 4 special files \(named pipes, sockets or devices\) are shown in repo\.tree\(\)/m);
        for (const call of [() => repo.read('data.txt'), () => repo.read('src/pipe.ts', { start: 1, end: 5 }), () => repo.stat('data.txt'), () => repo.info('src/pipe.ts')]) {
          const message = await refusal(call, /^"(data\.txt|src\/pipe\.ts)" is a named pipe \(FIFO\), a special file: it is never opened or read/);
          assertClean(w, message, 'message');
        }
        assert.deepEqual((await repo.grep('export')).map((m) => m.path), ['src/a.ts']);
        assertClean(w, [files, tree, summary], 'listing');
        await assertNextCallWorks(repo);
      });
      watchdog.stop();
      assert.ok(watchdog.elapsedMs() < 4000, `took ${watchdog.elapsedMs().toFixed(0)} ms: something waited on a FIFO`);
      await assertThreadPoolFree(w);
    } finally {
      w.cleanup();
    }
  });

  it('a file swapped for a FIFO after listing is refused without blocking (O_NONBLOCK, then fstat)', async (t) => {
    const w = makeWorld({ 'ok.txt': 'fine\n', 'src/a.ts': 'a\n', 'src/b.ts': 'b\n' });
    try {
      const repo = new WorkspaceRepo(w.root, { ripgrepPath: null });
      assert.equal((await repo.files()).length, 3);
      // Listed as regular files; now FIFOs, as if swapped in by another process.
      for (const rel of ['src/a.ts', 'src/b.ts']) {
        fs.rmSync(w.abs(rel));
        execFileSync('mkfifo', [w.abs(rel)]);
      }
      const watchdog = fifoWatchdog(w);
      await attack(t, async () => {
        // Sixteen at once: more than libuv's four threads. A blocking open would park them all.
        const calls = [0, 1, 2, 3].flatMap(() => [repo.read('src/a.ts'), repo.stat('src/b.ts'), repo.info('src/a.ts'), repo.read('src/b.ts', { start: 1, end: 1 })]);
        const outcomes = await Promise.allSettled(calls);
        for (const o of outcomes) {
          assert.equal(o.status, 'rejected');
          const message = (o as PromiseRejectedResult).reason.message as string;
          assert.match(message, /^"src\/[ab]\.ts" is a named pipe \(FIFO\), a special file: it is never opened or read\.$/);
          assertClean(w, message, 'message');
        }
        await assertNextCallWorks(repo);
      });
      watchdog.stop();
      assert.ok(watchdog.elapsedMs() < 4000, `took ${watchdog.elapsedMs().toFixed(0)} ms: an open waited on a FIFO`);
      await assertThreadPoolFree(w);
    } finally {
      w.cleanup();
    }
  });

  it('links to /dev/zero and /dev/urandom (as files, as a .gitignore, swapped in after listing) and a device node inside', async (t) => {
    const w = makeWorld({ 'ok.txt': 'fine\n', 'later.txt': 'plain at listing time\n', 'sub/y.txt': 'y\n' });
    try {
      fs.symlinkSync('/dev/zero', w.abs('zero.txt'));
      fs.symlinkSync('/dev/urandom', w.abs('random.ts'));
      fs.symlinkSync('/dev/zero', w.abs('sub/.gitignore'));
      let deviceInside = false;
      try {
        execFileSync('mknod', [w.abs('zero-node'), 'c', '1', '5'], { stdio: 'ignore' });
        deviceInside = true;
      } catch {
        t.diagnostic('mknod not permitted here: no device node inside the workspace');
      }
      const repo = new WorkspaceRepo(w.root, { ripgrepPath: null });
      await attack(t, async () => {
        const files = await repo.files();
        assert.deepEqual(files, ['later.txt', 'ok.txt', 'sub/y.txt'], 'links leading outside are not listed');
        for (const rel of ['zero.txt', 'random.ts']) {
          assertClean(w, await refusal(() => repo.read(rel), /leads outside the workspace through a symbolic link/), 'message');
          await refusal(() => repo.stat(rel), /leads outside the workspace/);
        }
        const summary = await repo.summary();
        assert.match(summary.topLevelTree, /^Note: "sub\/\.gitignore" is a symbolic link leading outside the workspace; it was not read/m);
        if (deviceInside) {
          assert.match(await repo.tree(), /^  zero-node  \[a character device: never opened, cannot be read\]$/m);
          await refusal(() => repo.read('zero-node'), /^"zero-node" is a character device, a special file: it is never opened or read/);
        }
        // Listed as a plain file; now a link to /dev/zero.
        fs.rmSync(w.abs('later.txt'));
        fs.symlinkSync('/dev/zero', w.abs('later.txt'));
        for (const call of [() => repo.read('later.txt'), () => repo.stat('later.txt'), () => repo.read('later.txt', { start: 1, end: 1 })]) {
          assertClean(w, await refusal(call, /leads outside the workspace/), 'message');
        }
        await assertNextCallWorks(repo);
      });
      await assertThreadPoolFree(w);
    } finally {
      w.cleanup();
    }
  });
});

describe('hostile workspaces: files of gigabytes and lines of megabytes', { skip: skipUnlessPosix }, () => {
  let w: World;
  const HEAD_LINES = 1000;
  before(() => {
    w = makeWorld({ 'ok.txt': 'fine\n' });
    // A text head, then 4 GiB of hole: zeros, and no newline, to the end.
    w.write('logs/huge.log', Array.from({ length: HEAD_LINES }, (_, i) => `line ${i + 1}`).join('\n') + '\n');
    execFileSync('truncate', ['-s', '4G', w.abs('logs/huge.log')]);
    // All hole: binary by its first bytes.
    w.write('data/zeros.txt', '');
    execFileSync('truncate', ['-s', '6G', w.abs('data/zeros.txt')]);
    // One line of 100 MB, written a MiB at a time (the test must not hold it either).
    const fd = fs.openSync(w.abs('bundle.min.js'), 'w');
    const chunk = Buffer.alloc(MiB, 'a');
    for (let i = 0; i < 100; i++) fs.writeSync(fd, chunk);
    fs.closeSync(fd);
  });
  after(() => w.cleanup());

  it('a 4 GiB sparse file with no newline after its head: bounded stat, reads and refusals', async (t) => {
    const repo = new WorkspaceRepo(w.root, { ripgrepPath: null });
    await attack(t, async () => {
      const started = performance.now();
      const stat = await repo.stat('logs/huge.log');
      t.diagnostic(`stat took ${(performance.now() - started).toFixed(0)} ms`);
      assert.equal(stat.bytes, 4 * 1024 * MiB);
      assert.equal(stat.linesEstimated, true, 'a count past the scan limit is flagged as an estimate');
      assert.ok(typeof stat.lines === 'number' && stat.lines >= HEAD_LINES + 1);
      await refusal(() => repo.read('logs/huge.log'), /^"logs\/huge\.log" is 4 GiB, more than the 8 MiB a whole-file read returns; read a line range instead/);
      assert.equal(await repo.read('logs/huge.log', { start: 999, end: 1000 }), 'line 999\nline 1000');
      // The line after the head runs on for 4 GiB: past the scan limit, refused with what to do.
      await refusal(
        () => repo.read('logs/huge.log', { start: 1001, end: 1001 }),
        /^Line 1,001 of "logs\/huge\.log" is beyond the first 256 MiB of the file, which is as far as a read by line goes \(that part holds 1,000 lines\)\. Use repo\.grep\(\)/,
      );
      // All zeros: binary, not scanned at all.
      assert.equal(await repo.read('data/zeros.txt'), '[binary file data/zeros.txt, 6,442,450,944 bytes: not shown]');
      assert.deepEqual(await repo.stat('data/zeros.txt'), { path: 'data/zeros.txt', bytes: 6 * 1024 * MiB, lines: null });
      await assertNextCallWorks(repo);
    });
  });

  it('a single line of 100 MB: cut at the read limit with a marker, counted exactly, never held whole', async (t) => {
    const repo = new WorkspaceRepo(w.root, { ripgrepPath: null });
    await attack(t, async () => {
      await refusal(() => repo.read('bundle.min.js'), /^"bundle\.min\.js" is 100 MiB, more than the 8 MiB a whole-file read returns/);
      const line = await repo.read('bundle.min.js', { start: 1, end: 1 });
      assert.equal(line.length, 8 * MiB + ' [… line cut: it is 100 MiB long; only its first 8 MiB are shown]'.length);
      assert.ok(line.endsWith(' [… line cut: it is 100 MiB long; only its first 8 MiB are shown]'));
      assert.deepEqual(await repo.stat('bundle.min.js'), { path: 'bundle.min.js', bytes: 100 * MiB, lines: 1 });
      await refusal(() => repo.read('bundle.min.js', { start: 2 }), /^Line 2 is past the end of "bundle\.min\.js", which has 1 lines\.$/);
      await assertNextCallWorks(repo);
    });
  });

  it('200 reads of 8 MiB files at once (1.6 GB) hold at most the gate\'s 32 MiB in flight, not gigabytes', async (t) => {
    // Hard links: 200 names, one 8 MiB file on disk. (Each read allocates an 8 MiB buffer and
    // string: more reads only add collections, which a machine starved of CPU can stretch.)
    const base = 'many/f0.txt';
    w.write(base, 'x'.repeat(8 * MiB - 1) + '\n');
    for (let i = 1; i < 200; i++) fs.linkSync(w.abs(base), w.abs(`many/f${i}.txt`));
    const repo = new WorkspaceRepo(w.root, { ripgrepPath: null });
    const files = await repo.files('many/**');
    assert.equal(files.length, 200);
    await attack(t, async () => {
      // The caller keeps only the lengths, as a sandbox that posts each result away would.
      const lengths = await Promise.all(files.map((f) => repo.read(f).then((s) => s.length)));
      assert.ok(lengths.every((n) => n === 8 * MiB));
    });
    // Buffers: the gate's 32 MiB in flight plus what the collector has not freed yet. Without
    // the gate, the 64 files open at once would hold 512 MiB.
    const last = figures.at(-1)!.health;
    assert.ok(last.arrayBufferGrowthMiB <= 160, `${last.arrayBufferGrowthMiB.toFixed(0)} MiB of buffers at once`);
  });
});

describe('hostile workspaces: ignore files', () => {
  it('a .gitignore of 50 MB: only its first 1 MiB is read and applied, with a note', async (t) => {
    const w = makeWorld({ 'ok.txt': 'fine\n', 'early.log': 'ignored by the first rule\n', 'late.tmp': 'a rule past 1 MiB would hide it\n' });
    try {
      const fd = fs.openSync(w.abs('.gitignore'), 'w');
      fs.writeSync(fd, '*.log\n');
      const filler = Buffer.from(`${'#'.repeat(1023)}\n`.repeat(1024)); // 1 MiB of comments
      for (let i = 0; i < 50; i++) fs.writeSync(fd, filler);
      fs.writeSync(fd, '*.tmp\n');
      fs.closeSync(fd);
      const repo = new WorkspaceRepo(w.root, { ripgrepPath: null });
      await attack(t, async () => {
        assert.deepEqual(await repo.files(), ['.gitignore', 'late.tmp', 'ok.txt']);
        const summary = await repo.summary();
        assert.match(summary.topLevelTree, /^Note: "\.gitignore" is larger than 1 MiB; only its first [\d,]+ bytes \(whole lines\) of rules are applied\.$/m);
        assert.deepEqual(summary.notes?.length, 1);
        await refusal(() => repo.read('.gitignore'), /^"\.gitignore" is 50\.0 MiB, more than the 8 MiB/);
        await assertNextCallWorks(repo);
      });
      // Read up to the cap, not whole and then cut.
      assert.ok(figures.at(-1)!.health.arrayBufferGrowthMiB < 16, `${figures.at(-1)!.health.arrayBufferGrowthMiB.toFixed(0)} MiB of buffers`);
    } finally {
      w.cleanup();
    }
  });

  for (const listInWorker of [true, false]) {
    it(`a .gitignore of 100,000 rules: capped at 10,000, listing bounded, the rest noted (${listInWorker ? 'listing worker' : 'on the host thread'})`, async (t) => {
      const w = makeWorld({ 'ok.txt': 'fine\n' });
      try {
        // Literal names, suffixes and wildcards; the root's file comes first, so rule i is rule i.
        const rules: string[] = [];
        // Short rules, so that all 100,000 fit in the 1 MiB an ignore file is read up to.
        for (let i = 0; i < 100_000; i++) rules.push(i % 10 === 0 ? `*a${i}*b` : i % 10 === 1 ? `*.e${i}` : `n${i}.t`);
        w.write('.gitignore', rules.join('\n') + '\n');
        assert.ok(fs.statSync(w.abs('.gitignore')).size < MiB);
        for (let d = 0; d < 50; d++) for (let f = 0; f < 100; f++) w.write(`d${d}/n${d * 100 + f + 2}.t`, '');
        w.write('n5.t', 'hidden: rule 5');
        w.write('n50002.t', 'listed: rule 50,002 is past the cap');
        const repo = new WorkspaceRepo(w.root, { ripgrepPath: null, listInWorker });
        await attack(t, async () => {
          const started = performance.now();
          const files = await repo.files();
          t.diagnostic(`listing took ${(performance.now() - started).toFixed(0)} ms`);
          assert.ok(!files.includes('n5.t'), 'rules within the cap apply');
          assert.ok(files.includes('n50002.t'), 'rules past the cap do not');
          // n2 … n5001 under d0 … d49: only those whose rule is a wildcard (i % 10 of 0 or 1), which does not match, stay.
          assert.equal(files.filter((f) => /^d\d+\//.test(f)).length, 1000);
          const summary = await repo.summary();
          assert.equal(summary.notes?.length, 1, summary.notes?.join('\n'));
          assert.match(summary.topLevelTree, new RegExp(`^Note: The ignore files hold more than ${MAX_IGNORE_RULES.toLocaleString('en-US')} rules; 90,000 rules after that \\(in "\\.gitignore"\\) are not applied, so files they would hide are listed\\.$`, 'm'));
          await assertNextCallWorks(repo);
        });
      } finally {
        w.cleanup();
      }
    });
  }

  it('a .gitignore that links outside the workspace (to a file ignoring everything) is not applied', async (t) => {
    const w = makeWorld({ 'ok.txt': 'fine\n', 'sub/a.ts': 'a\n' });
    try {
      fs.symlinkSync(path.join(w.outside, 'ignore-everything'), w.abs('.gitignore'));
      fs.symlinkSync('../../outside/ignore-everything', w.abs('sub/.gitignore'));
      const repo = new WorkspaceRepo(w.root, { ripgrepPath: null });
      await attack(t, async () => {
        assert.deepEqual(await repo.files(), ['ok.txt', 'sub/a.ts']);
        const summary = await repo.summary();
        assert.match(summary.topLevelTree, /^Note: "\.gitignore" is a symbolic link leading outside the workspace; it was not read, and its rules are not applied\.$/m);
        assert.match(summary.topLevelTree, /^Note: "sub\/\.gitignore" is a symbolic link leading outside/m);
        assertClean(w, summary, 'summary');
        await assertNextCallWorks(repo);
      });
    } finally {
      w.cleanup();
    }
  });
});

describe('hostile workspaces: a symbolic link swapped between inside and outside', { skip: skipUnlessPosix }, () => {
  const ITERATIONS = 1500;
  const INSIDE = 'inside content\n';

  /** A process that swaps `rel` (atomically, by rename) between two targets until killed. */
  function swapper(w: World, script: string): ChildProcess {
    return spawn(process.execPath, ['-e', script], { cwd: w.root, stdio: 'ignore' });
  }

  for (const mode of ['kernel path (/proc/self/fd)', 'inode check (no /proc)'] as const) {
    const fsLayer: RepoFs = mode === 'kernel path (/proc/self/fd)' ? nodeRepoFs : { ...nodeRepoFs, openedPath: async () => null };

    // Only the kernel's name for a handle makes this airtight; the inode check (other
    // platforms) is by name and can lose a race timed just so (README, Known limitations),
    // so it is held to the deterministic version below.
    it(`a file link and a directory swapped in a loop by another process: no read ever returns the outside (${mode})`, { skip: !mode.startsWith('kernel') ? 'by-name checks narrow the race but cannot close it' : !linux ? 'Linux only' : false }, async (t) => {
      const w = makeWorld({ 'ok.txt': 'fine\n', 'target.txt': INSIDE, 'sub/f.txt': INSIDE });
      fs.symlinkSync('target.txt', w.abs('link.txt'));
      // link.txt: target.txt <-> outside/secret.txt. sub: a directory <-> a link to outside/dir.
      const loop = `
        const fs = require('fs');
        const outside = ${JSON.stringify(w.outside)};
        for (let i = 0; ; i++) {
          try {
            fs.symlinkSync(i % 2 ? 'target.txt' : outside + '/secret.txt', 'link.tmp');
            fs.renameSync('link.tmp', 'link.txt');
            if (i % 2) { fs.unlinkSync('sub'); fs.renameSync('sub.away', 'sub'); }
            else { fs.renameSync('sub', 'sub.away'); fs.symlinkSync(outside + '/dir', 'sub'); }
          } catch {}
        }`;
      const repo = new WorkspaceRepo(w.root, { ripgrepPath: null, fs: fsLayer });
      assert.ok((await repo.files()).includes('sub/f.txt'));
      const child = swapper(w, loop);
      // The swapper must not starve the host of CPU, or the event-loop figure measures the scheduler.
      if (child.pid !== undefined) os.setPriority(child.pid, 19);
      const outcomes = { read: 0, refused: 0 };
      try {
        await attack(t, async () => {
          for (let i = 0; i < ITERATIONS; i++) {
            // Each iteration a fresh snapshot, so the listing, sizes and checks are all redone mid-swap.
            const view = repo.fresh();
            for (const [label, call] of [
              ['read link.txt', () => view.read('link.txt')],
              ['read sub/f.txt', () => view.read('sub/f.txt')],
              ['read sub/f.txt:1', () => view.read('sub/f.txt', { start: 1, end: 1 })],
              ['stat sub/f.txt', () => view.stat('sub/f.txt')],
              ['info link.txt', () => view.info('link.txt')],
            ] as const) {
              try {
                const value = await call();
                assertClean(w, value, `${label} during the swap`);
                if (typeof value === 'object') assert.equal((value as { bytes: number }).bytes, INSIDE.length, 'a size from outside');
                else assert.ok(INSIDE.startsWith(value), `unexpected content ${JSON.stringify(value)}`);
                outcomes.read++;
              } catch (err) {
                assert.equal((err as Error).name, 'RepoError', String(err));
                assertClean(w, (err as Error).message, 'a refusal during the swap');
                outcomes.refused++;
              }
            }
          }
        });
      } finally {
        child.kill('SIGKILL');
        await new Promise((resolve) => child.once('exit', resolve));
      }
      t.diagnostic(`${outcomes.read} reads returned inside content, ${outcomes.refused} were refused`);
      assert.ok(outcomes.read > 0, 'some reads went through');
    });

    it(`the swap made exactly between the check and the open is caught at the handle (${mode})`, { skip: mode.startsWith('kernel') && !linux ? 'Linux only' : false }, async (t) => {
      const w = makeWorld({ 'ok.txt': 'fine\n', 'target.txt': INSIDE, 'sub/f.txt': INSIDE });
      fs.symlinkSync('target.txt', w.abs('link.txt'));
      const toOutside = (): void => {
        fs.renameSync(w.abs('sub'), w.abs('sub.away'));
        fs.symlinkSync(path.join(w.outside, 'dir'), w.abs('sub'));
        fs.unlinkSync(w.abs('link.txt'));
        fs.symlinkSync(path.join(w.outside, 'secret.txt'), w.abs('link.txt'));
      };
      const back = (): void => {
        fs.unlinkSync(w.abs('sub'));
        fs.renameSync(w.abs('sub.away'), w.abs('sub'));
        fs.unlinkSync(w.abs('link.txt'));
        fs.symlinkSync('target.txt', w.abs('link.txt'));
      };
      // Every open happens with the outside swapped in; everything before it (listing,
      // realpath checks) saw the inside.
      const racing: RepoFs = {
        ...fsLayer,
        open: async (file, purpose) => {
          toOutside();
          try {
            return await fsLayer.open(file, purpose);
          } finally {
            back();
          }
        },
      };
      try {
        const repo = new WorkspaceRepo(w.root, { ripgrepPath: null, fs: racing });
        await attack(t, async () => {
          assert.deepEqual(await repo.files(), ['link.txt', 'ok.txt', 'sub/f.txt', 'target.txt']);
          for (const call of [() => repo.read('sub/f.txt'), () => repo.stat('sub/f.txt'), () => repo.read('sub/f.txt', { start: 1, end: 1 }), () => repo.info('sub/f.txt')]) {
            const message = await refusal(call, /leads outside the workspace|changed while it was being opened/);
            assertClean(w, message, 'message');
          }
          // The link is refused by O_NOFOLLOW, resolved again (inside, by then) and its target
          // opened: inside content or a refusal, never the outside.
          const viaLink = await repo.read('link.txt').catch((err: Error) => err.message);
          assertClean(w, viaLink, 'the link');
        });
      } finally {
        w.cleanup();
      }
    });
  }
});

describe('hostile workspaces: file names made to forge lines', { skip: skipUnlessPosix }, () => {
  it('newlines, control characters, bidi controls and quotes in names never reach a tree line or message raw', async (t) => {
    const names = [
      'evil\n  fake.ts',
      'x.ts:12-40\n',
      'bell\u0007.txt',
      'esc\u001b[31mred.txt',
      'rlo\u202Egnp.ts',
      'sep\u2028line.txt',
      ' leading.txt',
      'quote".txt',
      'back\\slash.txt',
      'tab\tname.txt',
    ];
    const w = makeWorld({ 'ok.txt': 'fine\n' });
    try {
      for (const n of names) w.write(`odd/${n}`, `content of ${JSON.stringify(n)}\n`);
      w.write('odd/dir\nwith newline/inner.ts', 'inner\n');
      // Not valid UTF-8: Node cannot name it, so it cannot be listed or read; it must not break anything.
      fs.writeFileSync(Buffer.concat([Buffer.from(w.abs('odd') + '/bad'), Buffer.from([0xff, 0xfe]), Buffer.from('.ts')]), 'undecodable\n');
      const repo = new WorkspaceRepo(w.root, { ripgrepPath: null });
      await attack(t, async () => {
        const files = await repo.files('odd/**');
        for (const n of names) assert.ok(files.includes(`odd/${n}`), `listed as it is: ${JSON.stringify(n)}`);
        for (const n of names) assert.equal(await repo.read(`odd/${n}`), `content of ${JSON.stringify(n)}\n`);
        const tree = await repo.tree('odd', { depth: 3 });
        const summary = await repo.summary();
        for (const shown of [tree, summary.topLevelTree]) {
          // eslint-disable-next-line no-control-regex
          assert.ok(!/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/.test(shown), `a raw control character in ${JSON.stringify(shown)}`);
        }
        // Every tree line is a heading, an indented entry, or a count line: none was forged by a name.
        const lines = tree.split('\n');
        assert.equal(lines[0], 'odd/ (11 files)');
        assert.ok(lines.includes('  "evil\\n  fake.ts"'), tree);
        assert.ok(lines.includes('  "x.ts:12-40\\n"'), tree);
        assert.ok(lines.includes('  "rlo\\u202egnp.ts"'), tree);
        assert.ok(lines.includes('  "dir\\nwith newline"/ (1 file)'), tree);
        assert.ok(lines.includes('  " leading.txt"'), tree);
        assert.ok(lines.includes('  quote".txt') && lines.includes('  back\\slash.txt'), tree);
        const message = await refusal(() => repo.read('odd/evil\n  missing.ts'), /^No file "odd\/evil\\n  missing\.ts" in the workspace\./);
        assert.ok(!message.includes('\n'));
        await assertNextCallWorks(repo);
      });
    } finally {
      w.cleanup();
    }
  });
});

describe('hostile workspaces: messages never carry the host\'s absolute paths', { skip: skipUnlessPosix }, () => {
  it('a file removed after listing, a link loop, a directory given as a file, a root removed', async (t) => {
    const w = makeWorld({ 'ok.txt': 'fine\n', 'gone.txt': 'soon gone\n', 'src/a.ts': 'a\n' });
    try {
      fs.symlinkSync('loop', w.abs('loop'));
      const repo = new WorkspaceRepo(w.root, { ripgrepPath: null });
      await attack(t, async () => {
        assert.deepEqual(await repo.files(), ['gone.txt', 'ok.txt', 'src/a.ts']);
        fs.rmSync(w.abs('gone.txt'));
        const messages = [
          await refusal(() => repo.read('gone.txt'), /^"gone\.txt" no longer exists: it was removed or renamed since the workspace was listed\.$/),
          await refusal(() => repo.stat('gone.txt'), /no longer exists/),
          await refusal(() => repo.read('loop'), /^Cannot access "loop": too many levels of symbolic links \(ELOOP\)\.$/),
          await refusal(() => repo.read('src'), /^"src" is a directory/),
          await refusal(() => repo.read(path.join(w.root, 'src', 'a.ts')), /^Path ".*" is absolute; .* Did you mean "src\/a\.ts"\?$/),
        ];
        for (const m of messages.slice(0, 4)) assertClean(w, m, 'message');
        await assertNextCallWorks(repo);
        fs.rmSync(w.root, { recursive: true });
        const rootGone = await refusal(() => repo.fresh().files(), /^The workspace folder "ws" cannot be opened: no such file or directory \(ENOENT\)\. It may have been moved or deleted\.$/);
        assertClean(w, rootGone, 'message');
      });
    } finally {
      w.cleanup();
    }
  });
});

describe('hostile workspaces: big trees', () => {
  // Node builds a directory's entries in one go (about 15 ms per 100,000 on an idle machine),
  // so one directory of millions could exceed the bound by itself; 50,000 is far past any
  // real directory and leaves the rest (sorting, links, flattening) to the walk's slicing.
  for (const listInWorker of [true, false]) {
    it(`a directory of 50,000 entries and 20,000 links: listing keeps the event loop free (${listInWorker ? 'listing worker' : 'on the host thread'})`, async (t) => {
      const w = makeWorld({ 'ok.txt': 'fine\n' });
      try {
        fs.mkdirSync(w.abs('flat'));
        for (let i = 0; i < 50_000; i++) fs.writeFileSync(w.abs(`flat/f${i}.txt`), '');
        fs.mkdirSync(w.abs('links'));
        for (let i = 0; i < 20_000; i++) fs.symlinkSync('../ok.txt', w.abs(`links/l${i}.txt`));
        const repo = new WorkspaceRepo(w.root, { ripgrepPath: null, listInWorker });
        await attack(t, async () => {
          const started = performance.now();
          const files = await repo.files();
          t.diagnostic(`listing took ${(performance.now() - started).toFixed(0)} ms`);
          assert.equal(files.length, 70_001);
          assert.equal(files[0], 'flat/f0.txt');
          assert.equal(files[1], 'flat/f1.txt');
          assert.equal(files[2], 'flat/f10.txt', 'code-unit order');
          assert.equal(await repo.read('links/l19999.txt'), 'fine\n');
          await assertNextCallWorks(repo);
        });
      } finally {
        w.cleanup();
      }
    });
  }
});

describe('hostile workspaces through the engine', { skip: skipUnlessPosix }, () => {
  it('a scripted model probes FIFOs, device links, a 4 GiB file and forged names; the run answers and nothing leaks', async (t) => {
    const w = makeWorld({ 'ok.txt': 'fine\n', 'src/main.ts': 'export const main = 1;\n' });
    try {
      execFileSync('mkfifo', [w.abs('src/pipe.ts'), w.abs('.gitignore')]);
      fs.symlinkSync('/dev/zero', w.abs('zero.txt'));
      fs.symlinkSync(path.join(w.outside, 'secret.txt'), w.abs('secret.txt'));
      w.write('big.log', 'head\n' + 'text line\n'.repeat(2000)); // past the 8 KiB a binary sniff reads
      execFileSync('truncate', ['-s', '4G', w.abs('big.log')]);
      w.write('evil\n  forged.ts', 'x\n');
      const probe = `
        print(await repo.tree());
        for (const p of ["src/pipe.ts", "zero.txt", "secret.txt", "big.log"]) {
          try { const r = await repo.read(p); print(p, "->", r.slice(0, 80)); } catch (e) { print(p, "refused:", e.message); }
        }
        print(JSON.stringify(await repo.stat("big.log")));
        print((await repo.read("big.log", { start: 1, end: 1 })));`;
      const provider = new ScriptedProvider(({ turn }) =>
        turn === 0 ? js(probe) : turn === 1 ? js('print("next:", await repo.read("ok.txt"))') : js('answer.content = "done"; answer.ready = true'),
      );
      const result = await attack(t, () => runRlm({ repo: new WorkspaceRepo(w.root, { ripgrepPath: null }), query: 'probe', root: { provider } }));
      assert.equal(result.ready, true);
      const told = provider.rootRequests[1]!.messages.at(-1)!.content;
      assert.match(told, /src\/pipe\.ts refused: "src\/pipe\.ts" is a named pipe \(FIFO\), a special file: it is never opened or read/);
      assert.match(told, /zero\.txt refused: Path "zero\.txt" leads outside the workspace through a symbolic link/);
      assert.match(told, /secret\.txt refused: Path "secret\.txt" leads outside the workspace/);
      assert.match(told, /big\.log refused: "big\.log" is 4 GiB, more than the 8 MiB a whole-file read returns/);
      assert.match(told, /"linesEstimated":true/);
      assert.match(told, /"evil\\n  forged\.ts"/);
      assert.match(provider.rootRequests[2]!.messages.at(-1)!.content, /next: fine/);
      const opening = provider.rootRequests[0]!.messages[1]!.content;
      assert.match(opening, /Note: "\.gitignore" is a named pipe \(FIFO\), not a file/);
      for (const request of provider.requests) for (const m of request.messages) assertClean(w, m.content, 'a prompt');
      assertClean(w, result, 'the result');
      await assertThreadPoolFree(w);
    } finally {
      w.cleanup();
    }
  });
});
