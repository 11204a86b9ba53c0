/**
 * CI smoke of `rlm eval`, so the harness never rots: question sets generated from a tiny
 * repository (needle, aggregate, pairs) run in every mode through the real CLI code path
 * (`runCli`), the real openai SDK and the sandbox, against a local OpenAI-compatible server
 * whose scripted model finds the answers with code. Checks the printed report and every
 * saved file.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run';
import { DIRECT_SYSTEM_PROMPT } from '../../eval/direct';
import { readQuestionSet } from '../../eval/questionSet';
import type { RunRecord } from '../../eval/types';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../support/fakeOpenAIServer';
import { makeTempRepo, type TempRepo } from '../support/tempRepo';
import { scriptedEvalModel, type EvalModelLog } from './scriptedEvalModel';

export const MINI_REPO: Record<string, string> = {
  'src/a.ts': [
    "import { helper } from './b';",
    '',
    '/** Adds two numbers. */',
    'export function add(x: number, y: number): number {',
    '  return helper(x) + y;',
    '}',
    '',
    'export function sub(x: number, y: number): number {',
    '  return x - y;',
    '}',
    '',
  ].join('\n'),
  'src/b.ts': ["import { add } from './a';", '', 'export const helper = (n: number) => add(n, 0) * 1;', '', '/** Twice. */', 'export const twice = function (n: number) {', '  return n * 2;', '};', ''].join('\n'),
  'src/util/c.ts': ["import { sub } from '../a';", '', '/**', ' * Clamps.', ' */', 'export function clamp(n: number) {', '  return sub(n, 0);', '}', '', 'export function wrap(n: number) {', '  return n;', '}', ''].join('\n'),
  'lib/d.js': ["const { wrap } = require('../src/util/c');", "const { e } = require('./e');", '', 'export default function () {', '  return wrap(e);', '}', ''].join('\n'),
  'lib/e.js': ["const d = require('./d');", 'module.exports = { e: 1, d };', ''].join('\n'),
  'README.md': Array.from({ length: 60 }, (_, i) => `Line ${i + 1} of the notes: the calculator adds, subtracts, clamps and wraps numbers.`).join('\n') + '\n',
  'docs/guide.md': Array.from({ length: 40 }, (_, i) => `Guide step ${i + 1}: run the build, then the tests, then read the output carefully.`).join('\n') + '\n',
};

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(argv: string[], env: Record<string, string>, cwd: string, signal?: AbortSignal, onStderr?: (text: string) => void): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => {
    err += d;
    onStderr?.(err);
  });
  const code = await runCli(argv, { env, cwd, stdout, stderr, signal });
  return { code, stdout: out, stderr: err };
}

let repo: TempRepo;
let work: string;
let server: FakeOpenAIServer;
const log: EvalModelLog = { root: 0, sub: 0, direct: 0, judge: 0 };
let env: Record<string, string>;

before(async () => {
  repo = makeTempRepo(MINI_REPO, 'rlm-eval-repo-');
  work = await mkdtemp(path.join(tmpdir(), 'rlm-eval-work-'));
  server = await startFakeOpenAIServer({ model: scriptedEvalModel(log), apiKey: 'sk-eval-key' });
  env = { OPENAI_API_KEY: 'sk-eval-key', OPENAI_BASE_URL: server.url };
});

after(async () => {
  await server.close();
  await repo.cleanup();
  await rm(work, { recursive: true, force: true });
});

async function snapshot(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else out[path.relative(root, full)] = await readFile(full, 'utf8');
    }
  };
  await walk(root);
  return out;
}

