/**
 * Attacks on what the model learns about the host: the host's absolute paths must not reach
 * it through error messages (a host function's, the sandbox's start-up, the guest's own
 * stack traces). And a compromised sandbox that floods the pipe must not make the host buffer it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runRlm } from '../../src/core/engine/rlm';
import { hostFunction, pathParam } from '../../src/core/sandbox/api';
import { Sandbox } from '../../src/core/sandbox/sandbox';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { ScriptedProvider } from '../support/scriptedProvider';
import { underWatch } from '../support/hostHealth';
import { assertHostHealthy, assertRecovered, attackTarget, cell, engineAttack, linuxOnly } from './kit';

const repo = attackTarget('paths');

const dist = path.resolve(__dirname, '..', '..', 'dist');
/** Absolute paths of this host that must never show in what the model reads. */
function hostPaths(): string[] {
  return [os.homedir(), os.tmpdir(), process.cwd(), dist, path.dirname(process.execPath), repo.root].filter((p) => p.length > 1);
}
function assertNoHostPaths(text: string): void {
  for (const p of hostPaths()) assert.ok(!text.includes(p), `the model was shown the host path ${p}:\n${text.slice(0, 3_000)}`);
  assert.doesNotMatch(text, /node:internal|\/node_modules\/|sandbox-worker\.js:\d/);
}

describe('attack: host paths in messages', linuxOnly, () => {
  test('a host function that fails with an absolute path (ENOENT)', async () => {
    const secretDir = path.join(os.tmpdir(), `rlm-secret-${process.pid}`);
    const openFile = hostFunction({
      name: 'debug.open',
      signature: 'await debug.open(name)',
      doc: 'reads a file the host keeps',
      params: [['name', pathParam]],
      handler: ([name]) => fs.promises.readFile(path.join(secretDir, name), 'utf8'),
    });
    const a = await engineAttack(repo.root, cell('try { await debug.open("missing.txt") } catch (e) { print(e.name, e.message) }'), { hostFunctions: [openFile] });
    assert.match(a.told, /Error ENOENT: no such file or directory, open '…\/missing\.txt'/);
    assertNoHostPaths(a.told);
    assertHostHealthy('ENOENT with a host path', a.health);
    assertRecovered(a);
  });

  test('stack traces the guest can reach', async () => {
    const a = await engineAttack(
      repo.root,
      cell(`
        const stacks = [];
        try { null.x } catch (e) { stacks.push(String(e.stack)) }
        stacks.push(String(new Error("here").stack));
        try { await llm(new Map()) } catch (e) { stacks.push(String(e.stack), e.message) }
        try { await repo.read(42) } catch (e) { stacks.push(String(e.stack), e.message) }
        try { const o = {}; Error.captureStackTrace(o); stacks.push(String(o.stack)) } catch (e) { stacks.push(e.message) }
        try { Error.prepareStackTrace = (e, frames) => frames.map((f) => f.getFileName()).join(","); stacks.push(String(new Error("x").stack)) } catch (e) { stacks.push(e.message) }
        try { (function f() { f() })() } catch (e) { stacks.push(String(e.stack)) }
        print(stacks.join("\\n---\\n"))`),
    );
    assertNoHostPaths(a.told);
    assertHostHealthy('stack traces', a.health);
    assertRecovered(a);
  });

  test('an uncaught error thrown from deep inside the sandbox', async () => {
    const a = await engineAttack(repo.root, cell('await Promise.reject(new TypeError("deep")); '));
    assert.match(a.told, /Error: TypeError: deep/);
    assertNoHostPaths(a.told);
    assertHostHealthy('uncaught error', a.health);
    assertRecovered(a);
  });

  test('a sandbox that cannot start: the message names no host directory', async () => {
    const missing = path.join(os.tmpdir(), `rlm-secret-${process.pid}`, 'missing-worker.js');
    const provider = new ScriptedProvider(() => cell('print(1)'));
    const error = await runRlm({ repo: new WorkspaceRepo(repo.root), query: 'attack', root: { provider }, sandbox: { workerPath: missing } }).then(
      () => null,
      (e: unknown) => e as Error,
    );
    assert.ok(error, 'the run failed');
    assert.match(error.message, /^The sandbox process failed to start \(exit code 1: Error: Cannot find module '…\/missing-worker\.js'\)\.$/);
    assertNoHostPaths(error.message);
  });

  test('a sandbox that fails as it loads, with its own path in the error', async () => {
    const sb = new Sandbox({ repoName: 'x', workerPath: path.join(__dirname, '..', 'support', 'workers', 'startupThrow.js') });
    try {
      const error = await sb.runCell('1').then(
        () => null,
        (e: unknown) => e as Error,
      );
      assert.match(error?.message ?? '', /^The sandbox process failed to start \(exit code 1: Error: cannot load …\/startupThrow\.js from …\/[^/]+\)\.$/);
      assertNoHostPaths(error!.message);
    } finally {
      await sb.dispose();
    }
  });
});

describe('attack: a compromised sandbox', linuxOnly, () => {
  test('64 MiB written without a newline: the host stops reading at its line limit', async () => {
    const sb = new Sandbox({ repoName: 'x', workerPath: path.join(__dirname, '..', 'support', 'workers', 'rogue.js') });
    try {
      const { result, health } = await underWatch(() => sb.runCell('flood'));
      assert.match(result.error ?? '', /^The sandbox sent a message of more than \d+ bytes\. The sandbox was restarted/);
      assert.equal(result.reset, 'crashed');
      // The line limit is about 3 MiB (a cell's result); the host held no more than that.
      assert.ok(health.arrayBufferGrowthMiB < 16, `the host buffered ${health.arrayBufferGrowthMiB.toFixed(0)} MiB`);
      assertHostHealthy('pipe flood from a compromised sandbox', health);
    } finally {
      await sb.dispose();
    }
  });
});
