/**
 * The report: accuracy as the mean score, nearest-rank 95th percentiles, cost n/a when a
 * model has no price, groups; and the cost of a run: the engine's own figures for the rlm
 * modes, the same pricing rule for the calls the harness makes itself.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { usageOfCall } from '../../eval/cost';
import { formatReport, percentile, summarise } from '../../eval/report';
import { runEval } from '../../eval/runner';
import type { EvalMode, RunRecord } from '../../eval/types';
import { SUBCALL_SYSTEM_PROMPT } from '../../src/core/engine/prompts';
import type { Completion, CompletionRequest, ModelProvider } from '../../src/core/providers/types';
import { js } from '../support/scriptedProvider';
import { makeTempRepo, type TempRepo } from '../support/tempRepo';

function record(mode: EvalMode, id: string, score: number, over: Partial<RunRecord> = {}): RunRecord {
  return {
    id,
    group: null,
    mode,
    score,
    correct: score === 1,
    detail: '',
    extracted: '',
    extractedBy: 'marker',
    answer: '',
    expected: 'x',
    error: null,
    stoppedBy: null,
    latencyMs: 1000,
    usage: { inputTokens: 100, outputTokens: 10, modelCalls: 1, subCalls: 0, costUsd: 0.01, estimated: false },
    judgeUsage: null,
    trace: `traces/${mode}/${id}.json`,
    ...over,
  };
}

describe('report', () => {
  test('percentile is nearest-rank', () => {
    const values = Array.from({ length: 20 }, (_, i) => i + 1);
    assert.equal(percentile(values, 95), 19);
    assert.equal(percentile([5, 1, 3], 95), 5);
    assert.equal(percentile([7], 95), 7);
    assert.equal(percentile([], 95), 0);
  });

  test('per mode: mean score, fully right runs, errors, mean and p95 of cost and latency', () => {
    const records = [
      record('rlm', 'a', 1, { latencyMs: 1000, usage: { inputTokens: 100, outputTokens: 10, modelCalls: 2, subCalls: 3, costUsd: 0.01, estimated: false } }),
      record('rlm', 'b', 0.5, { latencyMs: 3000, usage: { inputTokens: 300, outputTokens: 30, modelCalls: 2, subCalls: 0, costUsd: 0.03, estimated: false } }),
      record('rlm', 'c', 0, { error: 'timeout', latencyMs: 2000, stoppedBy: 'iterations' }),
      record('direct', 'a', 1, { usage: { inputTokens: 5, outputTokens: 1, modelCalls: 1, subCalls: 0, costUsd: null, estimated: false } }),
    ];
    const s = summarise(records, ['rlm', 'direct'], 3);
    const rlm = s.perMode[0]!;
    assert.equal(rlm.accuracy, 0.5);
    assert.equal(rlm.correct, 1);
    assert.equal(rlm.errors, 1);
    assert.deepEqual(rlm.costUsd, { mean: 0.016667, p95: 0.03 });
    assert.deepEqual(rlm.latencyMs, { mean: 2000, p95: 3000 });
    assert.equal(rlm.stoppedByLimit, 1);
    assert.equal(s.perMode[1]!.costUsd, null, 'a run without a price makes the cost n/a');
    const text = formatReport(s);
    assert.match(text, /^rlm\s+50\.0%\s+1\/3\s+1\s+\$0\.0167\s+\$0\.0300\s+2\.0 s\s+3\.0 s\s+167\s+17$/m);
    assert.match(text, /^direct\s+100\.0%\s+1\/1\s+0\s+n\/a\s+n\/a/m);
    assert.match(text, /Cost is n\/a where a model has no price: pass --price-in and --price-out/);
    assert.match(text, /Runs that hit a limit before the answer was ready: rlm 1\./);
    assert.doesNotMatch(text, /Accuracy by group/, 'no groups, no group table');
  });

  test('groups get their own table; a mode without runs shows dashes; judging cost is reported apart', () => {
    const judged = { inputTokens: 50, outputTokens: 5, modelCalls: 1, subCalls: 0, costUsd: 0.002, estimated: false };
    const records = [
      record('rlm', 'n1', 1, { group: 'needle-8k', judgeUsage: judged }),
      record('rlm', 'n2', 0, { group: 'needle-32k', judgeUsage: judged }),
    ];
    const s = summarise(records, ['rlm', 'direct'], 2);
    assert.deepEqual(s.perGroup, { 'needle-8k': { rlm: 1 }, 'needle-32k': { rlm: 0 } });
    const text = formatReport(s);
    assert.match(text, /Accuracy by group:\ngroup\s+rlm\s+direct\nneedle-8k\s+100\.0%\s+-\nneedle-32k\s+0\.0%\s+-/);
    assert.match(text, /^direct\s+-\s+0\/0\s+0\s+-/m);
    assert.match(text, /Judging cost \(not included above\): rlm \$0\.0040\./);
  });
});

describe('cost of a run', () => {
  let repo: TempRepo;
  let out: string;
  before(async () => {
    repo = makeTempRepo({ 'a.ts': 'export const answer = 42;\n' });
    out = await mkdtemp(path.join(tmpdir(), 'rlm-eval-cost-'));
  });
  after(async () => {
    await repo.cleanup();
    await rm(out, { recursive: true, force: true });
  });

  /**
   * Root model "big": turn 1 makes an llm() call (to "small") and an rlm() call (a child
   * RLM on "big"), turn 2 answers. Each call reports the token counts given here, so the
   * expected cost can be worked out by hand.
   */
  function scripted(): ModelProvider {
    const turns = new Map<string, number>();
    // Built apart from the return so that maxInputTokens, which ModelProvider is gaining on
    // main, type-checks both before and after that change.
    const provider = {
      id: 'scripted',
      defaultModel: 'big',
      maxInputTokens: () => 128_000,
      async complete(request: CompletionRequest): Promise<Completion> {
        const reply = (text: string, inputTokens: number, outputTokens: number): Completion => ({ text, usage: { inputTokens, outputTokens }, model: request.model ?? 'big' });
        if (request.messages[0]!.content === SUBCALL_SYSTEM_PROMPT) return reply('a summary', 2_000_000, 0);
        const first = request.messages[1]!.content;
        const turn = turns.get(first) ?? 0;
        turns.set(first, turn + 1);
        if (/^Question: child question$/m.test(first)) return reply(js('answer.content = "child answer"; answer.ready = true'), 0, 1_000_000);
        if (turn === 0) return reply(js('print(await llm("summarise")); print(await rlm("child question"))'), 1_000_000, 100_000);
        return reply(js('answer.content = "FINAL ANSWER: 42"; answer.ready = true'), 1_000_000, 0);
      },
    };
    return provider;
  }

  async function rlmRun(prices: Record<string, { input: number; output: number }>, dir: string): Promise<{ usage: RunRecord['usage']; engineUsage: unknown }> {
    const provider = scripted();
    const { records } = await runEval({
      questions: [{ id: 'q1', repo: repo.root, question: 'What is the answer?', expected: '42', check: { type: 'exact' } }],
      modes: ['rlm'],
      root: { provider, model: 'big' },
      sub: { provider, model: 'small' },
      outDir: path.join(out, dir),
      contextWindow: 10_000,
      prices,
      limits: { maxTokens: 10_000_000 },
    });
    assert.equal(records.length, 1);
    assert.equal(records[0]!.score, 1, records[0]!.detail);
    const saved = JSON.parse(await readFile(path.join(out, dir, records[0]!.trace), 'utf8'));
    return { usage: records[0]!.usage, engineUsage: saved.trace.usage };
  }

  test("the rlm mode reports the engine's usage: each call priced with its own model, recursion included", async () => {
    const { usage, engineUsage } = await rlmRun({ big: { input: 1, output: 10 }, small: { input: 0.1, output: 0.4 } }, 'priced');
    // big: 2M in ($2) + 1.1M out ($11); small: 2M in ($0.20).
    assert.deepEqual(usage, { inputTokens: 4_000_000, outputTokens: 1_100_000, modelCalls: 3, subCalls: 2, costUsd: 13.2, estimated: false });
    assert.deepEqual(engineUsage, usage, 'the figures are the RlmResult.usage the engine put in its trace');
    assert.equal((await rlmRun({ big: { input: 1, output: 10 } }, 'unpriced')).usage.costUsd, null, 'the sub-model has no price');
  });

  test('calls the harness makes itself (direct, judge) are priced by the same rule', () => {
    const prices = { big: { input: 1, output: 10 }, small: { input: 0.1, output: 0.4 } };
    assert.deepEqual(usageOfCall('big', { inputTokens: 1_000_000, outputTokens: 100_000 }, prices), {
      inputTokens: 1_000_000,
      outputTokens: 100_000,
      modelCalls: 1,
      subCalls: 0,
      costUsd: 2,
      estimated: false,
    });
    // Rounded to a millionth of a dollar, as the engine rounds: 3 tokens at $0.4/M is $0.0000012.
    assert.equal(usageOfCall('small', { inputTokens: 0, outputTokens: 3 }, prices).costUsd, 0.000001);
    assert.deepEqual(usageOfCall('small', { inputTokens: 7, outputTokens: 1, estimated: true }, prices, 2), {
      inputTokens: 7,
      outputTokens: 1,
      modelCalls: 2,
      subCalls: 0,
      costUsd: 0.000001,
      estimated: true,
    });
    assert.equal(usageOfCall('unknown', { inputTokens: 1, outputTokens: 1 }, prices).costUsd, null, 'a model without a price costs n/a, not $0');
  });
});
