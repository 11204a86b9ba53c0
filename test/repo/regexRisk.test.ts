import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exponentialBacktracking } from '../../src/core/repo/regexRisk';
import { WorkspaceRepo } from '../../src/core/repo';
import { makeTempRepo } from '../support/tempRepo';

describe('grep refuses exponentially backtracking patterns', () => {
  for (const [pattern, part] of [
    ['(a+)+b', '(a+)+'],
    ['(?:.|.)*\\u0001|\\bSandbox\\b', '(?:.|.)*'],
    ['^(\\w+\\s?)*$', '(\\w+\\s?)*'],
    ['((ab)*c)+', '((ab)*c)+'],
    ['(x|y){2,}', '(x|y){2,}'],
    ['(a*){1,100}', '(a*){1,100}'],
  ] as const) {
    it(`refuses ${pattern}`, () => assert.equal(exponentialBacktracking(pattern), part));
  }
  for (const pattern of ['(export )?function', 'foo|bar', '(async )?function\\s+\\w+', '[(|]+', '\\(+\\)*', 'a{2}', '(a|b)', '(?:x){1,3}', '(\\w+)\\s*=', 'import\\s+\\{[^}]*\\}', '(a+)?b']) {
    it(`accepts ${pattern}`, () => assert.equal(exponentialBacktracking(pattern), null));
  }

  it('repo.grep refuses such a pattern with advice, before any line is matched', async () => {
    const tmp = makeTempRepo({ 'README.md': 'The Sandbox class runs cells in a worker thread, see src.\n' });
    try {
      const repo = new WorkspaceRepo(tmp.root);
      await assert.rejects(repo.grep('(?:.|.)*\\u0001|\\bSandbox\\b'), /repeats a group that itself repeats or alternates .*Rewrite it without the nested repetition/);
      assert.deepEqual(repo.readLog, []);
      assert.equal((await repo.grep('\\bSandbox\\b')).length, 1);
    } finally {
      tmp.cleanup();
    }
  });
});
