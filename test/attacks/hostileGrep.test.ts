/**
 * Attacks on the host through grep: patterns, globs and fan-out a hostile model chooses,
 * and file names a hostile repository holds. Every attack runs inside `underWatch()`:
 * the host's event loop must never be held for more than 100 ms by this process (the
 * wall-clock delay is reported too: on a busy machine it also counts the scheduler's
 * stalls), and the process must not grow past its bound, whatever the attack; the model
 * must get a message it can act on, and the next call must work.
 *
 * Deterministic by construction: each pattern below would run for minutes to millennia on
 * its line (measured growth in the comments), so the deadline that stops it (about a
 * second) always fires first; cancellation is driven by the rg spawn itself (the test
 * stops the process the moment it exists), never by a timer.
 */
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiskSource, OverlaySource, WorkspaceRepo, type RepoOptions } from '../../src/core/repo';
import { findRipgrep } from '../../src/cli/ripgrep';
import { ripgrepLimits, ripgrepProcesses, ripgrepProcessLimit } from '../../src/core/repo/ripgrep';
import { runRlm } from '../../src/core/engine/rlm';
import { HOST_BOUNDS, describeHealth, underWatch } from '../support/hostHealth';
import { makeTempRepo, type TempRepo } from '../support/tempRepo';
import { ScriptedProvider, js } from '../support/scriptedProvider';

const RG = findRipgrep();

/**
 * Runs `attack` under watch and asserts the host stayed within its bounds: the event loop
 * held by this process (underWatch takes out the time the thread waited for a CPU) and the
 * host's share of the run's memory.
 */
async function withinBounds<T>(t: { diagnostic(message: string): void }, label: string, attack: () => Promise<T>): Promise<T> {
  const { result, health } = await underWatch(attack);
  const report = describeHealth(health);
  t.diagnostic(`${label}: ${report}`);
  assert.ok(health.maxDelayMs <= HOST_BOUNDS.maxDelayMs, `${label}: the event loop was held for ${health.maxDelayMs.toFixed(0)} ms: ${report}`);
  assert.ok(health.rssGrowthMiB <= HOST_BOUNDS.hostGrowthMiB, `${label}: the host grew past its share: ${report}`);
  return result;
}

