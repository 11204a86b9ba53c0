/**
 * Attacks by fan-out: a cell starting a thousand host calls at once, more calls than a cell
 * may make, a hundred recursive RLMs at once (each a sandbox process and a conversation),
 * recursion two levels deep, and calls left queued when their cell ends.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RlmEvent } from '../../src/core/engine/events';
import { ProviderError } from '../../src/core/providers/types';
import { Sandbox } from '../../src/core/sandbox/sandbox';
import { underWatch } from '../support/hostHealth';
import { assertHostHealthy, assertRecovered, attackTarget, cell, engineAttack, linuxOnly } from './kit';

const repo = attackTarget('fanout');

/** The most recursive RLMs that were running at once, from the run's events. */
function maxRlmsAtOnce(events: RlmEvent[]): number {
  let running = 0;
  let max = 0;
  for (const e of events) {
    if (e.type === 'subcall-started' && e.kind === 'rlm') max = Math.max(max, ++running);
    if (e.type === 'subcall-finished' && e.kind === 'rlm') running--;
  }
  return max;
}

const CHILD_ANSWERS = (): string => '```js\nanswer.content = "child answer"; answer.ready = true\n```';

describe('attack: fan-out', linuxOnly, () => {
  test('Promise.all of 1,000 host calls (grep, read, stat, files) is answered, 8 at a time', async () => {
    const a = await engineAttack(
      repo.root,
      cell(`
        const calls = [];
        for (let i = 0; i < 1000; i++) {
          const f = "src/mod" + (i % 60) + ".ts";
          calls.push([() => repo.grep("TODO", {glob: f}), () => repo.read(f), () => repo.stat(f), () => repo.files("src/*.ts")][i % 4]());
        }
        const results = await Promise.all(calls);
        print("answered", results.length, results.filter((r) => r !== null && r !== undefined).length)`),
    );
    assert.match(a.told, /answered 1000 1000/);
    assertHostHealthy('Promise.all of 1,000 repo calls', a.health);
    assertRecovered(a);
  });

  test('more calls than a cell may make: the 1,001st is refused with a message', async () => {
    const a = await engineAttack(repo.root, cell('const all = []; for (let i = 0; i < 1500; i++) all.push(repo.stat("README.md")); await Promise.all(all)'));
    assert.match(a.told, /RangeError: repo\.stat: this cell has made 1,000 sandbox calls, the most one cell may make\. Continue in the next cell/);
    assertHostHealthy('1,500 calls in one cell', a.health);
    assertRecovered(a);
  });

  test('100 parallel rlm() calls run 2 at a time, each in its own sandbox, and all answer', async () => {
    const a = await engineAttack(
      repo.root,
      cell('const answers = await Promise.all(Array.from({length: 100}, (_, i) => rlm("part " + i, {files: ["src/mod" + (i % 60) + ".ts"]}))); print("answers", answers.filter((x) => x === "child answer").length)'),
      { childScript: CHILD_ANSWERS },
    );
    assert.match(a.told, /answers 100/);
    assert.equal(maxRlmsAtOnce(a.events), 2, 'recursive RLMs at once');
    // The root's sandbox and at most two recursive ones.
    assert.ok(a.health.maxSandboxes <= 3, `${a.health.maxSandboxes} sandbox processes at once`);
    assertHostHealthy('100 parallel rlm()', a.health);
    assertRecovered(a);
  });

  test('recursion two levels deep, each level fanning out, does not deadlock', async () => {
    // Parents hold their level's slots while they wait for children; the children's level
    // has slots of its own.
    const a = await engineAttack(
      repo.root,
      cell('const r = await Promise.all([1, 2, 3, 4].map((i) => rlm("level one " + i))); print(r.join(" | "))'),
      {
        limits: { maxDepth: 2 },
        childScript: (ctx) =>
          ctx.question.startsWith('level one')
            ? ctx.turn === 0
              ? '```js\nconst r = await Promise.all([1, 2, 3].map((j) => rlm("level two " + j))); answer.content = "one:" + r.length; answer.ready = true\n```'
              : '```js\nanswer.ready = true\n```'
            : CHILD_ANSWERS(),
      },
    );
    assert.match(a.told, /one:3 \| one:3 \| one:3 \| one:3/);
    // The root's, and two per level over two levels.
    assert.ok(a.health.maxSandboxes <= 5, `${a.health.maxSandboxes} sandbox processes at once`);
    assertHostHealthy('rlm() two levels deep, 4 × 3', a.health);
    assertRecovered(a);
  });

  test('rlm() calls left waiting when their cell ends never start', async () => {
    const a = await engineAttack(repo.root, cell('for (let i = 0; i < 20; i++) rlm("never awaited " + i); print("cell ends")'), {
      // A child model that answers only when cancelled: only the cell's end stops it.
      childScript: ({ request }) =>
        new Promise((_, reject) => request.signal?.addEventListener('abort', () => reject(new ProviderError('cancelled', 'The request was cancelled.')), { once: true })),
    });
    assert.match(a.told, /cell ends[\s\S]*20 sandbox calls were still running when the cell ended and were dropped/);
    assert.ok(maxRlmsAtOnce(a.events) <= 2);
    const started = a.events.filter((e) => e.type === 'subcall-started' && e.kind === 'rlm').length;
    assert.ok(started <= 2, `${started} recursive RLMs started after their cell ended`);
    assertHostHealthy('20 unawaited rlm()', a.health);
    assertRecovered(a);
  });
});

describe('attack: host calls queued on the host', linuxOnly, () => {
  test('a cell runs at most 8 host calls at once, and those still queued when it ends are dropped', async () => {
    let started = 0;
    let running = 0;
    let maxRunning = 0;
    const sb = new Sandbox({
      repoName: 'attack',
      handleCall: (_name, _args, signal) =>
        new Promise((_, reject) => {
          started++;
          maxRunning = Math.max(maxRunning, ++running);
          signal.addEventListener('abort', () => {
            running--;
            reject(new Error('cell ended'));
          });
        }),
    });
    try {
      const { result, health } = await underWatch(async () => {
        const r = await sb.runCell('for (let i = 0; i < 500; i++) llm("q" + i); print("started 500")');
        return { r, next: await sb.runCell('print("next cell works", 1 + 1)') };
      });
      assert.match(result.r.output, /started 500\n[\s\S]*500 sandbox calls were still running when the cell ended and were dropped/);
      assert.equal(maxRunning, 8, 'host calls running at once');
      assert.equal(started, 8, 'the 492 still queued never reached the handler');
      assert.equal(running, 0, 'the running ones were aborted');
      assert.equal(result.next.output, 'next cell works 2\n');
      assertHostHealthy('500 unawaited llm() calls', health);
    } finally {
      await sb.dispose();
    }
  });
});
