/**
 * The RLM loop with a real repository on disk and the real sandbox; only the model is
 * scripted. Covers the happy path, citations, limits and model misbehaviour.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runRlm, type RlmRunOptions } from '../../src/core/engine/rlm';
import type { RlmEvent } from '../../src/core/engine/events';
import { FINAL_TURN_NOTICE, SUBCALL_BUDGET_NOTICE } from '../../src/core/engine/prompts';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { ScriptedProvider, js, type RootScript, type SubScript } from '../support/scriptedProvider';
import { ManualClock } from '../support/manualClock';
import { ProviderError } from '../../src/core/providers/types';

/** A model request that never answers until the run aborts it (a slow model). */
function untilAborted(signal: AbortSignal): Promise<string> {
  return new Promise((_, reject) => {
    const fail = () => reject(new ProviderError('cancelled', 'The request was cancelled.'));
    if (signal.aborted) fail();
    else signal.addEventListener('abort', fail, { once: true });
  });
}

let dir: string;
let outside: string;

before(async () => {
  outside = await mkdtemp(path.join(tmpdir(), 'rlm-engine-'));
  dir = path.join(outside, 'project');
  await mkdir(path.join(dir, 'src', 'util'), { recursive: true });
  await writeFile(path.join(dir, 'src', 'config.ts'), ['import { env } from "./util/env";', '', 'export function loadConfig() {', '  return { port: Number(env("PORT") ?? 8080) };', '}', ''].join('\n'));
  await writeFile(path.join(dir, 'src', 'util', 'env.ts'), ['// PLANTED_CONTENT_7f3a: only code may see this', 'export function env(name: string) {', '  return process.env[name];', '}', ''].join('\n'));
  await writeFile(path.join(dir, 'README.md'), '# demo\n');
  await writeFile(path.join(outside, 'secret.txt'), 'OUTSIDE_SECRET_91b2\n');
});

after(() => rm(outside, { recursive: true, force: true }));

async function run(root: RootScript, opts: Partial<RlmRunOptions> & { subScript?: SubScript; subDelayMs?: number; rootDelayMs?: number } = {}) {
  const provider = new ScriptedProvider(root, opts.subScript, { subDelayMs: opts.subDelayMs, rootDelayMs: opts.rootDelayMs });
  const events: RlmEvent[] = [];
  const repo = new WorkspaceRepo(dir);
  const result = await runRlm({
    repo,
    query: 'Where does the port come from?',
    root: { provider },
    onEvent: (e) => events.push(e),
    ...opts,
  });
  return { result, provider, events, repo };
}