/** The message of the RepoError `action` rejects with. */
async function rejection(action: Promise<unknown>): Promise<string> {
  try {
    await action;
  } catch (err) {
    assert.equal((err as Error).name, 'RepoError', String(err));
    return (err as Error).message;
  }
  assert.fail('expected the call to fail');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const A300 = 'a'.repeat(300);

/**
 * Shapes the old static refusal let through. Each line matches somewhere (so ripgrep
 * reports it and the JavaScript regex must judge it), but a backtracking engine first
 * fails at the start of the line, slowly:
 */
const SHAPES: Array<{ label: string; pattern: string; line: string; advice: RegExp }> = [
  // (a+){30} splits 300 a's into 30 runs: C(299, 29) ≈ 1e40 tries (10 s already at 30 a's).
  { label: 'a repeated group under a bounded {n}', pattern: '(a+){30}b', line: `${A300}!${'a'.repeat(30)}b`, advice: /repeats a group that itself repeats/ },
  // Five \w* share 300 characters: ~300^5/120 ≈ 2e10 steps per start (0.3 s at 60 a's, O(n^6)).
  { label: 'several \\w* in a row', pattern: '\\w*\\w*\\w*\\w*\\w*!', line: `${A300} !`, advice: /several repetitions in a row/ },
  // The lazy form of the first: every composition of 300 a's into 25 groups.
  { label: 'a lazy group', pattern: '(a+?){25}b', line: `${A300}!${'a'.repeat(25)}b`, advice: /lazy repetition|repeats a group/ },
  // A back-reference after three \w*: O(n^5) (9 s at 160 characters); PCRE2 gives up on it
  // inside rg, so the JavaScript grep must judge every line.
  { label: 'a back-reference', pattern: '(\\w+)\\w*\\w*\\w*\\1!', line: `${'ab'.repeat(300)} !`, advice: /back-reference/ },
  // JavaScript-only syntax ([^], any character) that both of rg's engines reject, so the
  // JavaScript grep runs on every line: O(n^5) (2.3 s at 160 characters).
  { label: 'a pattern rg rejects ([^])', pattern: '[^]*\\w*\\w*\\w*!', line: 'a'.repeat(3000), advice: /several repetitions in a row/ },
  // An unbounded look-behind, which PCRE2 rejects, before four \w*.
  { label: 'an unbounded look-behind (rg rejects it)', pattern: '(?<=\\w*)\\w*\\w*\\w*\\w*!', line: 'a'.repeat(3000), advice: /several repetitions in a row/ },
  // A line of 300,000 characters: \w*\w*! is cubic, ~1e16 steps (rg's 4 KiB preview alone is ~7e10).
  { label: 'a 300,000-character line', pattern: '\\w*\\w*!', line: `${'a'.repeat(300_000)} !`, advice: /several repetitions in a row/ },
];

const ENGINES: Array<{ label: string; options: RepoOptions }> = [
  { label: 'ripgrep path', options: { ripgrepPath: RG } },
  { label: 'JavaScript path', options: { ripgrepPath: null } },
];

describe('hostile grep patterns are stopped off the host thread', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo({ 'src/ok.ts': 'export const needle = 1;\n' });
    SHAPES.forEach((s, i) => tmp.write(`data/shape-${i}.txt`, `${s.line}\n`));
  });
  after(() => tmp.cleanup());

  it('finds the bundled ripgrep (the ripgrep cases below really use it)', () => {
    assert.ok(RG !== null && path.isAbsolute(RG));
  });

  for (const engine of ENGINES) {
    for (const [i, shape] of SHAPES.entries()) {
      it(`${engine.label}: ${shape.label} (${shape.pattern}) ends with advice, and the next grep works`, async (t) => {
        const repo = new WorkspaceRepo(tmp.root, engine.options);
        const message = await withinBounds(t, `${engine.label}, ${shape.label}`, async () => {
          const m = await rejection(repo.grep(shape.pattern, { glob: `data/shape-${i}.txt` }));
          // The next call works, on the same repo, right after the worker was replaced.
          assert.deepEqual(await repo.grep('needle'), [{ path: 'src/ok.ts', line: 1, text: 'export const needle = 1;' }]);
          return m;
        });
        assert.match(message, /^repo\.grep\(.*\) was stopped after \d+\.\d s on /);
        assert.ok(message.includes(JSON.stringify(shape.pattern)), `names the pattern: ${message}`);
        assert.ok(message.includes(`"data/shape-${i}.txt"`), `names the file: ${message}`);
        assert.match(message, shape.advice);
        assert.match(message, /The next grep runs normally\.$/);
        assert.ok(!message.includes(tmp.root), 'no host path in the message');
      });
    }

    it(`${engine.label}: a simple pattern on the 300,000-character line is not stopped`, async (t) => {
      const repo = new WorkspaceRepo(tmp.root, engine.options);
      const hits = await withinBounds(t, `${engine.label}, literal on a long line`, () => repo.grep(' !$', { glob: `data/shape-${SHAPES.length - 1}.txt` }));
      // The window: "…" and the line's last 300 characters.
      assert.deepEqual(hits.map((h) => [h.path, h.line, h.text.length]), [[`data/shape-${SHAPES.length - 1}.txt`, 1, 301]]);
    });
  }

  it('unsaved editor text is judged off the host thread too', async (t) => {
    const texts = new Map([['src/ok.ts', `${A300} !\nexport const needle = 2;\n`]]);
    const repo = new WorkspaceRepo(new OverlaySource(new DiskSource(tmp.root, { ripgrepPath: RG }), texts));
    const message = await withinBounds(t, 'unsaved text', async () => {
      const m = await rejection(repo.grep('\\w*\\w*\\w*\\w*\\w*!', { glob: 'src/**' }));
      assert.deepEqual((await repo.grep('needle')).map((h) => h.text), ['export const needle = 2;']);
      return m;
    });
    assert.match(message, /was stopped .* on 2 lines of "src\/ok\.ts"/);
  });

  it('an invalid pattern is refused with the parser\'s reason, compiled off the host thread', async () => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    assert.match(await rejection(repo.grep('(?<=a')), /^Invalid regular expression "\(\?<=a": .*Unterminated group/);
  });
});

