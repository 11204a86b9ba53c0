/**
 * Attacks on what crosses from the sandbox to the host: arguments that are not plain data,
 * that lie about their size, that are simply huge; and what a cell leaves at its end.
 * Each runs through the real engine and sandbox process, under watch of the host's health.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertHostHealthy, assertRecovered, attackTarget, cell, engineAttack, linuxOnly } from './kit';

const repo = attackTarget('crossing');

describe('attack: arguments that are not plain data', linuxOnly, () => {
  const cases: Array<[string, string, RegExp]> = [
    ['a Map', 'await llm.batch(new Map([[0, "x".repeat(1e6)]]))', /llm\.batch: prompts is a Map, which cannot be sent to the host: only plain data can.*Object\.fromEntries\(map\)/],
    ['a Set', 'await repo.files(new Set(["**/*.ts"]))', /repo\.files: glob is a Set, which cannot be sent to the host.*\[\.\.\.set\]/],
    ['an Error', 'const e = new Error("x"); e.payload = "y".repeat(1e6); await llm(e)', /llm: prompt is an Error, which cannot be sent to the host.*error\.message/],
    ['a typed array', 'await llm.batch([new Uint8Array(1 << 25)])', /llm\.batch: prompts\[0\] is a Uint8Array, which cannot be sent to the host/],
    ['a class instance', 'class Big { constructor() { this.data = "z".repeat(1e6) } } await llm(new Big())', /llm: prompt is an instance of Big, which cannot be sent/],
    ['a proxy that lies about its keys', 'const p = new Proxy({}, { ownKeys: () => { throw new Error("trap ran") } }); await repo.grep("x", p)', /repo\.grep: options is a Proxy, which cannot be sent/],
    ['a proxy of an array', 'await llm.batch(new Proxy(["a"], {}))', /llm\.batch: prompts is a Proxy, which cannot be sent/],
    ['NaN', 'await repo.files("**/*", {limit: NaN})', /repo\.files: options\.limit is NaN, which cannot be sent to the host: only finite numbers/],
    ['a BigInt', 'await repo.read("README.md", {start: 1n})', /repo\.read: options\.start is a BigInt/],
    ['a cycle', 'const o = {}; o.self = o; await repo.grep("x", o)', /repo\.grep: options\.self refers back to an object that contains it \(a cycle\)/],
  ];
  for (const [name, code, message] of cases) {
    test(name, async () => {
      const a = await engineAttack(repo.root, cell(code));
      assert.match(a.told, message);
      assertHostHealthy(`argument: ${name}`, a.health);
      assertRecovered(a);
    });
  }

  test('a getter that answers small when measured and huge when copied', async () => {
    // With structured clone the host got whatever the getter returned at copy time; here no
    // getter is ever called, on an object, an array element or an options object.
    const a = await engineAttack(
      repo.root,
      cell(`
        globalThis.reads = 0;
        const lie = { get model() { return reads++ === 0 ? "m" : "x".repeat(5e8) } };
        const arr = ["small"]; Object.defineProperty(arr, 0, { get() { reads++; return "y".repeat(5e8) }, enumerable: true });
        const results = [];
        for (const attempt of [() => llm("hi", lie), () => llm.batch(arr), () => repo.grep("x", { get glob() { reads++; return "**/*" } })]) {
          try { await attempt(); results.push("sent") } catch (e) { results.push(e.message) }
        }
        print(results.join("\\n")); print("getter calls:", reads)`),
    );
    assert.match(a.told, /llm: options\.model is a getter, which cannot be sent to the host: only plain data can.*\{\.\.\.object\}/);
    assert.match(a.told, /llm\.batch: prompts\[0\] is a getter/);
    assert.match(a.told, /repo\.grep: options\.glob is a getter/);
    assert.match(a.told, /getter calls: 0/);
    assertHostHealthy('argument: lying getters', a.health);
    assertRecovered(a);
  });
});