describe('rlm eval smoke: generate, then run every mode end to end', () => {
  let outDir: string;
  let records: RunRecord[];
  let report: Run;

  test('the three generators write question sets from the tiny repository without touching it', async () => {
    const before = await snapshot(repo.root);
    const gens = [
      ['needle', '--sizes', '300,700'],
      ['aggregate', '--count', '4'],
      ['pairs'],
    ];
    for (const [name, ...extra] of gens) {
      const r = await cli(['eval', 'generate', name!, '--repo', repo.root, '--seed', '7', '--out', `${name}.jsonl`, ...extra], {}, work);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, new RegExp(`wrote \\d+ ${name} questions? \\(seed 7\\)`));
    }
    assert.deepEqual(await snapshot(repo.root), before, 'the repository is unchanged');
    const needle = await readQuestionSet(path.join(work, 'needle.jsonl'));
    assert.deepEqual(needle.map((q) => q.id), ['needle-300', 'needle-700']);
    const aggregate = await readQuestionSet(path.join(work, 'aggregate.jsonl'));
    assert.equal(aggregate.length, 4);
    const pairs = await readQuestionSet(path.join(work, 'pairs.jsonl'));
    assert.deepEqual(pairs[0]!.expected, ['lib/d.js <-> lib/e.js', 'src/a.ts <-> src/b.ts']);
    // One question file for the run: the three sets side by side (repo paths stay relative to it).
    const all = (await Promise.all(['needle', 'aggregate', 'pairs'].map((n) => readFile(path.join(work, `${n}.jsonl`), 'utf8')))).join('');
    await writeFile(path.join(work, 'all.jsonl'), all);
  });

  test('runs every question in rlm, rlm-no-subcalls and direct, and prints the report', async () => {
    outDir = path.join(work, 'out');
    report = await cli(['eval', 'all.jsonl', '--out', 'out', '--model', 'scripted-model', '--price-in', '1', '--price-out', '2', '--context-window', '64k'], env, work);
    assert.equal(report.code, 0, report.stderr);
    const lines = report.stdout.split('\n');
    assert.match(lines[0]!, /^mode\s+accuracy\s+correct\s+errors\s+cost mean\s+cost p95\s+latency mean\s+latency p95\s+tokens in\s+tokens out$/);
    for (const [i, mode] of ['rlm', 'rlm-no-subcalls', 'direct'].entries()) {
      assert.match(lines[i + 1]!, new RegExp(`^${mode}\\s+100\\.0%\\s+7/7\\s+0\\s+\\$\\d\\.\\d{4}\\s+\\$\\d\\.\\d{4}\\s+\\d`), lines[i + 1]);
    }
    assert.match(report.stdout, /Accuracy by group:\ngroup\s+rlm\s+rlm-no-subcalls\s+direct\n/);
    assert.match(report.stdout, /needle-300\s+100\.0%\s+100\.0%\s+100\.0%/);
    assert.match(report.stdout, /pairs\s+100\.0%\s+100\.0%\s+100\.0%/);
    assert.match(report.stderr, /rlm eval: 7 questions × rlm, rlm-no-subcalls, direct · OpenAI-compatible .* · scripted-model · direct context 64k tokens/);
    assert.match(report.stderr, /\[21\/21\] direct · pairs-1-repo · score 1\.00 ✓/);
    assert.doesNotMatch(report.stdout + report.stderr, /sk-eval-key/);
  });

  test('saves results.jsonl, summary.json, report.txt and one trace per run', async () => {
    records = (await readFile(path.join(outDir, 'results.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as RunRecord);
    assert.equal(records.length, 21);
    assert.ok(records.every((r) => r.score === 1 && r.correct && r.error === null && r.extractedBy === 'marker'), JSON.stringify(records.filter((r) => r.score !== 1)));
    const summary = JSON.parse(await readFile(path.join(outDir, 'summary.json'), 'utf8'));
    assert.equal(summary.questions, 7);
    assert.equal(summary.complete, true);
    assert.equal(summary.contextWindow, 64_000);
    assert.deepEqual(summary.prices, { 'scripted-model': { input: 1, output: 2 } });
    for (const m of summary.perMode) {
      const rs = records.filter((r) => r.mode === m.mode);
      assert.equal(m.accuracy, 1);
      assert.equal(m.runs, 7);
      const meanCost = rs.reduce((n, r) => n + r.usage.costUsd!, 0) / rs.length;
      assert.ok(Math.abs(m.costUsd.mean - meanCost) < 1e-6, `${m.mode} mean cost ${m.costUsd.mean} vs ${meanCost}`);
      assert.equal(m.costUsd.p95, Math.max(...rs.map((r) => r.usage.costUsd!)), 'p95 of 7 values is the largest (nearest rank)');
    }
    for (const r of records) {
      // Cost follows the tokens the server reported, at $1 in and $2 out per million.
      assert.ok(Math.abs(r.usage.costUsd! - (r.usage.inputTokens + 2 * r.usage.outputTokens) / 1e6) < 1e-6);
    }
    assert.equal(await readFile(path.join(outDir, 'report.txt'), 'utf8'), report.stdout);

    for (const r of records) {
      const trace = JSON.parse(await readFile(path.join(outDir, r.trace), 'utf8'));
      assert.equal(trace.mode, r.mode);
      assert.equal(trace.question.id, r.id);
      assert.equal(trace.result.score, 1);
      if (r.mode === 'direct') {
        assert.equal(trace.trace.kind, 'direct');
        assert.equal(trace.trace.fit.filesOmitted, 0);
        assert.ok(trace.trace.filesIncluded.length > 0);
      } else {
        assert.ok(trace.trace.root.steps.length >= 2, 'the root explored before answering');
        assert.deepEqual(r.usage, trace.trace.usage, `${r.id}: the run's usage is the one the engine reported`);
        const subCalls = trace.trace.root.steps.flatMap((s: { subCalls: unknown[] }) => s.subCalls).length;
        if (r.mode === 'rlm') assert.ok(subCalls > 0, `${r.id}: the rlm mode used sub-calls`);
        else assert.equal(subCalls, 0, `${r.id}: no sub-calls in REPL-only mode`);
      }
    }
    const needle = records.find((r) => r.id === 'needle-700' && r.mode === 'rlm')!;
    const q = (await readQuestionSet(path.join(work, 'all.jsonl'))).find((x) => x.id === 'needle-700')!;
    assert.equal(needle.extracted, q.expected);
    assert.match(needle.answer, new RegExp(`The comment is at ${(q.meta!.file as string).replace(/\./g, '\\.')}:${q.meta!.line}\\.`));
  });

  test('--json prints the summary as JSON instead of the table', async () => {
    const r = await cli(['eval', 'needle.jsonl', '--out', 'json-out', '--model', 'scripted-model', '--modes', 'rlm-no-subcalls', '--json', '--quiet'], env, work);
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(summary.modes, ['rlm-no-subcalls']);
    assert.equal(summary.perMode[0].accuracy, 1);
    assert.deepEqual(summary.perGroup, { 'needle-300': { 'rlm-no-subcalls': 1 }, 'needle-700': { 'rlm-no-subcalls': 1 } });
    assert.equal(r.stderr, '', '--quiet');
  });

  test('every mode was exercised over HTTP: direct calls carry the files, rlm used sub-models', () => {
    const chats = server.requests.filter((r) => r.path === '/v1/chat/completions');
    const directCalls = chats.filter((r) => (r.body as { messages: Array<{ content: string }> }).messages[0]!.content === DIRECT_SYSTEM_PROMPT);
    assert.equal(directCalls.length, 7);
    assert.ok(directCalls.every((r) => /=== src\/a\.ts ===\n/.test((r.body as { messages: Array<{ content: string }> }).messages[1]!.content) || /needle/.test(JSON.stringify(r.body))));
    assert.equal(log.direct, 7);
    assert.ok(log.sub > 0 && log.root >= 28, JSON.stringify(log));
  });
});

describe('rlm eval smoke: SWE-QA questions graded by the judge', () => {
  test('imports a SWE-QA file and grades free-form answers in each mode', async () => {
    const base = await mkdtemp(path.join(tmpdir(), 'rlm-eval-sweqa-'));
    try {
      const flask = makeTempRepo({ 'app.py': 'import os\n\ndef set_session_cookie(response):\n    """Sets the cookie."""\n    return response\n' }, 'flask-');
      const reposDir = path.join(base, 'repos');
      await rm(reposDir, { recursive: true, force: true });
      const { rename, mkdir } = await import('node:fs/promises');
      await mkdir(reposDir);
      await rename(flask.root, path.join(reposDir, 'flask'));
      await mkdir(path.join(base, 'Benchmark'));
      await writeFile(
        path.join(base, 'Benchmark', 'flask.jsonl'),
        `${JSON.stringify({ question: 'Which function sets the session cookie?', answer: 'The function `set_session_cookie` in app.py sets it.' })}\n`,
      );
      const imported = await cli(['eval', 'import-swe-qa', 'Benchmark', '--repos', 'repos', '--out', 'swe.jsonl'], {}, base);
      assert.equal(imported.code, 0, imported.stderr);
      assert.match(imported.stderr, /wrote 1 SWE-QA question over 1 repository \(flask\)/);
      const r = await cli(['eval', 'swe.jsonl', '--out', 'out', '--model', 'scripted-model', '--quiet', '--parallel', '3'], env, base);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^rlm\s+90\.0%\s+1\/1\s+0\s+n\/a\s+n\/a/m);
      assert.match(r.stdout, /^rlm-no-subcalls\s+90\.0%\s+1\/1/m);
      assert.match(r.stdout, /^direct\s+90\.0%\s+1\/1/m);
      assert.match(r.stdout, /Cost is n\/a where a model has no price/);
      const results = (await readFile(path.join(base, 'out', 'results.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as RunRecord);
      assert.ok(results.every((x) => /^judge 90\/100 \(correctness 18/.test(x.detail) && x.judgeUsage !== null && x.judgeUsage.inputTokens > 0), JSON.stringify(results));
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });
});

describe('rlm eval: failures and interruptions', () => {
  test('a rejected API key stops the evaluation (exit 1) and still writes the summary', async () => {
    const out = path.join(work, 'bad-key');
    const r = await cli(['eval', 'needle.jsonl', '--out', out, '--model', 'scripted-model', '--modes', 'direct', '--quiet'], { ...env, OPENAI_API_KEY: 'sk-wrong' }, work);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /rejected the API key/);
    const summary = JSON.parse(await readFile(path.join(out, 'summary.json'), 'utf8'));
    assert.equal(summary.complete, false);
    assert.equal(summary.perMode[0].errors, 1, 'the run that met the error is recorded, the rest are not started');
    assert.equal((await readFile(path.join(out, 'results.jsonl'), 'utf8')).trim().split('\n').length, 1);
  });

  test('Ctrl+C after the first run ends with exit 130 and a report of what was done', async () => {
    const controller = new AbortController();
    const r = await cli(['eval', 'needle.jsonl', '--out', 'interrupted', '--model', 'scripted-model', '--modes', 'direct,rlm'], env, work, controller.signal, (text) => {
      if (/\[1\/4\]/.test(text)) controller.abort();
    });
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /interrupted after 1 of 4 runs/);
    assert.match(r.stdout, /^direct\s+100\.0%\s+1\/1/m);
    const summary = JSON.parse(await readFile(path.join(work, 'interrupted', 'summary.json'), 'utf8'));
    assert.equal(summary.complete, false);
  });

  for (const [args, message] of [
    [['eval'], /rlm eval needs a question set/],
    [['eval', 'missing.jsonl'], /No question file at .*missing\.jsonl/],
    [['eval', 'needle.jsonl', '--modes', 'rlm,fast'], /--modes takes a comma-separated list of rlm, rlm-no-subcalls, direct; "fast" is not one of them/],
    [['eval', 'needle.jsonl', '--sizes', '8k'], /--sizes is not an option of rlm eval QUESTIONS\.jsonl; it belongs to rlm eval generate needle/],
    [['eval', 'needle.jsonl', '--price-in', '1'], /Give both --price-in and --price-out/],
    [['eval', 'needle.jsonl', '--context-window', 'big'], /--context-window must be a number of tokens such as 128000, 128k or 1m/],
    [['eval', 'generate', 'haystack', '--out', 'x.jsonl'], /needs a generator: needle, aggregate or pairs; "haystack" is not one/],
    [['eval', 'generate', 'needle', '--repo', '.'], /needs --out FILE/],
    [['eval', 'generate', 'aggregate', '--out', 'x.jsonl', '--tolerance', '2'], /--tolerance is a relative tolerance from 0 to below 1/],
    [['eval', 'import-swe-qa', 'Benchmark', '--out', 'x.jsonl'], /needs --repos DIR/],
  ] as Array<[string[], RegExp]>) {
    test(`bad usage: rlm ${args.join(' ')} (exit 2)`, async () => {
      const r = await cli(args, env, work);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, message);
    });
  }

  test('a question file with errors is refused before any model call, naming line and field (exit 2)', async () => {
    const requestsBefore = server.requests.length;
    await writeFile(path.join(work, 'broken.jsonl'), '{"question": "q", "expected": 3, "check": "number", "repo": "."}\n{"question": "q2", "expected": "x", "repo": "."}\nnot json\n');
    const r = await cli(['eval', 'broken.jsonl', '--model', 'scripted-model', '--out', 'never'], env, work);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /broken\.jsonl has 2 problems:\n.*broken\.jsonl line 2: field "check" is missing/);
    assert.match(r.stderr, /broken\.jsonl line 3: not valid JSON/);
    assert.equal(server.requests.length, requestsBefore);
    assert.equal(existsSync(path.join(work, 'never')), false);
  });

  test('an output folder that already holds files is refused (exit 2)', async () => {
    const r = await cli(['eval', 'needle.jsonl', '--model', 'scripted-model', '--out', 'out'], env, work);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--out out already exists and is not an empty folder/);
  });
});