describe('hostile globs are matched off the host thread', () => {
  let tmp: TempRepo;
  // A name of 250 a's (file names hold 255 bytes at most), in one of 160 directories.
  const longName = 'a'.repeat(250);
  const dirs = Array.from({ length: 158 }, (_, i) => `d${String(i).padStart(3, '0')}`);
  // picomatch makes each "*a" a lazy [^/]*?a: 100 of them on 250 a's without the final b
  // try every way to spread 150 spare a's among 100 runs, C(249, 100) ≈ 1e72 (12 runs on
  // 40 a's already take 80 s). The brace list makes the glob 1,000 characters long.
  const glob = `{${dirs.join(',')}}/${'*a'.repeat(100)}b`;
  before(() => {
    tmp = makeTempRepo({ [`d007/${longName}`]: 'needle\n', 'src/x.txt': 'needle\n' });
  });
  after(() => tmp.cleanup());

  for (const engine of ENGINES) {
    it(`${engine.label}: a 1,000-character glob with 100 stars against a 250-character name is stopped, the next glob works`, async (t) => {
      assert.ok(glob.length >= 990 && glob.length <= 1000, String(glob.length));
      const repo = new WorkspaceRepo(tmp.root, engine.options);
      const message = await withinBounds(t, `${engine.label}, 1,000-character glob`, async () => {
        const m = await rejection(repo.grep('needle', { glob }));
        assert.deepEqual((await repo.grep('needle', { glob: ['d007/*', '**/*.txt'] })).map((h) => h.path), [`d007/${longName}`, 'src/x.txt']);
        return m;
      });
      assert.match(message, /^grep\(\): matching the glob .* against the file paths was stopped after \d+\.\d s/);
      assert.match(message, /Use fewer wildcards/);
      assert.ok(!message.includes(tmp.root));
    });
  }

  // The same glob through every other call that takes one: files(), clusters(), and the
  // include list of a sub-repo (rlm(..., { files })), which is matched when the view lists.
  for (const [label, call, name] of [
    ['repo.files', (repo: WorkspaceRepo) => repo.files(glob), 'files()'],
    ['repo.clusters', (repo: WorkspaceRepo) => repo.clusters(glob), 'clusters()'],
    ['a sub-repo\'s include list', (repo: WorkspaceRepo) => repo.subset([glob]).files(), 'subset()'],
  ] as const) {
    it(`${label}: the same glob is stopped off the host thread, and the next call works`, async (t) => {
      const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: null });
      const message = await withinBounds(t, `${label}, 1,000-character glob`, async () => {
        const m = await rejection(call(repo));
        assert.deepEqual(await repo.files(['d007/*', '**/*.txt']), [`d007/${longName}`, 'src/x.txt']);
        assert.deepEqual(await repo.subset(['src/**']).files(), ['src/x.txt']);
        return m;
      });
      assert.ok(message.startsWith(`${name}: matching the glob `), message);
      assert.match(message, /was stopped after \d+\.\d s/);
    });
  }

  it('a glob whose compilation is slow (200 nested extglobs) is compiled off the host thread', async (t) => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    const nested = `${'+('.repeat(200)}needle${')'.repeat(200)}`;
    const outcome = await withinBounds(t, 'nested extglobs', () => repo.grep('needle', { glob: nested }).then((hits) => hits.length, (err: Error) => err.message));
    assert.ok(outcome === 0 || /was stopped/.test(String(outcome)), String(outcome));
  });
});

