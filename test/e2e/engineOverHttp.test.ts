/**
 * The whole engine, end to end, through the real `openai` and `ollama` SDK clients over
 * real sockets to local servers that speak those wire formats (streaming included). The
 * question needs grep, read, llm.batch and a recursive rlm; the scripted model only
 * decides what code to write, and the answer is assembled from what that code found.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runRlm } from '../../src/core/engine/rlm';
import type { RlmEvent } from '../../src/core/engine/events';
import { OpenAIProvider } from '../../src/core/providers/openaiProvider';
import { OllamaProvider } from '../../src/core/providers/ollamaProvider';
import type { ModelProvider } from '../../src/core/providers/types';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { startFakeOpenAIServer } from '../support/fakeOpenAIServer';
import { startFakeOllamaServer } from '../support/fakeOllamaServer';
import type { RecordedRequest, ScriptedModel } from '../support/scriptedModel';
import { js, rlmScript } from '../support/rlmScript';

let dir: string;

const COMMANDS: Record<string, { file: string; doc: string }> = {
  'app.open': { file: 'src/commands/open.ts', doc: 'Opens the dashboard in a new tab' },
  'app.sync': { file: 'src/commands/sync.ts', doc: 'Pushes local changes to the server' },
  'app.reset': { file: 'src/commands/reset.ts', doc: 'Clears the local cache' },
};

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rlm-e2e-'));
  await mkdir(path.join(dir, 'src', 'commands'), { recursive: true });
  await mkdir(path.join(dir, 'src', 'shared'), { recursive: true });
  for (const [name, { file, doc }] of Object.entries(COMMANDS)) {
    await writeFile(
      path.join(dir, file),
      ['import { register } from "../shared/registry";', '', `/** ${doc}. */`, `register("${name}", () => {`, '  // implementation', '});', ''].join('\n'),
    );
  }
  await writeFile(
    path.join(dir, 'src', 'shared', 'registry.ts'),
    ['const table = new Map<string, () => void>();', '', '/** Adds a command; names must be unique. */', 'export function register(name: string, run: () => void) {', '  if (table.has(name)) throw new Error("duplicate " + name);', '  table.set(name, run);', '}', ''].join('\n'),
  );
  await writeFile(path.join(dir, '.gitignore'), 'build/\n');
  await mkdir(path.join(dir, 'build'));
  await writeFile(path.join(dir, 'build', 'out.js'), 'register("app.ghost", () => {});\n');
});

after(() => rm(dir, { recursive: true, force: true }));

/** The scripted model: root code for the question, a sub-model that reads doc comments. */
function model(): ScriptedModel {
  return rlmScript(
    ({ turn, question }) => {
      if (question === 'What does register do when a name is reused?') {
        if (turn === 0) return js('const src = await repo.read("src/shared/registry.ts", {start: 3, end: 6}); print(src)');
        return js('answer.content = src.includes("throw new Error") ? "It throws a duplicate error." : "unknown"; answer.ready = true');
      }
      switch (turn) {
        case 0:
          return js('const hits = await repo.grep("register\\\\(\\"", {glob: "src/**/*.ts"}); print(hits.length, hits.map(h => h.path).join(" "))');
        case 1:
          return js(
            'const texts = await Promise.all(hits.map(h => repo.read(h.path)));\n' +
              'const summaries = await llm.batch(texts.map((t, i) => "What does the command in " + hits[i].path + " do?\\n\\n" + t));\n' +
              'print(summaries)',
          );
        case 2:
          return js('const dup = await rlm("What does register do when a name is reused?", {files: ["src/shared/**"]}); print(dup)');
        default:
          return js(
            'const names = hits.map(h => /register\\("([^"]+)"/.exec(h.text)[1]);\n' +
              'answer.content = names.map((n, i) => "- " + n + ": " + summaries[i] + " (" + hits[i].path + ":" + hits[i].line + ")").join("\\n") + "\\nReusing a name: " + dup;\n' +
              'answer.ready = true',
          );
      }
    },
    (prompt) => {
      const doc = /\/\*\* (.*)\. \*\//.exec(prompt);
      return doc ? doc[1]!.toLowerCase() : 'no doc comment';
    },
  );
}

function streamed(requests: RecordedRequest[]): boolean {
  return requests.length > 0 && requests.every((r) => (r.body as { stream?: boolean }).stream === true);
}

async function ask(provider: ModelProvider) {
  const events: RlmEvent[] = [];
  const result = await runRlm({
    repo: new WorkspaceRepo(dir),
    query: 'Which commands are registered, what does each do, and what happens if a name is reused?',
    root: { provider },
    limits: { subCallConcurrency: 2 },
    onEvent: (e) => events.push(e),
  });
  return { result, events };
}

function checkAnswer(result: Awaited<ReturnType<typeof ask>>['result'], events: RlmEvent[]): void {
  assert.equal(result.ready, true, result.answer);
  assert.equal(
    result.answer,
    [
      '- app.open: opens the dashboard in a new tab (src/commands/open.ts:4)',
      '- app.reset: clears the local cache (src/commands/reset.ts:4)',
      '- app.sync: pushes local changes to the server (src/commands/sync.ts:4)',
      'Reusing a name: It throws a duplicate error.',
    ].join('\n'),
  );
  assert.doesNotMatch(result.answer, /ghost/, 'the git-ignored build output was not searched');
  assert.equal(result.usage.subCalls, 4, '3 llm.batch prompts + 1 rlm');
  assert.ok(result.usage.inputTokens > 0 && !result.usage.estimated);
  assert.deepEqual(
    result.citations.map((c) => `${c.path}:${c.ranges.map((r) => `${r.start}-${r.end}`).join(',')}`),
    ['src/commands/open.ts:1-6', 'src/commands/reset.ts:1-6', 'src/commands/sync.ts:1-6', 'src/shared/registry.ts:3-6'],
  );
  const child = result.trace.root.steps[2]!.subCalls[0]!;
  assert.equal(child.kind, 'rlm');
  assert.equal(child.kind === 'rlm' && child.steps.length, 2);
  assert.ok(events.some((e) => e.type === 'model-text'), 'root replies were streamed');
}

describe('end to end over HTTP', () => {
  test('OpenAI-compatible server through the openai SDK', async () => {
    const server = await startFakeOpenAIServer({ model: model(), apiKey: 'sk-test-123' });
    try {
      const { result, events } = await ask(new OpenAIProvider({ baseURL: server.url, apiKey: 'sk-test-123', model: 'scripted-model' }));
      checkAnswer(result, events);
      const chats = server.requests.filter((r) => r.path === '/v1/chat/completions');
      assert.equal(chats.length, 9, 'root 4 turns, child 2 turns, 3 batch calls');
      assert.ok(streamed(chats));
      assert.ok(chats.every((r) => r.hasAuthorization));
    } finally {
      await server.close();
    }
  });

  test('Ollama through the ollama SDK, with num_ctx sent on every request', async () => {
    const server = await startFakeOllamaServer({ model: model(), knownModels: ['qwen-test:7b'] });
    try {
      const { result, events } = await ask(new OllamaProvider({ host: server.url, model: 'qwen-test:7b', numCtx: 16_384 }));
      checkAnswer(result, events);
      const chats = server.requests.filter((r) => r.path === '/api/chat');
      assert.equal(chats.length, 9);
      assert.ok(streamed(chats));
      assert.ok(chats.every((r) => r.numCtx === 16_384));
    } finally {
      await server.close();
    }
  });

  test('a server fault mid-run is retried and the run still answers', async () => {
    const server = await startFakeOpenAIServer({ model: model() });
    server.faults.push({ kind: '500' }, { kind: 'drop-mid-stream' });
    try {
      const provider = new OpenAIProvider({ baseURL: server.url, model: 'scripted-model', retryBaseDelayMs: 10 });
      const { result, events } = await ask(provider);
      checkAnswer(result, events);
      assert.equal(events.filter((e) => e.type === 'retry').length, 2);
    } finally {
      await server.close();
    }
  });
});
