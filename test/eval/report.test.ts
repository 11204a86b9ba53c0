/**
 * The report: accuracy as the mean score, nearest-rank 95th percentiles, cost n/a when a
 * model has no price, groups; and cost per run priced call by call from the trace.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { RunTrace, TraceRlm } from '../../src/core/engine/trace';
import { usageFromTrace } from '../../eval/cost';
import { formatReport, percentile, summarise } from '../../eval/report';
import type { EvalMode, RunRecord } from '../../eval/types';

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

describe('cost from the trace', () => {
  const step = (model: string, input: number, output: number, subCalls: TraceRlm['steps'][number]['subCalls'] = []) => ({
    iteration: 1,
    model,
    promptChars: 0,
    usage: { inputTokens: input, outputTokens: output },
    reply: '',
    cells: [],
    subCalls,
    filesRead: [],
    durationMs: 0,
  });
  const llm = (model: string, input: number, output: number) => ({ kind: 'llm' as const, id: 1, depth: 1, model, promptChars: 0, promptPreview: '', replyChars: 0, reply: '', usage: { inputTokens: input, outputTokens: output }, durationMs: 0, error: null });
  const node = (steps: TraceRlm['steps']): TraceRlm => ({ kind: 'rlm', id: 1, depth: 0, query: 'q', files: null, steps, answer: '', ready: true, limitHit: null, durationMs: 0 });
  const trace = (root: TraceRlm): RunTrace => ({
    version: 1,
    startedAt: '',
    repo: 'r',
    query: 'q',
    root,
    usage: { inputTokens: 0, outputTokens: 0, modelCalls: 0, subCalls: 0, costUsd: null, estimated: false },
    citations: [],
  });

  test('prices each call with its own model, recursion included', () => {
    const t = trace(node([step('big', 1_000_000, 100_000, [llm('small', 2_000_000, 0), node([step('big', 0, 1_000_000)])]), step('big', 1_000_000, 0)]));
    const usage = usageFromTrace(t, { big: { input: 1, output: 10 }, small: { input: 0.1, output: 0.4 } });
    // big: 2M in ($2) + 1.1M out ($11); small: 2M in ($0.20).
    assert.deepEqual(usage, { inputTokens: 4_000_000, outputTokens: 1_100_000, modelCalls: 3, subCalls: 2, costUsd: 13.2, estimated: false });
    assert.equal(usageFromTrace(t, { big: { input: 1, output: 10 } }).costUsd, null, 'the sub-model has no price');
  });
});