describe('fan-out: hundreds of greps at once', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo();
    for (let i = 0; i < 60; i++) tmp.write(`src/m${i}.ts`, `export const v${i} = "needle-${i % 10}";\n`);
  });
  after(() => tmp.cleanup());

  // One per core, at least 2, at most 8 (ripgrep.ts), computed here independently.
  const cap = Math.max(2, Math.min(8, os.availableParallelism()));

  it(`500 parallel greps run at most ${cap} rg processes at a time, all answered`, async (t) => {
    assert.equal(ripgrepProcessLimit(), cap);
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    await repo.files();
    ripgrepProcesses.resetPeak();
    let spawned = 0;
    const off = ripgrepProcesses.onSpawn(() => spawned++);
    try {
      const results = await withinBounds(t, '500 parallel greps', () =>
        Promise.all(Array.from({ length: 500 }, (_, i) => repo.grep(`needle-${i % 10}"`))),
      );
      results.forEach((hits, i) => assert.equal(hits.length, 6, `grep ${i}`));
      assert.equal(spawned, 500, 'every grep ran rg');
      assert.ok(ripgrepProcesses.peak <= cap, `at most ${cap} at once, saw ${ripgrepProcesses.peak}`);
      assert.ok(ripgrepProcesses.peak >= 2, 'they did run in parallel');
      assert.equal(ripgrepProcesses.live.size, 0);
    } finally {
      off();
    }
  });

  it('500 parallel greps from one cell, through the engine', async (t) => {
    const provider = new ScriptedProvider(({ turn }) =>
      turn === 0
        ? js('const all = await Promise.all(Array.from({ length: 500 }, (_, i) => repo.grep("needle-" + (i % 10) + "\\""))); answer.content = String(all.reduce((n, h) => n + h.length, 0)); answer.ready = true')
        : js('answer.ready = true'),
    );
    ripgrepProcesses.resetPeak();
    const result = await withinBounds(t, '500 greps in one cell', () => runRlm({ repo: new WorkspaceRepo(tmp.root, { ripgrepPath: RG }), query: 'q', root: { provider } }));
    assert.equal(result.answer, String(500 * 6));
    assert.ok(ripgrepProcesses.peak <= cap);
  });
});

