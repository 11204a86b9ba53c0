/**
 * The typed-array budget (guestMemory.ts), path by path, in a sandbox whose typed arrays
 * may hold 4 MiB: each allocating path refuses past the budget, views allocate nothing,
 * and memory that is let go can be allocated again.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox } from '../../src/core/sandbox/sandbox';

const REFUSED = /^RangeError: Typed arrays and ArrayBuffers may hold at most 4\.0 MiB in this sandbox; this allocation of [\d.]+ MiB was refused \([\d.]+ MiB in use\)\./;

let sb: Sandbox;
before(() => {
  sb = new Sandbox({ repoName: 'demo', arrayBufferMb: 4, handleCall: async () => null });
});
after(() => sb.dispose());

/**
 * A sandbox of its own for the tests of what is given back: after a refusal V8 may keep the
 * thrown error, and with it the buffer whose method threw, until the next exception.
 */
let fresh: Sandbox;
before(() => {
  fresh = new Sandbox({ repoName: 'demo', arrayBufferMb: 4, handleCall: async () => null });
});
after(() => fresh.dispose());

/** Runs `setup` (keeping 3 MiB live in `held`), then `attempt`: it must be refused. */
async function refusedAfterHolding3MiB(attempt: string): Promise<void> {
  const r = await sb.runCell(`globalThis.held = new Uint8Array(3 * 1024 * 1024).fill(1); try { ${attempt}; print("allocated") } finally { globalThis.held = null }`);
  assert.match(r.error ?? `no error; printed ${r.output}`, REFUSED, attempt);
}

describe('guest memory: every allocating path counts', () => {
  const MiB2 = 2 * 1024 * 1024;
  const paths: Array<[string, string]> = [
    ['new ArrayBuffer', `new ArrayBuffer(${MiB2})`],
    ['a resizable ArrayBuffer, at its maxByteLength', `new ArrayBuffer(0, { maxByteLength: ${MiB2} })`],
    ['ArrayBuffer.prototype.slice', `new ArrayBuffer(${MiB2 / 2}).slice(0); new ArrayBuffer(${MiB2 / 2}).slice(0)`],
    ['a typed array of a length', `new Uint16Array(${MiB2 / 2})`],
    ['a typed array copied from another', `new Int32Array(new Uint8Array(${MiB2 / 4}))`],
    ['a typed array from an iterable', `new Uint8Array(new Set(Array.from({ length: ${MiB2} }, (_, i) => i)))`],
    ['a typed array from an array-like', `new Uint8Array({ length: ${MiB2} })`],
    ['TypedArray.from', `Uint8Array.from({ length: ${MiB2} })`],
    ['a BigInt typed array', `new BigUint64Array(${MiB2 / 8})`],
    ['slice', `new Uint8Array(${MiB2 / 2}).slice()`],
    ['map', `new Uint8Array(${MiB2 / 2}).map((x) => x)`],
    ['filter', `new Uint8Array(${MiB2 / 2}).filter(() => true)`],
    ['toReversed', `new Uint8Array(${MiB2 / 2}).toReversed()`],
    ['toSorted', `new Uint8Array(${MiB2 / 2}).toSorted()`],
    ['with', `new Uint8Array(${MiB2 / 2}).with(0, 1)`],
    ['a subclass', `class Bytes extends Uint8Array {}; new Bytes(${MiB2})`],
    ['a species constructor that allocates more', `class Big extends Uint8Array { static get [Symbol.species]() { return function () { return new Uint8Array(${MiB2}) } } }; new Big(4).slice()`],
    ['TextEncoder.encode', `new TextEncoder().encode("x".repeat(${MiB2}))`],
    ['sliceToImmutable', `new ArrayBuffer(${MiB2 / 2}).sliceToImmutable()`],
    ['transferToImmutable to a bigger size', `new ArrayBuffer(8).transferToImmutable(${MiB2})`],
  ];
  for (const [name, attempt] of paths) test(name, () => refusedAfterHolding3MiB(attempt));

  test('a size that answers small when checked and huge after is read once, and the checked value used', async () => {
    const r = await sb.runCell(`
      let n = 0; const size = { valueOf() { return n++ === 0 ? 8 : 2 ** 31 } };
      let m = 0; const options = { get maxByteLength() { return m++ === 0 ? 1024 : 2 ** 33 } };
      print(new ArrayBuffer(size).byteLength, n, new ArrayBuffer(0, options).maxByteLength, m)`);
    assert.equal(r.error, null);
    assert.equal(r.output, '8 1 1024 1\n');
  });
});

describe('guest memory: code compiled at run time', () => {
  test('Function and indirect eval take at most a cell of code; nested Compartments are not offered', async () => {
    const r = await fresh.runCell(`
      const out = [];
      for (const f of [() => Function("x".repeat(100001)), () => (0, eval)("1;".repeat(50001)), () => new Function("a", "b", "c".repeat(99999))]) {
        try { f(); out.push("compiled") } catch (e) { out.push(e.message) }
      }
      out.push(Function("a", "return a * 2")(21), (0, eval)("20 + 1"), typeof Compartment);
      print(out.join("\\n"))`);
    assert.equal(r.error, null);
    assert.equal(
      r.output,
      [
        'Function was given 100,001 characters of code, more than the 100,000 a cell may have. Write the code in the cell instead.',
        'eval was given 100,002 characters of code, more than the 100,000 a cell may have. Write the code in the cell instead.',
        'Function was given 100,001 characters of code, more than the 100,000 a cell may have. Write the code in the cell instead.',
        '42',
        '21',
        'undefined',
      ].join('\n') + '\n',
    );
  });
});

describe('guest memory: what does not count, and what is given back', () => {
  test('views on an existing buffer allocate nothing', async () => {
    const r = await fresh.runCell(`
      const buf = new ArrayBuffer(3 * 1024 * 1024);
      const views = [];
      for (let i = 0; i < 100; i++) views.push(new Uint8Array(buf), new DataView(buf), new Uint32Array(buf, 4, 10), new Uint8Array(buf).subarray(1));
      print(views.length); globalThis.buf = null; globalThis.views = null`);
    assert.equal(r.error, null);
    assert.equal(r.output, '400\n');
  });

  test('dead buffers are collected before anything is refused', async () => {
    const r = await fresh.runCell('let n = 0; for (let i = 0; i < 200; i++) n += new Uint8Array(2 * 1024 * 1024).fill(1).length; print(n)');
    assert.equal(r.error, null);
    assert.equal(r.output, `${200 * 2 * 1024 * 1024}\n`);
  });

  test('resizable buffers count while they live, and not after', async () => {
    const r = await fresh.runCell(`
      let kept = [];
      try { for (;;) kept.push(new ArrayBuffer(0, { maxByteLength: 1024 * 1024 })) } catch (e) { print(kept.length, e.name) }
      kept = null`);
    assert.equal(r.output, '4 RangeError\n');
    // The next cell is another job: the buffers above can now be collected.
    const again = await fresh.runCell('const b = new ArrayBuffer(0, { maxByteLength: 3 * 1024 * 1024 }); b.resize(3 * 1024 * 1024); print(b.byteLength)');
    assert.equal(again.error, null);
    assert.equal(again.output, `${3 * 1024 * 1024}\n`);
  });
});