describe('attack: huge arguments', linuxOnly, () => {
  test('an llm.batch of a gigabyte is refused in the sandbox, at the per-call cap', async () => {
    const a = await engineAttack(repo.root, cell('const r = await llm.batch(Array(10000).fill("x".repeat(100000))); print(r.length)'));
    assert.match(a.told, /RangeError: llm\.batch: the arguments are over 5 MiB as JSON, the most one call may send\. Send less per call/);
    assert.equal(a.result.usage.subCalls, 0, 'nothing was sent to a model');
    assertHostHealthy('huge llm.batch (1 GB)', a.health);
    assertRecovered(a);
  });

  test('calls each under the per-call cap stop at the per-cell cap', async () => {
    const a = await engineAttack(
      repo.root,
      cell('let sent = 0; try { for (let i = 0; i < 10; i++) { await llm.batch(Array(20).fill("y".repeat(200000))); sent++ } } finally { print("batches sent:", sent) }'),
      { limits: { maxSubCalls: 1_000 } },
    );
    // 20 prompts of 200,000 characters are 4 MB each; the cell may send 10 MiB in all.
    assert.match(a.told, /batches sent: 2\n/);
    assert.match(a.told, /RangeError: llm\.batch: this cell has sent 7\.6 MiB to the host and these arguments do not fit in the 10 MiB one cell may send\. Continue in the next cell/);
    assertHostHealthy('per-cell cap (2 × 4 MB batches, third refused)', a.health);
    assertRecovered(a);
  });

  test('a string argument of 500 million characters', async () => {
    const a = await engineAttack(repo.root, cell('await repo.grep("a".repeat(5e8))'));
    assert.match(a.told, /RangeError: repo\.grep: the arguments are over 5 MiB as JSON/);
    assertHostHealthy('500M-character argument', a.health);
    assertRecovered(a);
  });
});

describe('attack: what a cell sends back at its end', linuxOnly, () => {
  test('an answer object of a billion characters is refused as it is written', async () => {
    const a = await engineAttack(repo.root, cell('const big = "x".repeat(1e6); answer.content = { parts: Array.from({ length: 1000 }, () => big) }'));
    assert.match(a.told, /answer\.content is over 1,000,000 characters; keep it under 1,000,000\./);
    assertHostHealthy('answer object of 1G characters', a.health);
    assertRecovered(a);
  });

  test('an answer string of 300 million characters is refused by its length, not copied', async () => {
    const a = await engineAttack(repo.root, cell('answer.content = "x".repeat(3e8)'));
    assert.match(a.told, /answer\.content is 300,000,000 characters; keep it under 1,000,000\./);
    assertHostHealthy('answer string of 300M characters', a.health);
    assertRecovered(a);
  });

  test('an error message of 40 million characters and 160 million printed', async () => {
    const a = await engineAttack(repo.root, cell('const s = "e".repeat(4e7); for (let i = 0; i < 4; i++) print(s); throw new Error(s)'));
    assert.ok(a.told.length < 30_000, `the model was told ${a.told.length} characters`);
    assert.match(a.told, /output cut: 159,980,004 more characters not shown/);
    assert.match(a.told, /Error: Error: e{3990}/);
    assertHostHealthy('40M-character error, 160M characters printed', a.health);
    assertRecovered(a);
  });

  test('printing a 500-million-character string: cut, or the sandbox runs out of memory, never the host', async () => {
    // "e".repeat(5e8) is a rope of a few bytes. Whether taking its first 20,000 characters
    // flattens it (500 MB, more than the sandbox's heap) is V8's choice; either way the model
    // is told what happened.
    const a = await engineAttack(repo.root, cell('const s = "e".repeat(5e8); print(s)'));
    assert.match(a.told.slice(-1_000), /output cut: 499,980,001 more characters not shown|The cell ran out of memory \(limit 96 MiB\) and was stopped\. The sandbox was restarted/);
    assertHostHealthy('print of a 500M-character rope', a.health);
    assertRecovered(a);
  });
});