describe('cancellation kills the grep\'s rg', { skip: process.platform === 'win32' ? 'needs a shell script as rg' : false }, () => {
  let tmp: TempRepo;
  let scripts: string;
  before(() => {
    tmp = makeTempRepo();
    for (let i = 0; i < 50; i++) tmp.write(`src/f${i}.ts`, 'needle\n'.repeat(50));
    scripts = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-stopping-rg-'));
  });
  after(async () => {
    await tmp.cleanup();
    fs.rmSync(scripts, { recursive: true, force: true });
  });

  /**
   * An "rg" whose first `times` starts stop themselves (SIGSTOP) before they run the real rg,
   * and later starts are the real rg. A test that cancels it therefore cancels an rg that is
   * certainly mid-way, whatever the machine's speed (rg on these files ends within a
   * millisecond, sooner than its spawn is even reported). Each start claims a turn with an
   * atomic mkdir.
   */
  let scriptCount = 0;
  function stoppingRg(times: number): string {
    const dir = path.join(scripts, `s${++scriptCount}`);
    fs.mkdirSync(dir);
    const claims = Array.from({ length: times }, (_, i) => `if mkdir ${JSON.stringify(path.join(dir, `turn${i}`))} 2>/dev/null; then kill -STOP $$; exec ${JSON.stringify(RG)} "$@"; fi`);
    const file = path.join(dir, 'rg.sh');
    fs.writeFileSync(file, `#!/bin/sh\n${claims.join('\n')}\nexec ${JSON.stringify(RG)} "$@"\n`, { mode: 0o755 });
    return file;
  }

  /**
   * Resolves once a start of `script` has claimed its first turn (it then stops itself).
   * A test that cancels before that could kill the process before it claims, and leave the
   * turn to the next grep, which would then stop instead.
   */
  function firstTurnClaimed(script: string): Promise<void> {
    const dir = path.dirname(script);
    const turn = path.join(dir, 'turn0');
    return new Promise((resolve) => {
      const watcher = fs.watch(dir, () => {
        if (fs.existsSync(turn)) {
          watcher.close();
          resolve();
        }
      });
      if (fs.existsSync(turn)) {
        watcher.close();
        resolve();
      }
    });
  }

  it('a grep aborted while its rg runs rejects once rg is gone; the next grep works', async (t) => {
    const rg = stoppingRg(1);
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: rg });
    const controller = new AbortController();
    let pid: number | undefined;
    // Once rg exists and has claimed its turn (so it stops: certainly mid-way), cancel the grep.
    const off = ripgrepProcesses.onSpawn((p) => {
      pid ??= p;
      void firstTurnClaimed(rg).then(() => controller.abort());
    });
    const message = await withinBounds(t, 'cancelled grep', async () => {
      try {
        return await rejection(repo.grep('needle', {}, controller.signal));
      } finally {
        off();
      }
    });
    assert.match(message, /^repo\.grep\("needle"\) was cancelled/);
    assert.ok(pid !== undefined, 'rg was started');
    assert.ok(!alive(pid), `rg (pid ${pid}) is gone`);
    assert.equal(ripgrepProcesses.live.size, 0);
    assert.equal((await repo.grep('needle', { maxResults: 5000 })).length, 2500);
  });

  it('greps waiting for an rg slot leave the queue when cancelled, without starting rg', async () => {
    const limit = ripgrepProcessLimit();
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: stoppingRg(limit + 5) });
    await repo.files();
    const controller = new AbortController();
    const frozen: number[] = [];
    let allSlotsTaken!: () => void;
    const taken = new Promise<void>((resolve) => (allSlotsTaken = resolve));
    const off = ripgrepProcesses.onSpawn((p) => {
      frozen.push(p);
      if (frozen.length === limit) allSlotsTaken();
    });
    try {
      // Each grep searches one file by name, so each needs one rg: the first `limit` take
      // every slot (and freeze there), the other five wait for one.
      const greps = Array.from({ length: limit + 5 }, (_, i) => repo.grep('needle', { glob: `src/f${i}.ts` }, controller.signal));
      await taken;
      controller.abort();
      const outcomes = await Promise.allSettled(greps);
      for (const o of outcomes) assert.ok(o.status === 'rejected' && /was cancelled/.test((o.reason as Error).message), String(o.status));
      assert.equal(frozen.length, limit, 'only the greps holding a slot started rg');
      await ripgrepProcesses.idle();
      for (const p of frozen) assert.ok(!alive(p));
    } finally {
      off();
    }
  });

  it('the engine cancels a grep left running when its cell ends, and kills its rg', async (t) => {
    let first: number | undefined;
    let markSpawned!: () => void;
    const spawned = new Promise<void>((resolve) => (markSpawned = resolve));
    const off = ripgrepProcesses.onSpawn((p) => {
      if (first !== undefined) return;
      first = p;
      void firstTurnClaimed(rg).then(markSpawned);
    });
    const rg = stoppingRg(1);
    const provider = new ScriptedProvider(
      ({ turn }) =>
        turn === 0
          ? // The grep is not awaited; the cell waits on a sub-call that answers once rg runs.
            js('repo.grep("needle"); print(await llm("wait"))')
          : js('const hits = await repo.grep("needle", { maxResults: 5000 }); answer.content = String(hits.length); answer.ready = true'),
      async () => {
        await spawned;
        return 'rg is running';
      },
    );
    try {
      const result = await withinBounds(t, 'grep left running by its cell', () =>
        runRlm({ repo: new WorkspaceRepo(tmp.root, { ripgrepPath: rg }), query: 'q', root: { provider } }),
      );
      assert.equal(result.answer, '2500', 'the next grep worked');
      await ripgrepProcesses.idle();
      assert.ok(first !== undefined && !alive(first), 'the abandoned grep\'s rg is gone');
    } finally {
      off();
    }
  });

  it('cancelling the run stops a grep mid-way', async (t) => {
    const controller = new AbortController();
    let pid: number | undefined;
    const off = ripgrepProcesses.onSpawn((p) => {
      pid = p;
      controller.abort();
    });
    const provider = new ScriptedProvider(() => js('const hits = await repo.grep("needle"); answer.content = String(hits.length); answer.ready = true'));
    try {
      const result = await withinBounds(t, 'run cancelled during a grep', () =>
        runRlm({ repo: new WorkspaceRepo(tmp.root, { ripgrepPath: stoppingRg(1) }), query: 'q', root: { provider }, signal: controller.signal }),
      );
      assert.equal(result.stoppedBy, 'cancelled');
      assert.equal(result.ready, false);
      await ripgrepProcesses.idle();
      assert.ok(pid !== undefined && !alive(pid));
    } finally {
      off();
    }
  });

  it('an rg that runs past its time limit is killed and the grep ends with advice', async (t) => {
    if (process.platform === 'win32') return t.skip('needs a shell script as rg');
    // An "rg" that never finishes (as rg's PCRE2 can be on a big tree with back-references).
    const fake = path.join(tmp.root, '..', `slow-rg-${process.pid}.sh`);
    fs.writeFileSync(fake, '#!/bin/sh\nexec sleep 3600\n', { mode: 0o755 });
    const saved = ripgrepLimits.wallMs;
    ripgrepLimits.wallMs = 300;
    let pid: number | undefined;
    const off = ripgrepProcesses.onSpawn((p) => (pid = p));
    try {
      const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: fake });
      const message = await withinBounds(t, 'rg past its time limit', () => rejection(repo.grep('(\\w+)\\1')));
      assert.match(message, /^repo\.grep\("\(\\\\w\+\)\\\\1"\) was stopped: ripgrep searched for more than 0\.3 s\. Back-references/);
      assert.match(message, /back-reference/);
      await ripgrepProcesses.idle();
      assert.ok(pid !== undefined && !alive(pid), 'the slow rg is gone');
    } finally {
      off();
      ripgrepLimits.wallMs = saved;
      fs.rmSync(fake, { force: true });
    }
  });

  it('a hostile pattern cancelled while the worker runs it ends as cancelled, not at its deadline', async () => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: null });
    tmp.write('src/slow.txt', `${A300} !\n`);
    const controller = new AbortController();
    const grep = repo.grep('\\w*\\w*\\w*\\w*\\w*!', { glob: 'src/slow.txt' }, controller.signal);
    setImmediate(() => controller.abort());
    assert.match(await rejection(grep), /was cancelled/);
    assert.equal((await repo.grep('needle', { glob: 'src/f1.ts' })).length, 50);
  });
});

