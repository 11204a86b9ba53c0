/**
 * scrubHostPaths: the host's absolute paths out of what a model reads, relative paths kept;
 * and the sandbox applying it to every message that reaches the model.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Sandbox } from '../../src/core/sandbox/sandbox';
import { scrubHostPaths } from '../../src/core/util/hostPaths';

describe('scrubHostPaths', () => {
  const cases: Array<[string, string]> = [
    ["ENOENT: no such file or directory, open '/home/alice/proj/src/a.ts'", "ENOENT: no such file or directory, open '…/a.ts'"],
    ['spawn C:\\Users\\bob\\AppData\\rg.exe ENOENT', 'spawn …/rg.exe ENOENT'],
    ['share \\\\server\\share\\dir\\file.txt', 'share …/file.txt'],
    ['at f (file:///home/u/x/y.js:3:5)', 'at f (…/y.js:3:5)'],
    ['dir /opt/app/dist/ is gone', 'dir …/dist/ is gone'],
  ];
  for (const [input, output] of cases) test(input, () => assert.equal(scrubHostPaths(input), output));

  test('relative paths, URLs, fractions and one-segment names are left alone', () => {
    const text = 'src/a.ts and lib/b.js, 1/2, http://example.com/a/b, a pattern /a+/ and /etc';
    assert.equal(scrubHostPaths(text), text);
  });

  test('linear on text built to backtrack', () => {
    const t0 = performance.now();
    scrubHostPaths('/a'.repeat(200_000) + ' ' + 'a/'.repeat(200_000) + '/'.repeat(200_000));
    assert.ok(performance.now() - t0 < 1_000);
  });
});

describe('the sandbox scrubs what reaches the model', () => {
  test('a host-call error, a cell error and an answer problem', async () => {
    const sb = new Sandbox({
      repoName: 'demo',
      handleCall: async () => {
        throw new Error("EACCES: permission denied, open '/home/alice/.ssh/id_rsa'");
      },
    });
    try {
      const call = await sb.runCell('try { await repo.read("x") } catch (e) { print(e.message) }');
      assert.equal(call.output, "EACCES: permission denied, open '…/id_rsa'\n");
      const thrown = await sb.runCell('throw new Error("failed in /srv/build/tools/run.sh")');
      assert.equal(thrown.error, 'Error: failed in …/run.sh');
      const problem = await sb.runCell('answer.content = { "/home/alice/notes/todo.md": { get v() { return 1 } } }');
      assert.match(problem.answerProblem ?? '', /^answer\.content\["…\/todo\.md"\]\.v is a getter/);
    } finally {
      await sb.dispose();
    }
  });
});
