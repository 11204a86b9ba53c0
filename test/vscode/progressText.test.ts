/**
 * Progress lines from engine events, as the chat view shows them: events from a real run
 * (real engine, sandbox and repo; scripted model) fed to the narrator.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runRlm } from '../../src/core/engine/rlm';
import type { RlmEvent } from '../../src/core/engine/events';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { ProgressNarrator, formatTokens, usageText } from '../../src/vscode/progressText';
import { ScriptedProvider, js } from '../support/scriptedProvider';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rlm-progress-'));
  await mkdir(path.join(dir, 'src'));
  for (let i = 0; i < 12; i++) await writeFile(path.join(dir, 'src', `m${i}.ts`), `export function createServer${i}() {}\n`);
});
after(() => rm(dir, { recursive: true, force: true }));

async function narrate(script: ConstructorParameters<typeof ScriptedProvider>[0], opts: { callLinesPerStep?: number } = {}) {
  const events: RlmEvent[] = [];
  await runRlm({ repo: new WorkspaceRepo(dir, { name: 'demo' }), query: 'q', root: { provider: new ScriptedProvider(script, () => 'ok') }, prices: { 'scripted-root': { input: 1, output: 2 } }, onEvent: (e) => events.push(e) });
  const narrator = new ProgressNarrator({ concurrency: 8, ...opts });
  const lines = events.flatMap((e) => narrator.handle(e));
  return { lines, narrator };
}

describe('progress lines', () => {
  test('one line per thing the code did, then the answer with tokens and cost', async () => {
    const { lines, narrator } = await narrate(({ turn }) => {
      if (turn === 0) return js('const hits = await repo.grep("createServer"); const text = await repo.read(hits[0].path, {start: 1, end: 1})');
      if (turn === 1) return js('const notes = await llm.batch(hits.slice(0, 3).map((h) => "summarise " + h.path))');
      return js('answer.content = "done"; answer.ready = true');
    });
    assert.equal(lines[0], 'Exploring demo with scripted-root…');
    assert.equal(lines[1], 'grep `createServer` → 12 hits in 12 files');
    assert.equal(lines[2], 'read src/m0.ts:1-1');
    assert.match(lines[3]!, /^Turn 2 of 30 · [\d,.k]+ tokens · \$0\.\d{4}$/);
    assert.equal(lines[4], 'Reading with 3 sub-calls, 3 at a time');
    assert.match(lines[5]!, /^3 sub-calls done · [\d,.k]+ tokens · \$/);
    assert.match(lines[6]!, /^Turn 3 of 30 · /);
    assert.match(lines.at(-1)!, /^Answer ready · [\d,.k]+ tokens · \$/);
    assert.equal(narrator.status.step, 3);
    assert.equal(narrator.status.subCallsDone, 3);
    assert.equal(narrator.status.subCallsRunning, 0);
    assert.ok(narrator.status.tokens > 0);
  });

  test('a step with many calls shows the first few and a count', async () => {
    const { lines } = await narrate(
      ({ turn }) => (turn === 0 ? js('for (let i = 0; i < 12; i++) await repo.read(`src/m${i}.ts`)') : js('answer.content = "ok"; answer.ready = true')),
      { callLinesPerStep: 4 },
    );
    assert.deepEqual(lines.slice(1, 6), ['read src/m0.ts', 'read src/m1.ts', 'read src/m2.ts', 'read src/m3.ts', '… and 8 more calls']);
  });

  test('a sub-RLM\'s lines say which sub-question they belong to', async () => {
    const { lines } = await narrate(({ question }) =>
      question === 'inner' ? js('await repo.files("**/*.ts"); answer.content = "i"; answer.ready = true') : js('answer.content = await rlm("inner"); answer.ready = true'),
    );
    assert.ok(lines.includes('Sub-question 1: a recursive RLM starts'), lines.join('\n'));
    assert.ok(lines.includes('Sub-question 1: list **/*.ts → 12 files'));
    assert.ok(lines.includes('Sub-question 1: done'));
  });

  test('retries and limits are said plainly', () => {
    const narrator = new ProgressNarrator();
    const base = { runId: 'r', nodeId: 1, parentId: null, depth: 0 };
    assert.deepEqual(narrator.handle({ ...base, type: 'retry', attempt: 2, delayMs: 4_200, reason: 'rate limited' }), ['The model is rate limited or busy; retrying in 4 s (attempt 2)']);
    assert.deepEqual(narrator.handle({ ...base, type: 'retry', attempt: 1, delayMs: 900, reason: 'x', subcallId: 7 }), ['A sub-call is rate limited or busy; retrying in 1 s (attempt 1)']);
    assert.deepEqual(narrator.handle({ ...base, type: 'limit-hit', limit: 'tokens', message: 'The run was stopped by the token limit.' }), ['Stopped: The run was stopped by the token limit.']);
  });

  test('token and cost figures read short', () => {
    assert.equal(formatTokens(9_999), '9,999');
    assert.equal(formatTokens(45_210), '45.2k');
    assert.equal(formatTokens(2_345_678), '2.35M');
    assert.equal(usageText({ inputTokens: 100, outputTokens: 20, costUsd: 0.004, estimated: true }), '~120 tokens · $0.0040');
    assert.equal(usageText({ inputTokens: 100, outputTokens: 20, costUsd: null, estimated: false }), '120 tokens');
  });
});