describe('file names cannot spoof other files', () => {
  let tmp: TempRepo;
  // (Directories with a newline in their name are not listed at all, so only file names here.)
  // rg's old line-split output read "x\na.ts NUL 1:needle" as a match in "a.ts", which exists;
  // directories with a newline too ("dir\nsrc/a.ts" passed for "src/a.ts").
  const evil = ['x\na.ts', 'y\n\na.ts', 'z\r\na.ts', 'src/w\n1:a.ts', 'src/v\na.ts', 'dir\nsrc/a.ts', 'w\n./a.ts'];
  before(() => {
    tmp = makeTempRepo({ 'a.ts': 'nothing here\n', 'src/a.ts': 'nothing either\n' });
    for (const name of evil) tmp.write(name, 'needle\n');
  });
  after(() => tmp.cleanup());

  for (const engine of ENGINES) {
    it(`${engine.label}: a match in "x\\na.ts" is cited as that file, never as "a.ts"`, async (t) => {
      const repo = new WorkspaceRepo(tmp.root, engine.options);
      const files = await repo.files();
      for (const name of evil) assert.ok(files.includes(name), `listed: ${JSON.stringify(name)}`);
      const hits = await withinBounds(t, `${engine.label}, newline names`, () => repo.grep('needle'));
      assert.deepEqual(
        hits.map((h) => h.path).sort(),
        [...evil].sort(),
      );
      assert.ok(hits.every((h) => h.line === 1 && h.text === 'needle'));
      assert.deepEqual(repo.readLog.map((r) => r.path).sort(), [...evil].sort(), 'citations name the same files');
    });
  }

  it('also when a big tree is searched in parallel parts', async (t) => {
    const big = makeTempRepo();
    try {
      for (let i = 0; i < 2500; i++) big.write(`p${String(i % 5)}/f${i}.txt`, 'hay\n');
      big.write('p2/x\na.txt', 'needle\n');
      big.write('p3/y\n\na.txt', 'needle\n');
      // A directory of its own with a newline in its name: a part's path argument to rg.
      for (let i = 0; i < 600; i++) big.write(`q\np2/f${i}.txt`, i === 7 ? 'needle\n' : 'hay\n');
      big.write('a.txt', 'hay\n');
      big.write('p2/a.txt', 'hay\n');
      big.write('p2/f7.txt', 'hay\n');
      const repo = new WorkspaceRepo(big.root, { ripgrepPath: RG });
      await repo.summary();
      let spawned = 0;
      const off = ripgrepProcesses.onSpawn(() => spawned++);
      const hits = await withinBounds(t, 'newline names, partitioned', () => repo.grep('needle')).finally(off);
      assert.deepEqual(hits.map((h) => h.path), ['p2/x\na.txt', 'p3/y\n\na.txt', 'q\np2/f7.txt']);
      assert.equal(repo.lastGrepEngine, 'ripgrep');
      assert.ok(spawned >= 2, `searched in parts (${spawned} rg processes)`);
    } finally {
      await big.cleanup();
    }
  });
});