describe('engine: a normal run', () => {
  test('explores with grep and read, answers, and cites exactly the lines it read', async () => {
    const { result, provider, events } = await run(({ turn }) => {
      if (turn === 0) return js('const hits = await repo.grep("PORT"); print(hits)');
      if (turn === 1) return js('const text = await repo.read("src/config.ts", {start: 3, end: 5}); print(text)');
      return js('answer.content = "The port comes from the PORT variable (src/config.ts:4), default 8080."; answer.ready = true');
    });
    assert.equal(result.ready, true);
    assert.equal(result.stoppedBy, null);
    assert.equal(result.answer, 'The port comes from the PORT variable (src/config.ts:4), default 8080.');
    assert.deepEqual(result.citations, [{ path: 'src/config.ts', ranges: [{ start: 3, end: 5 }], via: ['grep', 'read'], unsaved: false }]);
    assert.equal(result.trace.root.steps.length, 3);
    assert.deepEqual(result.trace.root.steps.map((s) => s.filesRead.map((c) => `${c.path}:${c.ranges.map((r) => `${r.start}-${r.end}`)}`)), [['src/config.ts:4-4'], ['src/config.ts:3-5'], []]);
    assert.match(provider.rootRequests[1]!.messages.at(-1)!.content, /path: 'src\/config\.ts'[\s\S]*line: 4/);
    assert.match(provider.rootRequests[2]!.messages.at(-1)!.content, /export function loadConfig\(\)/);
    const types = events.map((e) => e.type);
    assert.equal(types.filter((t) => t === 'step-started').length, 3);
    assert.ok(types.includes('answer-ready'));
    assert.deepEqual(result.usage.modelCalls, 3);
    assert.ok(result.usage.inputTokens > 0 && result.usage.outputTokens > 0);
    // The trace is plain data.
    assert.deepEqual(JSON.parse(JSON.stringify(result.trace)).root.steps[1].cells[0].code, 'const text = await repo.read("src/config.ts", {start: 3, end: 5}); print(text)');
  });

  test('the root model is given a description of the repository, never its contents', async () => {
    const { provider } = await run(() => js('answer.content = "x"; answer.ready = true'));
    const first = provider.rootRequests[0]!.messages.map((m) => m.content).join('\n');
    assert.match(first, /Question: Where does the port come from\?/);
    assert.match(first, /Files: 3\b/);
    assert.match(first, /TypeScript/);
    assert.match(first, /await repo\.grep\(pattern/, 'the system prompt carries the API reference');
    assert.doesNotMatch(first, /PLANTED_CONTENT_7f3a/);
  });

  test('variables persist across turns', async () => {
    const { result } = await run(({ turn }) => {
      if (turn === 0) return js('const files = await repo.files("**/*.ts")');
      return js('answer.content = files.join(", "); answer.ready = true');
    });
    assert.equal(result.answer, 'src/config.ts, src/util/env.ts');
  });

  test('llm.batch runs sub-calls in parallel up to the concurrency limit, in order', async () => {
    const { result, provider, events } = await run(
      ({ turn }) => {
        if (turn === 0) return js('const replies = await llm.batch(["a", "bb", "ccc", "dddd", "eeeee", "ffffff", "g"]); print(replies.join("|"))');
        return js('answer.content = "done"; answer.ready = true');
      },
      { subScript: (p) => `len=${p.length}`, subDelayMs: 30, limits: { subCallConcurrency: 3 } },
    );
    assert.equal(result.usage.subCalls, 7);
    assert.equal(provider.maxInFlight, 3);
    assert.match(provider.rootRequests[1]!.messages.at(-1)!.content, /len=1\|len=2\|len=3\|len=4\|len=5\|len=6\|len=1/);
    assert.equal(events.filter((e) => e.type === 'subcall-started').length, 7);
    assert.equal(events.filter((e) => e.type === 'subcall-finished' && e.ok).length, 7);
    assert.equal(result.trace.root.steps[0]!.subCalls.length, 7);
  });

  test('progress reports only sub-calls that hold a slot, and a big batch raises no listener warning', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const { result, events } = await run(
        ({ turn }) => (turn === 0 ? js('print((await llm.batch(Array.from({length: 120}, (_, i) => "p" + i))).length)') : js('answer.content = "ok"; answer.ready = true')),
        { subDelayMs: 2, limits: { subCallConcurrency: 4 } },
      );
      assert.equal(result.usage.subCalls, 120);
      let running = 0;
      let maxRunning = 0;
      for (const e of events) {
        if (e.type === 'subcall-started') maxRunning = Math.max(maxRunning, ++running);
        if (e.type === 'subcall-finished') running--;
      }
      assert.equal(maxRunning, 4);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings.filter((w) => w === 'MaxListenersExceededWarning'), []);
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('rlm() runs a recursive RLM over a subset of files, with its own REPL', async () => {
    const { result, provider } = await run(({ turn, question }) => {
      if (question === 'What does env do?') {
        if (turn === 0) return js('const all = await repo.files(); print(all.join(","))');
        return js('answer.content = "env reads " + (await repo.read("src/util/env.ts", {start: 3, end: 3})).trim(); answer.ready = true');
      }
      if (turn === 0) return js('const sub = await rlm("What does env do?", {files: ["src/util/**"]}); print(sub)');
      return js('answer.content = "sub said: " + sub; answer.ready = true');
    });
    assert.equal(result.answer, 'sub said: env reads return process.env[name];');
    const childFirstTurn = provider.rootRequests.find((r) => /Question: What does env do\?/.test(r.messages[1]!.content) && r.messages.length === 4);
    assert.ok(childFirstTurn, 'the child had a second turn');
    assert.match(childFirstTurn.messages.at(-1)!.content, /^Output:\nsrc\/util\/env\.ts\n/, 'the child saw only its subset');
    const child = result.trace.root.steps[0]!.subCalls[0]!;
    assert.equal(child.kind, 'rlm');
    assert.equal(child.kind === 'rlm' && child.depth, 1);
    assert.deepEqual(result.citations.map((c) => c.path), ['src/util/env.ts'], 'reads below are cited above');
  });

  test('at the maximum depth rlm() is one sub-call with the files, numbered, in its prompt', async () => {
    const { result, provider } = await run(
      ({ turn }) => {
        if (turn === 0) return js('print(await rlm("Summarise", {files: ["src/util/env.ts"]}))');
        return js('answer.content = "ok"; answer.ready = true');
      },
      { limits: { maxDepth: 0 }, subScript: (p) => (p.includes('2| export function env') ? 'saw numbered env.ts' : 'missing') },
    );
    assert.equal(result.usage.subCalls, 1);
    assert.equal(provider.subRequests.length, 1);
    assert.match(provider.rootRequests[1]!.messages.at(-1)!.content, /saw numbered env\.ts/);
    assert.doesNotMatch(provider.subRequests[0]!.messages[1]!.content, /config\.ts/);
  });

  test('at the maximum depth the prompt is sized to the sub-model, and files left out are named, not cited', async () => {
    // 300 tokens of context: room for the small README, not for the other two files.
    const provider = new ScriptedProvider(
      ({ turn }) => (turn === 0 ? js('print(await rlm("Summarise everything"))') : js('answer.content = "ok"; answer.ready = true')),
      () => 'summary',
      { maxInputTokens: 300 },
    );
    const result = await runRlm({ repo: new WorkspaceRepo(dir), query: 'q', root: { provider }, limits: { maxDepth: 0 } });
    const prompt = provider.subRequests[0]!.messages[1]!.content;
    const sent = provider.subRequests[0]!.messages.reduce((n, m) => n + m.content.length, 0);
    assert.ok(sent / 4 <= 300, `the request (${sent} chars) fits the sub-model's 300 tokens`);
    assert.match(prompt, /--- README\.md ---/);
    assert.match(prompt, /2 more files did not fit and are not shown: src\/config\.ts, src\/util\/env\.ts/);
    assert.deepEqual(result.citations.map((c) => c.path), ['README.md'], 'only the file the sub-model was shown is cited');
  });

  test('an llm() prompt bigger than the sub-model takes is refused before it is sent', async () => {
    const provider = new ScriptedProvider(
      ({ turn }) => (turn === 0 ? js('try { await llm("x".repeat(20000)) } catch (e) { print(e.message) }') : js('answer.content = "ok"; answer.ready = true')),
      () => 'never',
      { maxInputTokens: 1_000 },
    );
    await runRlm({ repo: new WorkspaceRepo(dir), query: 'q', root: { provider } });
    assert.equal(provider.subRequests.length, 0);
    assert.match(provider.rootRequests[1]!.messages.at(-1)!.content, /llm\(\): the prompt is about 5,\d{3} tokens, more than the 1,000 the sub-model "scripted-root" takes\. Send smaller pieces, e\.g\. repo\.clusters\(glob, \{maxChars: 1_800\}\)/);
    assert.match(provider.rootRequests[0]!.messages[0]!.content, /up to ~1,800 characters each/, 'the system prompt gives the same figure');
  });

  test('outputs of turns older than the last four are shortened in the root context', async () => {
    const { provider } = await run(
      ({ turn }) => (turn < 6 ? js(`print("turn ${'${turn}'} " + "y".repeat(3000))`) : js('answer.content = "ok"; answer.ready = true')),
      { limits: { maxIterations: 10 } },
    );
    const last = provider.rootRequests[6]!.messages;
    const feedbacks = last.filter((m, i) => i > 1 && m.role === 'user').map((m) => m.content);
    assert.equal(feedbacks.length, 6);
    for (const [i, text] of feedbacks.entries()) {
      if (i < 2) {
        assert.ok(text.length < 1_700, `turn ${i} output is shortened (${text.length} chars)`);
        assert.match(text, /older output shortened/);
      } else {
        assert.ok(text.length > 3_000, `turn ${i} output is whole`);
        assert.doesNotMatch(text, /older output shortened/);
      }
    }
  });

  test('a cheaper sub-model answers sub-calls when one is configured', async () => {
    const root = new ScriptedProvider(({ turn }) => (turn === 0 ? js('print(await llm("hi"))') : js('answer.content = "ok"; answer.ready = true')));
    const sub = new ScriptedProvider(() => '', () => 'from the sub model');
    const result = await runRlm({ repo: new WorkspaceRepo(dir), query: 'q', root: { provider: root, model: 'big' }, sub: { provider: sub, model: 'small' } });
    assert.equal(result.ready, true);
    assert.equal(root.subRequests.length, 0);
    assert.equal(sub.subRequests.length, 1);
    assert.equal(sub.subRequests[0]!.model, 'small');
    assert.match(root.rootRequests[1]!.messages.at(-1)!.content, /from the sub model/);
  });
});

describe('engine: cost', () => {
  test('calls are priced by the configured model name, even when the server answers with a dated id', async () => {
    const base = new ScriptedProvider(({ turn }) => (turn === 0 ? js('print(await llm("x"))') : js('answer.content = "ok"; answer.ready = true')));
    const renaming = { id: 'renaming', defaultModel: 'gpt-x', maxInputTokens: () => 128_000, complete: async (r: Parameters<typeof base.complete>[0]) => ({ ...(await base.complete(r)), model: 'gpt-x-2026-01-01' }) };
    const result = await runRlm({ repo: new WorkspaceRepo(dir), query: 'q', root: { provider: renaming }, prices: { 'gpt-x': { input: 1, output: 4 } } });
    const { inputTokens, outputTokens, costUsd } = result.usage;
    assert.equal(costUsd, Math.round(((inputTokens * 1 + outputTokens * 4) / 1e6) * 1e6) / 1e6);
    assert.ok(costUsd! > 0);
  });

  test('without a price for a model used, the cost is unknown rather than understated', async () => {
    const provider = new ScriptedProvider(() => js('answer.content = "ok"; answer.ready = true'));
    const result = await runRlm({ repo: new WorkspaceRepo(dir), query: 'q', root: { provider }, prices: { other: { input: 1, output: 1 } } });
    assert.equal(result.usage.costUsd, null);
  });
});

describe('engine: the model misbehaves', () => {
  test('a reply without code gets one nudge; a second one is taken as the answer', async () => {
    const { result, provider } = await run(({ turn }) => (turn === 0 ? 'I think it is in config.' : 'It is PORT, read in src/config.ts.'));
    assert.match(provider.rootRequests[1]!.messages.at(-1)!.content, /no code to run and the answer is not marked ready/);
    assert.equal(result.answer, 'It is PORT, read in src/config.ts.');
    assert.equal(provider.rootRequests.length, 2);
  });

  test('code in the wrong language is pointed out', async () => {
    const { provider } = await run(({ turn }) => (turn === 0 ? '```python\nprint(1)\n```' : js('answer.content = "ok"; answer.ready = true')));
    assert.match(provider.rootRequests[1]!.messages.at(-1)!.content, /```python blocks; only blocks tagged js, javascript or repl run/);
  });

  test('a syntax error is reported with its place and the model recovers', async () => {
    const { result, provider } = await run(({ turn }) =>
      turn === 0 ? js('const x = ;\n') + '\n\n' + js('print("never runs")') : js('answer.content = "recovered"; answer.ready = true'),
    );
    const feedback = provider.rootRequests[1]!.messages.at(-1)!.content;
    assert.match(feedback, /SyntaxError: Unexpected token \(line 1, column 11\)/);
    assert.match(feedback, /Cells 2-2 did not run because cell 1 failed/);
    assert.doesNotMatch(feedback, /never runs/);
    assert.equal(result.answer, 'recovered');
  });

  test('never setting ready ends at the iteration limit with the last draft, after a warning', async () => {
    const { result, provider, events } = await run(({ turn }) => js(`answer.content = "draft ${turn}"`), { limits: { maxIterations: 3 } });
    assert.equal(result.ready, false);
    assert.equal(result.stoppedBy, 'iterations');
    assert.equal(result.answer, 'draft 2');
    assert.match(result.note ?? '', /iteration limit \(3 turns\).*last draft/);
    assert.equal(provider.rootRequests.length, 3);
    assert.ok(provider.rootRequests[2]!.messages.at(-1)!.content.includes(FINAL_TURN_NOTICE));
    assert.ok(events.some((e) => e.type === 'limit-hit' && e.limit === 'iterations'));
  });

  test('a run that never drafts still ends with something: its last findings', async () => {
    const { result } = await run(() => js('print("found PORT in config")'), { limits: { maxIterations: 2 } });
    assert.equal(result.stoppedBy, 'iterations');
    assert.match(result.answer, /No answer was drafted[\s\S]*found PORT in config/);
  });

  test('answer.ready set to something other than true does not end the run, and says why', async () => {
    const { result, provider } = await run(({ turn }) => (turn === 0 ? js('answer.content = "maybe"; answer.ready = "true"') : js('answer.ready = true')));
    assert.match(provider.rootRequests[1]!.messages.at(-1)!.content, /answer\.ready must be the boolean true to finish \(it is the string "true"\)/);
    assert.equal(provider.rootRequests.length, 2);
    assert.equal(result.answer, 'maybe');
    assert.equal(result.ready, true);
  });

  test('ready with an empty answer is refused and explained', async () => {
    const { result, provider } = await run(({ turn }) => (turn === 0 ? js('answer.ready = true') : js('answer.content = "now"; answer.ready = true')));
    assert.match(provider.rootRequests[1]!.messages.at(-1)!.content, /answer\.ready is true but answer\.content is empty/);
    assert.equal(result.answer, 'now');
  });

  test('thousands of sub-calls are refused by the budget, and the model is told to finish', async () => {
    const { result, provider } = await run(
      ({ turn }) => {
        if (turn === 0) return js('await llm.batch(Array.from({length: 5000}, (_, i) => "q" + i))');
        if (turn === 1) return js('let n = 0; try { for (let i = 0; i < 1000; i++) { await llm("x"); n++ } } catch (e) { print(n, e.message) }');
        return js('answer.content = "stopped"; answer.ready = true');
      },
      { limits: { maxSubCalls: 50 } },
    );
    const first = provider.rootRequests[1]!.messages.at(-1)!.content;
    assert.match(first, /This needs 5,000 sub-calls but only 50 of 50 are left/);
    const second = provider.rootRequests[2]!.messages.at(-1)!.content;
    assert.match(second, /^Output:\n50 The sub-call budget \(50\) is used up/);
    assert.ok(second.includes(SUBCALL_BUDGET_NOTICE));
    assert.equal(provider.subRequests.length, 50);
    assert.equal(result.usage.subCalls, 50);
    assert.equal(result.answer, 'stopped');
  });

  test('reading outside the workspace is refused and nothing outside reaches any model', async () => {
    const { provider } = await run(({ turn }) =>
      turn === 0
        ? js('for (const p of ["../secret.txt", "' + path.join(outside, 'secret.txt') + '", "src/../../secret.txt"]) { try { print(await repo.read(p)) } catch (e) { print(e.message) } }')
        : js('answer.content = "no"; answer.ready = true'),
    );
    const feedback = provider.rootRequests[1]!.messages.at(-1)!.content;
    assert.match(feedback, /Path "\.\.\/secret\.txt" is outside the workspace/);
    assert.match(feedback, /Path ".*secret\.txt" is absolute; paths are relative to the workspace root/);
    assert.match(feedback, /Path "src\/\.\.\/\.\.\/secret\.txt" is outside the workspace/);
    assert.ok(provider.requests.every((r) => r.messages.every((m) => !m.content.includes('OUTSIDE_SECRET_91b2'))));
  });

  test('llm() is refused in REPL-only mode', async () => {
    const { provider, result } = await run(({ turn }) => (turn === 0 ? js('await llm("x")') : js('answer.content = "ok"; answer.ready = true')), { subcalls: false });
    assert.match(provider.rootRequests[0]!.messages[0]!.content, /llm\(\), llm\.batch\(\) and rlm\(\) are disabled in this run/);
    assert.match(provider.rootRequests[1]!.messages.at(-1)!.content, /disabled in this run \(REPL-only mode\)/);
    assert.equal(result.usage.subCalls, 0);
  });
});

describe('engine: limits and cancellation', () => {
  test('the token limit ends the run with the draft', async () => {
    const { result } = await run(({ turn }) => js(`answer.content = "draft ${turn}"; print("x".repeat(4000))`), { limits: { maxTokens: 3_000 } });
    assert.equal(result.stoppedBy, 'tokens');
    assert.match(result.answer, /^draft \d$/);
    assert.ok(result.limitsHit.includes('tokens'));
  });

  test('the wall-time limit stops a slow model mid-request', async () => {
    // Time moves only when the script says so: the second request "takes" 10 minutes.
    const clock = new ManualClock();
    const { result, provider } = await run(
      ({ turn, request }) => {
        if (turn === 0) return js('answer.content = "draft 0"');
        clock.advance(10 * 60_000);
        return untilAborted(request.signal!);
      },
      { clock, limits: { maxWallTimeMs: 5 * 60_000 } },
    );
    assert.equal(result.stoppedBy, 'wall-time');
    assert.equal(result.answer, 'draft 0');
    assert.equal(provider.rootRequests.length, 2);
    assert.match(result.note ?? '', /time limit \(300 s\)/);
  });

  test('sub-calls are refused once the token budget is spent, with a message the model can act on', async () => {
    const { provider, result } = await run(
      ({ turn }) =>
        turn === 0
          ? js('await llm("big"); try { await llm("again") } catch (e) { print(e.message) }; answer.content = "draft"')
          : js('answer.content = "x"; answer.ready = true'),
      { subScript: () => 'x'.repeat(40_000), limits: { maxTokens: 8_000 } },
    );
    assert.equal(provider.subRequests.length, 1, 'the second sub-call never reached a model');
    assert.equal(result.stoppedBy, 'tokens');
    const output = result.trace.root.steps[0]!.cells[0]!.output;
    assert.match(output, /The token budget is used up; no more sub-calls\. Set answer\.content and answer\.ready = true now\./);
  });

  test('sub-calls are refused once the time budget is spent', async () => {
    // A clock whose deadline timer never fires: only the gate before each sub-call sees the time.
    let now = 0;
    const clock = { now: () => now, setTimer: () => () => {} };
    const { provider, result } = await run(
      ({ turn }) =>
        turn === 0 ? js('await llm("slow"); try { await llm("again") } catch (e) { print(e.message) }') : js('answer.content = "x"; answer.ready = true'),
      {
        clock,
        subScript: () => {
          now += 10 * 60_000;
          return 'late';
        },
        limits: { maxWallTimeMs: 60_000 },
      },
    );
    assert.equal(provider.subRequests.length, 1);
    assert.match(result.trace.root.steps[0]!.cells[0]!.output, /The time budget is used up; no more sub-calls/);
    assert.ok(result.limitsHit.includes('wall-time'));
  });

  test('cancellation stops the run during a sub-call fan-out and keeps the draft', async () => {
    const controller = new AbortController();
    const { result, provider } = await run(
      ({ turn }) => {
        if (turn === 0) return js('answer.content = "partial"; await llm.batch(Array.from({length: 40}, () => "slow"))');
        return js('answer.content = "should not get here"; answer.ready = true');
      },
      { subDelayMs: 10_000, signal: controller.signal, onEvent: (e) => e.type === 'subcall-started' && controller.abort() },
    );
    assert.equal(result.stoppedBy, 'cancelled');
    assert.equal(result.ready, false);
    assert.equal(provider.rootRequests.length, 1);
    assert.ok(provider.subRequests.length < 40, 'the fan-out did not run to completion');
  });

  test('an empty question is refused with an example', async () => {
    await assert.rejects(run(() => 'x', { query: '  ' }), /The question is empty/);
  });

  test('invalid limits are refused with the name of the limit', async () => {
    await assert.rejects(run(() => 'x', { limits: { maxIterations: 0 } }), /maxIterations must be a positive integer/);
  });
});
