import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDefaults } from '../../src/core/util/withDefaults';
import { RunBudget } from '../../src/core/engine/limits';

test('an explicitly undefined option keeps the default', () => {
  assert.deepEqual(withDefaults({ a: 1, b: 2 }, { a: undefined, b: 3 }), { a: 1, b: 3 });
});

test('unset CLI limits keep their defaults in the run budget', () => {
  const budget = new RunBudget({ maxIterations: undefined, maxSubCalls: 7 });
  assert.equal(budget.limits.maxIterations, 30);
  assert.equal(budget.limits.maxSubCalls, 7);
});
