/**
 * The sandbox against hostile and careless code. Each case checks three things: the host
 * process survives, the model gets a clear message, and the next cell works.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Sandbox, resetDataLimitProbe, type CellOutcome } from '../../src/core/sandbox/sandbox';

const calls: Array<{ name: string; args: unknown[] }> = [];
const handleCall = async (name: string, args: unknown[]) => {
  calls.push({ name, args });
  if (name === 'repo.read') return `text of ${String(args[0])}`;
  if (name === 'llm') return `reply to ${String(args[0]).slice(0, 20)}`;
  return null;
};

async function assertHealthy(sb: Sandbox): Promise<void> {
  const r = await sb.runCell('print("still here", 1 + 1)');
  assert.equal(r.error, null);
  assert.equal(r.output, 'still here 2\n');
}

describe('sandbox: the REPL', () => {
  let sb: Sandbox;
  before(() => {
    sb = new Sandbox({ repoName: 'demo', handleCall });
  });
  after(() => sb.dispose());

  test('prints values and shows objects as text', async () => {
    const r = await sb.runCell('print("a", 1, {b: [1, 2]}); console.log("via console")');
    assert.equal(r.error, null);
    assert.equal(r.output, "a 1 { b: [ 1, 2 ] }\nvia console\n");
  });

  test('top-level declarations and globalThis properties persist to later cells', async () => {
    await sb.runCell('const kept = 41; let list = [1]; function inc(x) { return x + 1 } class K { v() { return 7 } }; globalThis.g = "G"; const {p, q: [r]} = {p: 1, q: [2]}');
    const r = await sb.runCell('print(inc(kept), list.length, new K().v(), g, p, r)');
    assert.equal(r.error, null);
    assert.equal(r.output, '42 1 7 G 1 2\n');
  });

  test('a block-scoped name does not leak into later cells', async () => {
    await sb.runCell('{ const inner = 1 } for (const item of [1]) {}');
    const r = await sb.runCell('print(typeof inner, typeof item)');
    assert.equal(r.output, 'undefined undefined\n');
  });

  test('top-level await works and host functions return plain data', async () => {
    const r = await sb.runCell('const t = await repo.read("src/a.ts", {start: 1, end: 2}); print(t, repo.name)');
    assert.equal(r.error, null);
    assert.equal(r.output, 'text of src/a.ts demo\n');
    assert.deepEqual(calls.at(-1), { name: 'repo.read', args: ['src/a.ts', { start: 1, end: 2 }] });
  });

  test('bad arguments are refused on the host with a message naming the parameter', async () => {
    const before = calls.length;
    const r = await sb.runCell('await repo.read(42)');
    assert.match(r.error ?? '', /ArgumentError: repo\.read: path must be a string, got number 42/);
    const typo = await sb.runCell('await repo.grep("x", {maxResult: 3})');
    assert.match(typo.error ?? '', /unknown option "maxResult"; known options: glob, ignoreCase, maxResults/);
    const many = await sb.runCell('await repo.stat("a", "b")');
    assert.match(many.error ?? '', /takes at most 1 argument/);
    const fn = await sb.runCell('await llm(() => 1)');
    assert.match(fn.error ?? '', /^TypeError: llm: prompt is a function, which cannot be sent to the host: only plain data can/);
    assert.equal(calls.length, before, 'the handler never saw an invalid call');
  });

  test('a thrown error reaches the model with its name and message', async () => {
    const r = await sb.runCell('throw new RangeError("too far")');
    assert.equal(r.error, 'RangeError: too far');
    const odd = await sb.runCell('throw {code: 7}');
    assert.equal(odd.error, 'Uncaught { code: 7 }');
  });

  test('syntax errors point at the line and column', async () => {
    const r = await sb.runCell('const a = 1;\nconst b = ;');
    assert.match(r.error ?? '', /^SyntaxError: Unexpected token \(line 2, column 11\)/);
  });

  test('source text SES would reject gets an explanation the model can act on', async () => {
    const imp = await sb.runCell('const s = "import(x)"');
    assert.match(imp.error ?? '', /refuses code containing the text "import\("/);
    const html = await sb.runCell('let i = 3; while (i-->0) {}');
    assert.match(html.error ?? '', /Write "i-- > 0" with a space/);
    const ev = await sb.runCell('eval("1")');
    assert.match(ev.error ?? '', /refuses direct calls to eval/);
    const mod = await sb.runCell('import fs from "fs"');
    assert.match(mod.error ?? '', /no modules here/);
    await assertHealthy(sb);
  });

  test('the answer can be drafted, revised and marked ready', async () => {
    let r = await sb.runCell('answer.content = "draft"');
    assert.deepEqual(r.answer, { content: 'draft', ready: false });
    r = await sb.runCell('answer.content += " revised"; answer.ready = true');
    assert.deepEqual(r.answer, { content: 'draft revised', ready: true });
    sb.setAnswer({ content: '', ready: false });
    r = await sb.runCell('answer.content = {files: 2}');
    assert.equal(r.answer.content, '{\n  "files": 2\n}');
    r = await sb.runCell('Object.defineProperty(answer, "content", {get() { return "x" }})');
    assert.match(r.answerProblem ?? '', /plain values, not getters/);
    sb.setAnswer({ content: '', ready: false });
  });

  test('output past the limit is cut with a note of how much', async () => {
    const small = new Sandbox({ repoName: 'demo', handleCall, maxOutputChars: 1_000 });
    try {
      const r = await small.runCell('for (let i = 0; i < 5000; i++) print("line " + i)');
      assert.equal(r.error, null);
      assert.ok(r.output.startsWith('line 0\nline 1\n'));
      const m = /\[output cut: ([\d,]+) more characters not shown/.exec(r.output);
      assert.ok(m, r.output.slice(-200));
      const total = Array.from({ length: 5000 }, (_, i) => `line ${i}\n`).join('').length;
      assert.equal(Number(m[1]!.replace(/,/g, '')), total - 1_000);
    } finally {
      await small.dispose();
    }
  });

  test('results past what one cell may receive are not sent: the call says so, the cell goes on, and the next cell gets its results', async () => {
    // 300,000 characters per read; the cell may receive 1 MiB of results in all.
    const big = new Sandbox({ repoName: 'demo', handleCall: async () => 'x'.repeat(300_000), maxReturnedBytes: 2 ** 20 });
    try {
      const code = 'const got = []; for (let i = 0; i < 5; i++) { try { got.push((await repo.read("a.ts")).length) } catch (e) { got.push(e.name + ": " + e.message) } } print(JSON.stringify(got))';
      const r = await big.runCell(code);
      assert.equal(r.error, null, r.error ?? '');
      const got = JSON.parse(r.output.trim()) as Array<number | string>;
      assert.deepEqual(got.slice(0, 3), [300_000, 300_000, 300_000]);
      for (const refused of got.slice(3)) {
        assert.match(String(refused), /^RangeError: .*would take what the host has sent this cell past 1\.0 MiB \(0\.9 MiB so far\), the most one cell may receive/);
        assert.match(String(refused), /narrow down with repo\.grep and line ranges, or continue in the next cell/);
      }
      // The count starts again with each cell.
      const next = await big.runCell('print((await repo.read("a.ts")).length)');
      assert.equal(next.output.trim(), '300000');
    } finally {
      await big.dispose();
    }
  });

  test('megabytes of output do not reach the host', async () => {
    const r = await sb.runCell('const big = "x".repeat(8 * 1024 * 1024); print(big); print(big)');
    assert.equal(r.error, null);
    assert.ok(r.output.length < 21_000, `output was ${r.output.length} characters`);
    // Two prints of 8 MiB + newline each, less the 20,000 characters shown.
    assert.ok(r.output.includes('output cut: 16,757,218 more characters'), r.output.slice(-200));
    await assertHealthy(sb);
  });

  test('host-call arguments too big or too deep are refused in the sandbox, before the host copies them', async () => {
    const before = calls.length;
    const big = await sb.runCell('try { await llm.batch(Array(30).fill("x".repeat(2000000))) } catch (e) { print(e.name, e.message) }');
    assert.match(big.output, /^RangeError llm\.batch: the arguments are over 5 MiB as JSON, the most one call may send\. Send less per call/);
    const deep = await sb.runCell('let a = "leaf"; for (let i = 0; i < 5000; i++) a = [a]; try { await repo.read("x", a) } catch (e) { print(e.name, e.message) }');
    assert.match(deep.output, /^TypeError repo\.read: options is nested more than 64 levels deep; flatten it before sending\./);
    assert.equal(calls.length, before, 'nothing reached the handler');
    await assertHealthy(sb);
  });

  test('callbacks on a call the cell did not await never run after the cell', async () => {
    const r = await sb.runCell('llm("x").then(() => { globalThis.lateCallback = "ran" })');
    assert.match(r.output, /still running when the cell ended/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const next = await sb.runCell('print(typeof lateCallback)');
    assert.equal(next.output, 'undefined\n');
  });

  test('error text is capped before it leaves the sandbox', async () => {
    const r = await sb.runCell('throw new Error("y".repeat(5000000))');
    assert.ok(r.error !== null && r.error.length <= 4_000, `error of ${r.error?.length} characters`);
    const p = await sb.runCell('answer.content = { get a() { throw { message: "z".repeat(1000000) } } }');
    assert.ok(p.answerProblem !== null && p.answerProblem.length <= 4_000);
    sb.setAnswer({ content: '', ready: false });
  });

  test('a call left unawaited is reported and does not run later', async () => {
    const r = await sb.runCell('llm("never awaited")');
    assert.match(r.output, /1 sandbox call was still running when the cell ended/);
    await assertHealthy(sb);
  });
});

describe('sandbox: hostile code cannot reach the host', () => {
  let sb: Sandbox;
  before(() => {
    sb = new Sandbox({ repoName: 'demo', handleCall });
  });
  after(() => sb.dispose());

  const probes: Array<[string, string, RegExp]> = [
    ['process', 'print(typeof process, typeof globalThis.process)', /^undefined undefined\n$/],
    ['require and module', 'print(typeof require, typeof module, typeof exports, typeof __dirname)', /^undefined undefined undefined undefined\n$/],
    ['timers, network and workers', 'print(typeof setTimeout, typeof setInterval, typeof setImmediate, typeof fetch, typeof WebSocket, typeof Worker, typeof queueMicrotask)', /^(undefined ){6}undefined\n$/],
    ['shared memory', 'print(typeof SharedArrayBuffer, typeof Atomics, typeof WeakRef, typeof FinalizationRegistry)', /^undefined undefined undefined undefined\n$/],
  ];
  for (const [name, code, expected] of probes) {
    test(`no ${name}`, async () => {
      const r = await sb.runCell(code);
      assert.equal(r.error, null);
      assert.match(r.output, expected);
    });
  }

  const constructors: Array<[string, string]> = [
    ['a function', '(function () {}).constructor'],
    ['an arrow', '(() => 1).constructor'],
    ['an async function', '(async function () {}).constructor'],
    ['a generator', '(function* () {}).constructor'],
    ['an async generator', '(async function* () {}).constructor'],
    ['an endowment', 'repo.read.constructor'],
    ['llm.batch', 'llm.batch.constructor'],
    ['print', 'print.constructor'],
    ['a prototype chain', 'Object.getPrototypeOf(Object.getPrototypeOf(repo.files)).constructor.constructor'],
    ['an error', 'new Error("x").constructor.constructor'],
  ];
  for (const [name, expr] of constructors) {
    test(`the Function constructor through ${name} yields no host access`, async () => {
      const r = await sb.runCell(`
        let leaked = "none";
        try { leaked = String(${expr}("return typeof process === 'object' ? process.pid : 'no process'")()); }
        catch (e) { leaked = "threw " + e.name; }
        print(leaked)`);
      assert.equal(r.error, null);
      assert.doesNotMatch(r.output, /^\d+\n$/, 'a pid leaked');
      assert.match(r.output, /^(no process|threw (TypeError|ReferenceError|EvalError))\n$/);
    });
  }

  test('prototype pollution is refused', async () => {
    const r = await sb.runCell(`
      const results = [];
      for (const target of ["Object.prototype", "Array.prototype", "Function.prototype", "String.prototype"]) {
        try { (target === "Object.prototype" ? Object.prototype : target === "Array.prototype" ? Array.prototype : target === "Function.prototype" ? Function.prototype : String.prototype).polluted = 1; results.push(target + " changed"); }
        catch (e) { results.push(target + " " + e.name); }
      }
      try { ({}).__proto__.polluted2 = 1; results.push("__proto__ changed") } catch (e) { results.push("__proto__ " + e.name) }
      print(results.join("; "), typeof ({}).polluted)`);
    assert.equal(r.error, null);
    assert.equal(r.output, 'Object.prototype TypeError; Array.prototype TypeError; Function.prototype TypeError; String.prototype TypeError; __proto__ TypeError undefined\n');
  });

  test('endowments cannot be changed, replaced or deleted', async () => {
    const attempts = [
      'repo.read = () => "fake"',
      'repo.name = "other"',
      'llm.batch = null',
      'globalThis.repo = {}',
      'delete globalThis.print',
      'Object.defineProperty(globalThis, "llm", {value: 1})',
      'answer = {}',
      'Object.setPrototypeOf(repo, {})',
      'repo.extra = 1',
    ];
    for (const attempt of attempts) {
      const r = await sb.runCell(attempt);
      assert.match(r.error ?? '', /TypeError/, `${attempt} should throw`);
    }
    const r = await sb.runCell('print(await repo.read("x"), repo.name, typeof llm.batch, typeof print)');
    assert.equal(r.output, 'text of x demo function function\n');
  });

  test('the answer getter reached through its descriptor is frozen like every endowment', async () => {
    const r = await sb.runCell(`
      const getter = Object.getOwnPropertyDescriptor(globalThis, "answer").get;
      const attempts = [];
      try { getter.extra = 1; attempts.push("added") } catch (e) { attempts.push(e.name) }
      try { Object.setPrototypeOf(getter, null); attempts.push("reparented") } catch (e) { attempts.push(e.name) }
      print(attempts.join(" "), Object.isFrozen(getter), getter() === answer)`);
    assert.equal(r.error, null);
    assert.equal(r.output, 'TypeError TypeError true true\n');
  });

  test('redeclaring an API name is refused before it runs', async () => {
    for (const name of ['repo', 'llm', 'rlm', 'print', 'answer', 'console']) {
      const r = await sb.runCell(`const ${name} = 1`);
      assert.match(r.error ?? '', new RegExp(`"${name}" is part of the sandbox API`));
    }
    await assertHealthy(sb);
  });

  test('a host error message does not leak a stack with host paths', async () => {
    const r = await sb.runCell('try { null.x } catch (e) { print(String(e.stack ?? "").includes("/"), e.message) }');
    assert.equal(r.error, null);
    assert.match(r.output, /^false /);
  });
});

describe('sandbox: runaway code is stopped and the sandbox replaced', () => {
  let sb: Sandbox;
  before(() => {
    sb = new Sandbox({ repoName: 'demo', handleCall, cellTimeoutMs: 400, heapMb: 48, idleCheckMs: 300 });
  });
  after(() => sb.dispose());

  async function expectReset(code: string, reason: CellOutcome['reset'], message: RegExp): Promise<void> {
    await sb.runCell('const marker = "set before"');
    const workers = sb.workersStarted;
    const r = await sb.runCell(code);
    assert.equal(r.reset, reason);
    assert.match(r.error ?? '', message);
    assert.match(r.error ?? '', /variables from earlier cells are gone/);
    assert.equal(sb.workersStarted, workers + 1, 'a fresh worker replaced the old one');
    const after = await sb.runCell('print(typeof marker)');
    assert.equal(after.output, 'undefined\n', 'state was reset');
    await assertHealthy(sb);
  }

  test('an infinite loop', () => expectReset('while (true) {}', 'timeout', /stopped after running for 0.4 s/));
  test('an async infinite loop', () => expectReset('while (true) { await null }', 'timeout', /stopped after running for 0.4 s/));
  test('a promise that never settles', () => expectReset('await new Promise(() => {})', 'timeout', /time limit/));
  test('a memory bomb', async () => {
    // Its own sandbox with a time limit the bomb cannot reach first: only running out of
    // memory can end this cell, however slow the machine (a shared 400 ms limit raced it).
    const roomy = new Sandbox({ repoName: 'demo', handleCall, cellTimeoutMs: 600_000, heapMb: 48, idleCheckMs: 300 });
    try {
      await roomy.runCell('const marker = "set before"');
      const r = await roomy.runCell('const hog = []; while (true) hog.push(new Array(1e6).fill(1.5))');
      assert.equal(r.reset, 'memory');
      assert.match(r.error ?? '', /ran out of memory \(limit 48 MiB\)/);
      assert.equal(roomy.workersStarted, 2, 'a fresh worker replaced the old one');
      assert.equal((await roomy.runCell('print(typeof marker)')).output, 'undefined\n', 'state was reset');
      await assertHealthy(roomy);
    } finally {
      await roomy.dispose();
    }
  });
  test('a loop left running in the background after the cell', () =>
    expectReset('(async () => { while (true) { await null } })(); print("returned")', 'background', /kept running after the cell ended/));
  test('deep recursion is an ordinary error, not a crash', async () => {
    const r = await sb.runCell('function down(n) { return down(n + 1) + 1 } down(0)');
    assert.equal(r.reset, null);
    assert.match(r.error ?? '', /RangeError: Maximum call stack size exceeded/);
    await assertHealthy(sb);
  });

  test('time spent waiting for host calls does not count against the cell limit', async () => {
    const slow = new Sandbox({
      repoName: 'demo',
      cellTimeoutMs: 300,
      handleCall: () => new Promise((resolve) => setTimeout(() => resolve('slow reply'), 250)),
    });
    try {
      const r = await slow.runCell('const out = []; for (let i = 0; i < 4; i++) out.push(await llm("q")); print(out.length)');
      assert.equal(r.error, null);
      assert.equal(r.output, '4\n');
    } finally {
      await slow.dispose();
    }
  });

  test('cancellation stops a running cell at once', async () => {
    const controller = new AbortController();
    // The sandbox replaced by the test before may still be starting; the cell must be running.
    await sb.warm();
    const pending = sb.runCell('while (true) {}', { signal: controller.signal });
    setImmediate(() => controller.abort());
    const r = await pending;
    assert.equal(r.reset, 'cancelled');
    assert.equal(r.error, 'Cancelled.');
    await assertHealthy(sb);
  });

  test('a cell cancelled while its sandbox is still starting does not run', async () => {
    const fresh = new Sandbox({ repoName: 'demo', handleCall });
    try {
      const controller = new AbortController();
      const pending = fresh.runCell('globalThis.ran = true', { signal: controller.signal });
      controller.abort();
      assert.deepEqual({ ...(await pending), durationMs: 0 }, { output: '', error: 'Cancelled.', answer: { content: '', ready: false }, answerProblem: null, reset: null, durationMs: 0 });
      assert.equal((await fresh.runCell('print(typeof ran)')).output, 'undefined\n');
    } finally {
      await fresh.dispose();
    }
  });
});

describe('sandbox: what the host enforces itself', () => {
  const workers = path.join(__dirname, '..', 'support', 'workers');

  test('the sandbox process starts with an empty environment and none of the host\'s flags', async () => {
    process.env.RLM_TEST_HOST_SECRET = 'host-secret-value';
    const probe = new Sandbox({ repoName: 'demo', handleCall, workerPath: path.join(workers, 'envProbe.js') });
    try {
      const r = await probe.runCell('print(1)');
      const seen = JSON.parse(r.output) as { env: string[]; execArgv: string[] };
      assert.deepEqual(seen.env, []);
      // Only the sandbox's own limits: none of the host's flags (this test runs under --import tsx).
      assert.deepEqual(seen.execArgv.map((f) => f.replace(/=\d+$/, '=N')), ['--max-old-space-size=N', '--max-semi-space-size=N', '--expose-gc'], 'only options every Node and Electron knows (an unknown one ends the process at start)');
    } finally {
      delete process.env.RLM_TEST_HOST_SECRET;
      await probe.dispose();
    }
  });

  test('output over the cap from a sandbox that ignores it is refused by the host, and the sandbox replaced', async () => {
    const rogue = new Sandbox({ repoName: 'demo', handleCall, maxOutputChars: 1_000, workerPath: path.join(workers, 'oversizeOutput.js') });
    try {
      const r = await rogue.runCell('print(1)');
      assert.equal(r.reset, 'crashed');
      assert.match(r.error ?? '', /malformed result/);
      assert.equal(r.output, '');
      assert.equal(rogue.workersStarted, 2);
    } finally {
      await rogue.dispose();
    }
  });
});

describe('sandbox: printing never runs guest hooks on the trusted side', () => {
  let sb: Sandbox;
  before(() => {
    sb = new Sandbox({ repoName: 'demo', handleCall });
  });
  after(() => sb.dispose());

  test('a custom inspect function is not called', async () => {
    const r = await sb.runCell('globalThis.hits = 0; const o = { a: 1, [Symbol.for("nodejs.util.inspect.custom")]() { hits++; return "HIJACKED" } }; print(o); print(hits)');
    assert.equal(r.error, null);
    assert.doesNotMatch(r.output, /HIJACKED/);
    assert.match(r.output, /a: 1/);
    assert.match(r.output, /\n0\n$/, 'the hook never ran');
  });

  test('getters are shown, not called', async () => {
    const r = await sb.runCell('globalThis.calls = 0; print({ get g() { calls++; return "RAN" } }); print(calls)');
    assert.doesNotMatch(r.output, /RAN/);
    assert.match(r.output, /\[Getter\]/);
    assert.match(r.output, /\n0\n$/);
  });
});

describe('sandbox: variables and answers', () => {
  let sb: Sandbox;
  before(() => {
    sb = new Sandbox({ repoName: 'demo', handleCall });
  });
  after(() => sb.dispose());

  test('lists the variables cells left, with short summaries, and nothing of its own', async () => {
    assert.deepEqual(await sb.describeVariables(), [], 'no worker yet: nothing kept');
    await sb.runCell('const hits = [1, 2, 3]; let text = "abcd"; function helper() {}; globalThis.counts = new Map([["a", 1]]); const n = 42; const obj = {a: 1, b: 2}');
    const byName = (await sb.describeVariables())!.sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(byName, [
      { name: 'counts', summary: 'Map of 1' },
      { name: 'helper', summary: 'function' },
      { name: 'hits', summary: 'array of 3' },
      { name: 'n', summary: 'number 42' },
      { name: 'obj', summary: 'object with 2 keys' },
      { name: 'text', summary: 'string of 4 characters' },
    ]);
  });

  test('a getter on globalThis is listed without being called', async () => {
    await sb.runCell('globalThis.sideEffect = 0; Object.defineProperty(globalThis, "trap", { get() { sideEffect++; return 1 } })');
    const vars = await sb.describeVariables();
    assert.deepEqual(vars?.find((v) => v.name === 'trap'), { name: 'trap', summary: 'getter' });
    assert.equal((await sb.runCell('print(sideEffect)')).output, '0\n');
  });

  test('only the boolean true marks the answer ready; other values are explained', async () => {
    for (const value of ['"true"', '1', '"yes"']) {
      const r = await sb.runCell(`answer.content = "x"; answer.ready = ${value}`);
      assert.equal(r.answer.ready, false, value);
      assert.match(r.answerProblem ?? '', /answer\.ready must be the boolean true to finish/, value);
    }
    const ok = await sb.runCell('answer.content = "x"; answer.ready = true');
    assert.equal(ok.answer.ready, true);
    assert.equal(ok.answerProblem, null);
  });
});

describe('sandbox: a runtime that cannot start under the OS data limit', { skip: process.platform !== 'linux' }, () => {
  test('starts without it, once, and the cell runs', async () => {
    resetDataLimitProbe();
    // 8 MiB is too little for any Node to start (its threads' stacks alone take more).
    const tight = new Sandbox({ repoName: 'demo', handleCall, dataLimitMb: 8 });
    try {
      const r = await tight.runCell('print(6 * 7)');
      assert.equal(r.error, null);
      assert.equal(r.output, '42\n');
      assert.equal(tight.workersStarted, 1, 'one sandbox counted; the failed start under the limit is not a reset');
    } finally {
      await tight.dispose();
      resetDataLimitProbe();
    }
  });

  test('several starting at once all start (each that was under way with the limit retries without it)', async () => {
    resetDataLimitProbe();
    const many = Array.from({ length: 3 }, (_, i) => new Sandbox({ repoName: `demo${i}`, handleCall, dataLimitMb: 8 }));
    try {
      const started = await Promise.allSettled(many.map((s) => s.warm()));
      assert.deepEqual(started.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled']);
      assert.equal((await many[2]!.runCell('print(1 + 1)')).output, '2\n');
    } finally {
      await Promise.all(many.map((s) => s.dispose()));
      resetDataLimitProbe();
    }
  });
});