describe('the engine passes the deadline message to the model', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo({ 'src/big.min.js': `${'a'.repeat(200_000)} !\n`, 'src/ok.ts': 'export const needle = 1;\n' });
  });
  after(() => tmp.cleanup());

  it('a scripted run greps a hostile pattern, reads the advice, and answers with a simpler grep', async (t) => {
    const provider = new ScriptedProvider(({ turn, lastUser }) => {
      if (turn === 0) return js('await repo.grep("\\\\w*\\\\w*\\\\w*!")');
      if (turn === 1) {
        // rg's 4 KiB preview of the 200,002-character line was already too much for the pattern.
        assert.match(lastUser, /repo\.grep\(.*\) was stopped after .* on 1 line of "src\/big\.min\.js" \(the longest over 4,096 characters\)/);
        assert.match(lastUser, /several repetitions in a row/);
        return js('const hits = await repo.grep("needle"); answer.content = hits[0].path; answer.ready = true');
      }
      return js('answer.ready = true');
    });
    const result = await withinBounds(t, 'engine run with a hostile grep', () =>
      runRlm({ repo: new WorkspaceRepo(tmp.root, { ripgrepPath: RG }), query: 'q', root: { provider } }),
    );
    assert.equal(result.answer, 'src/ok.ts');
    const errors = result.trace.root.steps.flatMap((s) => s.cells).map((c) => c.error ?? '');
    assert.ok(errors.some((e) => e.includes('was stopped')) && errors.every((e) => !e.includes(tmp.root)), 'no host path reaches the model');
  });
});
