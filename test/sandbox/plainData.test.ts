/**
 * The encoder of host-call arguments (plainData.ts), on its own: what it lets through, what
 * it refuses and how it names it, and how it counts.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeArguments, encodeValue } from '../../src/core/sandbox/plainData';

const enc = (args: unknown[], max = 1_000_000) => encodeArguments(args, ['prompt', 'options'], max);
const ok = (args: unknown[], max?: number) => {
  const r = enc(args, max);
  assert.ok(r.ok, r.ok ? '' : r.message);
  return r;
};
const refused = (args: unknown[], max?: number) => {
  const r = enc(args, max);
  assert.ok(!r.ok, 'expected a refusal');
  return r;
};

describe('plainData: what crosses', () => {
  test('plain data comes out as the JSON JSON.stringify writes', () => {
    const value = { s: 'é"\n', n: -0, f: 1.5, b: true, z: null, a: [1, 'two', [3]], o: { deep: { er: 1 } } };
    const r = ok(['x', value]);
    assert.deepEqual(JSON.parse(r.json), ['x', JSON.parse(JSON.stringify(value))]);
    assert.equal(r.bytes, Buffer.byteLength(r.json));
  });

  test('undefined: a top-level argument is kept as such, inside arrays it is null, in objects it is left out', () => {
    const r = ok([undefined, { a: undefined, b: [undefined, 1] }]);
    assert.deepEqual(r.undefinedAt, [0]);
    assert.equal(r.json, '[null,{"b":[null,1]}]');
  });

  test('holes, non-enumerable and symbol-keyed properties are left out as JSON leaves them', () => {
    const o: Record<string | symbol, unknown> = { a: 1 };
    Object.defineProperty(o, 'hidden', { value: 2, enumerable: false });
    o[Symbol('s')] = 3;
    // eslint-disable-next-line no-sparse-arrays
    assert.equal(ok([[1, , 3], o]).json, '[[1,null,3],{"a":1}]');
  });

  test('a value referred to twice is written twice (not a cycle) and counted twice', () => {
    const shared = 'x'.repeat(100);
    const r = ok([[shared, shared]]);
    assert.equal(r.bytes, '[["",""]]'.length + 200);
  });

  test('null-prototype objects are plain', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.k = 'v';
    assert.equal(ok([o]).json, '[{"k":"v"}]');
  });
});

describe('plainData: what is refused, and how it is named', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['a Map', new Map([[1, 2]]), /^prompt is a Map, which cannot be sent to the host: only plain data can: .* Object\.fromEntries\(map\) or \[\.\.\.map\]$/],
    ['a Set', new Set([1]), /^prompt is a Set, .*\[\.\.\.set\]$/],
    ['an Error', new Error('x'), /^prompt is an Error, .*send error\.message instead$/],
    ['a typed array', new Float32Array(2), /^prompt is a Float32Array, .*Array\.from\(bytes\)/],
    ['an ArrayBuffer', new ArrayBuffer(2), /^prompt is an ArrayBuffer/],
    ['a Date', new Date(0), /^prompt is a Date/],
    ['a RegExp', /x/, /^prompt is a RegExp/],
    ['a Promise', Promise.resolve(1), /^prompt is a Promise \(await it first\)/],
    ['a boxed string', Object('s'), /^prompt is a boxed primitive/],
    ['a function', () => 1, /^prompt is a function, which cannot be sent/],
    ['a BigInt', 1n, /^prompt is a BigInt, .*Number\(\) or String\(\)$/],
    ['a symbol', Symbol('s'), /^prompt is a symbol/],
    ['NaN', NaN, /^prompt is NaN, which cannot be sent to the host: only finite numbers can be sent$/],
    ['Infinity', -Infinity, /^prompt is -Infinity/],
    ['a class instance', new (class Widget {})(), /^prompt is an instance of Widget/],
    ['an array with another prototype', Object.setPrototypeOf([1], null), /^prompt is an array with a changed prototype/],
    ['a proxy of a plain object', new Proxy({}, {}), /^prompt is a Proxy/],
  ];
  for (const [name, value, message] of cases) {
    test(name, () => {
      const r = refused([value]);
      assert.ok(!r.ok && !r.tooBig);
      assert.match(r.message, message);
    });
  }

  test('a getter is never called, on objects or array elements', () => {
    let calls = 0;
    const o = {
      get lie() {
        calls++;
        return 'x';
      },
    };
    const a: unknown[] = [];
    Object.defineProperty(a, 0, { get: () => calls++, enumerable: true });
    assert.match((refused([{ nested: o }]) as { message: string }).message, /^prompt\.nested\.lie is a getter, .*\{\.\.\.object\}$/);
    assert.match((refused([[1, a]]) as { message: string }).message, /^prompt\[1\]\[0\] is a getter, .*\[\.\.\.array\]$/);
    assert.equal(calls, 0);
  });

  test('a proxy is refused before any trap runs', () => {
    let traps = 0;
    const handler = new Proxy({}, { get: () => () => { traps++; throw new Error('trap ran'); } });
    refused([new Proxy([], handler)]);
    assert.equal(traps, 0);
  });

  test('keys that are not identifiers are quoted in the path', () => {
    assert.match((refused([{ 'a b': { c: new Map() } }]) as { message: string }).message, /^prompt\["a b"\]\.c is a Map/);
  });

  test('a cycle, and nesting past 64 levels', () => {
    const o: Record<string, unknown> = {};
    o.me = o;
    assert.match((refused([o]) as { message: string }).message, /^prompt\.me refers back to an object that contains it \(a cycle\)/);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 64; i++) deep = [deep];
    ok([deep]);
    assert.match((refused([[deep]]) as { message: string }).message, /^prompt is nested more than 64 levels deep/);
  });
});

describe('plainData: counting', () => {
  test('bytes are UTF-8 bytes of the JSON, and the cap is exact', () => {
    const r = ok(['é€😀']);
    assert.equal(r.bytes, Buffer.byteLength('["é€😀"]'));
    ok(['é€😀'], r.bytes);
    const over = refused(['é€😀'], r.bytes - 1);
    assert.ok(!over.ok && over.tooBig);
  });

  test('the walk stops at the cap: a sparse array of 4 billion holes costs the cap, not its length', () => {
    const sparse: unknown[] = [];
    sparse.length = 2 ** 32 - 1;
    const r = refused([sparse], 10_000);
    assert.ok(!r.ok && r.tooBig);
  });

  test('a string longer than the room is refused before it is copied', () => {
    const r = refused(['x'.repeat(2_000)], 1_000);
    assert.ok(!r.ok && r.tooBig);
  });

  test('encodeValue: one value, named as given', () => {
    assert.deepEqual(encodeValue({ a: [1] }, 'answer.content', 100), { ok: true, json: '{"a":[1]}' });
    const r = encodeValue({ m: new Map() }, 'answer.content', 100);
    assert.ok(!r.ok && /^answer\.content\.m is a Map/.test(r.message));
  });
});
