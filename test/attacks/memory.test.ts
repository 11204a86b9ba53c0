/**
 * Attacks on memory: typed arrays and ArrayBuffers (outside V8's heap limit), resizable and
 * transferred buffers, WebAssembly, and the allocations V8 answers by aborting the process.
 * The sandbox's typed-array budget under the default bound is 48 MiB, its heap 96 MiB.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { assertHostHealthy, assertRecovered, attackTarget, cell, engineAttack, linuxOnly } from './kit';

const repo = attackTarget('memory');

const REFUSED = /RangeError: Typed arrays and ArrayBuffers may hold at most 48 MiB in this sandbox; this allocation of [\d.]+ MiB was refused \([\d.]+ MiB in use\)\. Work on smaller pieces, or use strings and plain arrays\./;

describe('attack: typed-array and ArrayBuffer bombs', linuxOnly, () => {
  const bombs: Array<[string, string]> = [
    ['one 2 GiB Uint8Array', 'new Uint8Array(2 ** 31)'],
    ['many 16 MiB arrays, filled', 'const keep = []; while (true) keep.push(new Uint8Array(2 ** 24).fill(7))'],
    ['an ArrayBuffer of 4 GiB', 'new ArrayBuffer(2 ** 32)'],
    ['a resizable buffer reserving 16 GiB', 'new ArrayBuffer(1, { maxByteLength: 2 ** 34 })'],
    ['resizable buffers grown one by one', 'const keep = []; while (true) { const b = new ArrayBuffer(0, { maxByteLength: 2 ** 24 }); b.resize(2 ** 24); keep.push(b) }'],
    ['slice() doubling a buffer', 'let b = new ArrayBuffer(2 ** 20); const keep = [b]; while (true) { keep.push(b.slice(0)); keep.push(new Uint8Array(b).slice()) }'],
    ['typed-array copies (map, toSorted, toReversed, with)', 'const a = new Uint8Array(2 ** 23); const keep = []; while (true) keep.push(a.map((x) => x), a.toSorted(), a.toReversed(), a.with(0, 1))'],
    ['TypedArray.from and a huge array-like', 'Uint8Array.from({ length: 2 ** 30 })'],
    ['a typed array built from a huge array-like', 'new Int32Array({ length: 2 ** 28 })'],
    ['a subclass allocating in super()', 'class Big extends BigInt64Array { constructor() { super(2 ** 28) } } new Big()'],
    ['the real constructor reached through a prototype', 'const AB = Object.getPrototypeOf(new Uint8Array(1).buffer).constructor; new AB(2 ** 31)'],
    ['TextEncoder over a 100-million-character string', 'new TextEncoder().encode("x".repeat(1e8))'],
    ['transferToImmutable to a bigger size', 'new ArrayBuffer(8).transferToImmutable(2 ** 31)'],
  ];
  for (const [name, code] of bombs) {
    test(name, async () => {
      const a = await engineAttack(repo.root, cell(code));
      assert.match(a.told, REFUSED);
      assertHostHealthy(`bomb: ${name}`, a.health);
      assertRecovered(a);
    });
  }

  test('garbage typed arrays are collected, not refused', async () => {
    // 2 GiB allocated in all, 16 MiB live at once: the budget is for what is held, and a
    // refusal comes only after the dead ones were collected.
    const a = await engineAttack(repo.root, cell('let n = 0; for (let i = 0; i < 128; i++) n += new Uint8Array(2 ** 24).fill(1).length; print("allocated", n)'));
    assert.match(a.told, /allocated 2147483648/);
    assertHostHealthy('2 GiB of garbage typed arrays', a.health);
    assertRecovered(a);
  });

  test('code compiled at run time is held to the size of a cell', async () => {
    // The parser's memory is outside the heap limit: a 20 MB array literal took 340 MB of it.
    const a = await engineAttack(repo.root, cell('new Function("return [" + "1,".repeat(1e7) + "]")()'));
    assert.match(a.told, /RangeError: Function was given 20,000,009 characters of code, more than the 100,000 a cell may have\. Write the code in the cell instead\./);
    assertHostHealthy('Function of 20 MB', a.health);
    assertRecovered(a);
  });

  test('WebAssembly is not reachable', async () => {
    const a = await engineAttack(
      repo.root,
      cell(`
        const seen = [typeof WebAssembly, typeof globalThis.WebAssembly, typeof Compartment];
        let viaFunction; try { viaFunction = Function("return typeof WebAssembly")() } catch (e) { viaFunction = e.name }
        print(seen.join(" "), viaFunction)`),
    );
    assert.match(a.told, /undefined undefined undefined undefined/);
    assertHostHealthy('WebAssembly', a.health);
    assertRecovered(a);
  });
});

describe('attack: allocations V8 answers by aborting the process', linuxOnly, () => {
  // In a worker thread each of these aborted the host (exit 134): one allocation past the
  // heap limit, or past a V8 size check. In the sandbox process they end that process only.
  const crashers: Array<[string, string]> = [
    ['one array of 800 MB', 'new Array(1e8).fill(1.5)'],
    ['an array of 134 million characters', '"ab".repeat(2 ** 26).split("")'],
    ['spreading a 134-million-character string', '[..."ab".repeat(2 ** 26)]'],
    ['JSON.parse of a 20 MB array', 'JSON.parse("[" + "1,".repeat(1e7) + "1]")'],
    ['a heap grown without end', 'const hog = []; while (true) hog.push(new Array(1e6).fill(1.5))'],
  ];
  for (const [name, code] of crashers) {
    test(name, async () => {
      const a = await engineAttack(repo.root, cell(code));
      assert.match(a.told, /The cell ran out of memory \(limit 96 MiB\) and was stopped\. The sandbox was restarted: variables from earlier cells are gone/);
      assertHostHealthy(`V8 abort: ${name}`, a.health);
      assertRecovered(a);
    });
  }
});
