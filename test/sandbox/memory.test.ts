/**
 * How a run's memory bound is shared out (memory.ts): the figures every sandbox limit
 * derives from, and the message when the bound cannot hold the sandboxes the limits allow.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MEMORY_PLAN, SANDBOX_FIXED_MB, planMemory } from '../../src/core/sandbox/memory';
import { SANDBOX_DEFAULTS } from '../../src/core/sandbox/sandbox';

const MiB = 1024 * 1024;

test('the default bound of 512 MiB: a quarter for the host, the root REPL two shares, two recursive REPLs one each', () => {
  const p = DEFAULT_MEMORY_PLAN;
  assert.equal(p.memoryMb, 512);
  assert.equal(p.hostMb, 128);
  assert.equal(p.sandboxesAtOnce, 3);
  // (512 - 128) / 4 shares = 96 MiB a share; the root's 192 less the fixed 32 leaves 160.
  assert.deepEqual(p.root, { heapMb: 96, arrayBufferMb: 48, semiSpaceMb: 5, maxCellBytes: 10 * MiB, maxCallBytes: 5 * MiB, maxReturnedBytes: 192 * MiB });
  assert.deepEqual(p.child, { heapMb: 38, arrayBufferMb: 19, semiSpaceMb: 2, maxCellBytes: 10 * MiB, maxCallBytes: 5 * MiB, maxReturnedBytes: 76 * MiB });
  // Everything the processes may hold, with the host's quarter, stays within the bound.
  const process = (s: typeof p.root) => SANDBOX_FIXED_MB + s.heapMb + s.arrayBufferMb + 3 * s.semiSpaceMb;
  assert.ok(p.hostMb + process(p.root) + 2 * process(p.child) <= 512);
});

test('a standalone sandbox takes the root share of the default plan', () => {
  assert.equal(SANDBOX_DEFAULTS.heapMb, DEFAULT_MEMORY_PLAN.root.heapMb);
  assert.equal(SANDBOX_DEFAULTS.arrayBufferMb, DEFAULT_MEMORY_PLAN.root.arrayBufferMb);
  assert.equal(SANDBOX_DEFAULTS.maxCellBytes, DEFAULT_MEMORY_PLAN.root.maxCellBytes);
  assert.equal(SANDBOX_DEFAULTS.maxReturnedBytes, 2 * DEFAULT_MEMORY_PLAN.root.heapMb * MiB);
});

test('deeper recursion and more recursive REPLs at once shrink every share; no recursion gives the root it all', () => {
  const deep = planMemory({ memoryMb: 512, maxDepth: 2, rlmConcurrency: 2 });
  assert.equal(deep.sandboxesAtOnce, 5);
  assert.ok(deep.child.heapMb < DEFAULT_MEMORY_PLAN.child.heapMb);
  const flat = planMemory({ memoryMb: 512, maxDepth: 0, rlmConcurrency: 2 });
  assert.equal(flat.sandboxesAtOnce, 1);
  assert.equal(flat.root.heapMb, Math.floor((384 - SANDBOX_FIXED_MB) * 0.6));
  const big = planMemory({ memoryMb: 2048, maxDepth: 1, rlmConcurrency: 2 });
  assert.equal(big.root.heapMb, Math.floor((768 - SANDBOX_FIXED_MB) * 0.6));
});

test('a bound too small for the sandboxes at once says what to give', () => {
  assert.throws(
    () => planMemory({ memoryMb: 512, maxDepth: 3, rlmConcurrency: 2 }),
    /^RangeError: A memory bound of 512 MiB is too small for 7 sandboxes at once \(the root REPL and 2 recursive REPLs per level over 3 levels\)\. Give at least 683 MiB \(--max-memory 683\), or lower --max-depth\.$/,
  );
  // The figure it names is enough.
  planMemory({ memoryMb: 683, maxDepth: 3, rlmConcurrency: 2 });
  assert.throws(() => planMemory({ memoryMb: 682, maxDepth: 3, rlmConcurrency: 2 }), RangeError);
});
