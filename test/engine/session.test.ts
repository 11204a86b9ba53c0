/**
 * Conversations, host functions and events: RlmSession over a real repository and the real
 * sandbox, with only the model scripted.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { RlmSession, runRlm } from '../../src/core/engine/rlm';
import type { RlmEvent } from '../../src/core/engine/events';
import { hostFunction, pathParam } from '../../src/core/sandbox/api';
import { options, integer } from '../../src/core/sandbox/validate';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { ScriptedProvider, js, type RootScript } from '../support/scriptedProvider';

let dir: string;

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rlm-session-'));
  await mkdir(path.join(dir, 'src'), { recursive: true });
  await writeFile(path.join(dir, 'src', 'config.ts'), 'export const PORT = Number(process.env.PORT ?? 8080);\nexport const HOST = "0.0.0.0";\n');
  await writeFile(path.join(dir, 'src', 'server.ts'), 'import { PORT } from "./config";\nexport function start() {\n  return listen(PORT);\n}\n');
  await writeFile(path.join(dir, 'README.md'), '# demo\n');
});

after(() => rm(dir, { recursive: true, force: true }));

/** The opening user message of the conversation a root request belongs to. */
const opening = (p: ScriptedProvider, i: number) => p.rootRequests[i]!.messages[1]!.content;

describe('session: a conversation', () => {
  test('a follow-up gets the earlier question and answer and the variables earlier cells left, and can use them', async () => {
    const provider = new ScriptedProvider(({ question, turn }) => {
      if (question.startsWith('Where is the port')) {
        return js('const hits = await repo.grep("PORT"); answer.content = "PORT is set in src/config.ts:1"; answer.ready = true');
      }
      assert.equal(turn, 0);
      return js('answer.content = "It is used in " + new Set(hits.map((h) => h.path)).size + " files"; answer.ready = true');
    });
    const session = new RlmSession({ repo: new WorkspaceRepo(dir), root: { provider } });
    try {
      const first = await session.ask('Where is the port set?');
      assert.equal(first.ready, true);
      const second = await session.ask('How many files use it?');
      assert.equal(second.answer, 'It is used in 2 files', 'the variable from the first question was still there');
      const followUp = opening(provider, 1);
      assert.match(followUp, /^This is a follow-up/);
      assert.match(followUp, /Q1: Where is the port set\?\nA1: PORT is set in src\/config\.ts:1/);
      assert.match(followUp, /- hits: array of 3/);
      assert.match(followUp, /^Question: How many files use it\?$/m);
      assert.doesNotMatch(opening(provider, 0), /follow-up|Q1:/, 'a first question has no history');
      assert.deepEqual(session.history.map((e) => e.question), ['Where is the port set?', 'How many files use it?']);
    } finally {
      await session.dispose();
    }
  });

  test('each question cites only what it read itself', async () => {
    const provider = new ScriptedProvider(({ question }) =>
      question === 'first'
        ? js('print(await repo.read("src/config.ts")); answer.content = "a"; answer.ready = true')
        : js('print(await repo.read("src/server.ts", {start: 2, end: 3})); answer.content = "b"; answer.ready = true'),
    );
    const session = new RlmSession({ repo: new WorkspaceRepo(dir), root: { provider } });
    try {
      const a = await session.ask('first');
      const b = await session.ask('second');
      assert.deepEqual(a.citations.map((c) => c.path), ['src/config.ts']);
      assert.deepEqual(b.citations, [{ path: 'src/server.ts', ranges: [{ start: 2, end: 3 }], via: ['read'], unsaved: false }]);
      assert.deepEqual(b.trace.citations, b.citations);
    } finally {
      await session.dispose();
    }
  });

  test('a repo reused across two runRlm calls: the second cites only its own reads', async () => {
    const repo = new WorkspaceRepo(dir);
    const read = (file: string) => new ScriptedProvider(() => js(`await repo.read(${JSON.stringify(file)}); answer.content = "ok"; answer.ready = true`));
    await runRlm({ repo, query: 'q', root: { provider: read('src/config.ts') } });
    const second = await runRlm({ repo, query: 'q', root: { provider: read('README.md') } });
    assert.deepEqual(second.citations.map((c) => c.path), ['README.md']);
  });

  test('a sandbox reset during a question is reported to the next one, and the history holds', async () => {
    const provider = new ScriptedProvider(({ question, turn }) => {
      if (question === 'first') {
        if (turn === 0) return js('const kept = 1; while (true) {}');
        return js('answer.content = "gave up looping"; answer.ready = true');
      }
      return js('answer.content = typeof kept; answer.ready = true');
    });
    const session = new RlmSession({ repo: new WorkspaceRepo(dir), root: { provider }, sandbox: { cellTimeoutMs: 300 } });
    try {
      const first = await session.ask('first');
      assert.equal(first.answer, 'gave up looping');
      assert.equal(first.trace.root.steps[0]!.cells[0]!.reset, 'timeout');
      const second = await session.ask('second');
      assert.equal(second.answer, 'undefined', 'the variable was lost with the worker');
      const followUp = opening(provider, 2);
      assert.match(followUp, /The REPL was restarted during the last question \(a cell ran past its time limit\): variables made before that are gone\./);
      assert.match(followUp, /The REPL holds no variables from earlier cells\./);
      assert.match(followUp, /Q1: first\nA1: gave up looping/);
    } finally {
      await session.dispose();
    }
  });

  test('warm() starts the worker before the question, and the question starts no other', async () => {
    const provider = new ScriptedProvider(() => js('answer.content = "ok"; answer.ready = true'));
    const session = new RlmSession({ repo: new WorkspaceRepo(dir), root: { provider } });
    try {
      assert.equal(session.sandboxWorkersStarted, 0, 'nothing starts until asked');
      await session.warm();
      assert.equal(session.sandboxWorkersStarted, 1);
      await session.ask('q');
      await session.ask('q2');
      assert.equal(session.sandboxWorkersStarted, 1, 'both questions ran in the warm worker');
    } finally {
      await session.dispose();
    }
  });

  test('a second question while one runs is refused, and a disposed session refuses questions', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const provider = new ScriptedProvider(async () => {
      await gate;
      return js('answer.content = "ok"; answer.ready = true');
    });
    const session = new RlmSession({ repo: new WorkspaceRepo(dir), root: { provider } });
    const running = session.ask('first');
    await assert.rejects(session.ask('second'), /still answering a question/);
    release();
    assert.equal((await running).answer, 'ok');
    await session.dispose();
    await assert.rejects(session.ask('third'), /This conversation has ended/);
  });

  test('history given by the host (a chat view) replaces the session\'s own', async () => {
    const provider = new ScriptedProvider(() => js('answer.content = "ok"; answer.ready = true'));
    const session = new RlmSession({ repo: new WorkspaceRepo(dir), root: { provider } });
    try {
      await session.ask('follow up', { history: [{ question: 'asked in another window', answer: 'answered there' }] });
      assert.match(opening(provider, 0), /Q1: asked in another window\nA1: answered there/);
    } finally {
      await session.dispose();
    }
  });

  test('a question may bring its own model; without any the session says what is missing', async () => {
    const first = new ScriptedProvider(() => js('answer.content = "from first"; answer.ready = true'));
    const second = new ScriptedProvider(() => js('answer.content = "from second"; answer.ready = true'));
    const session = new RlmSession({ repo: new WorkspaceRepo(dir) });
    try {
      await assert.rejects(session.ask('q'), /No model to answer with/);
      assert.equal((await session.ask('q', { root: { provider: first } })).answer, 'from first');
      assert.equal((await session.ask('q', { root: { provider: second } })).answer, 'from second');
      assert.equal(first.rootRequests.length, 1);
    } finally {
      await session.dispose();
    }
  });

  test('a scope restricts the question to those files', async () => {
    const provider = new ScriptedProvider(() => js('answer.content = (await repo.files()).join(","); answer.ready = true'));
    const result = await runRlm({ repo: new WorkspaceRepo(dir), query: 'q', root: { provider }, scope: ['src/server.ts'] });
    assert.equal(result.answer, 'src/server.ts');
    assert.match(opening(provider, 0), /Files: 1,/);
  });

  test('a follow-up sees a file added between the questions', async () => {
    const provider = new ScriptedProvider(() => js('answer.content = (await repo.files("**/*.md")).join(","); answer.ready = true'));
    const session = new RlmSession({ repo: new WorkspaceRepo(dir), root: { provider } });
    try {
      assert.equal((await session.ask('q1')).answer, 'README.md');
      await writeFile(path.join(dir, 'NOTES.md'), 'new\n');
      assert.equal((await session.ask('q2')).answer, 'NOTES.md,README.md');
    } finally {
      await rm(path.join(dir, 'NOTES.md'), { force: true });
      await session.dispose();
    }
  });
});

describe('session: host functions as data', () => {
  const symbols = hostFunction({
    name: 'repo.symbols',
    signature: 'await repo.symbols(path, {limit?})',
    doc: 'the symbols a language server found in a file: [{name, kind, line}]',
    params: [
      ['path', pathParam],
      ['options', options({ limit: integer({ min: 1, max: 100 }) })],
    ],
    async handler([file, opts], ctx) {
      const text = await ctx.repo.read(file);
      const found = [...text.matchAll(/export (?:const|function) (\w+)/g)].map((m) => ({ name: m[1], line: text.slice(0, m.index).split('\n').length }));
      return found.slice(0, opts.limit ?? 100);
    },
  });

  const declared = hostFunction({
    name: 'repo.declared',
    signature: 'await repo.declared(name)',
    doc: 'where a name is declared, as the editor knows it: {path, line}',
    params: [['name', pathParam]],
    async handler([name], ctx) {
      ctx.recordRead({ path: 'src/config.ts', start: 1, end: 1, via: 'repo.declared' });
      return { name, path: 'src/config.ts', line: 1 };
    },
  });

  test('a host function is in the system prompt, callable, checked, and what it shows is cited', async () => {
    const script: RootScript = ({ turn }) => {
      if (turn === 0) return js('print(JSON.stringify(await repo.symbols("src/config.ts"))); try { await repo.symbols(7) } catch (e) { print(e.message) }');
      return js('print(JSON.stringify(await repo.declared("PORT"))); answer.content = "done"; answer.ready = true');
    };
    const provider = new ScriptedProvider(script);
    const result = await runRlm({ repo: new WorkspaceRepo(dir), query: 'q', root: { provider }, hostFunctions: [symbols, declared] });
    const system = provider.rootRequests[0]!.messages[0]!.content;
    assert.match(system, /await repo\.symbols\(path, \{limit\?\}\) +\/\/ the symbols a language server found in a file/);
    assert.match(system, /await repo\.declared\(name\)/);
    const feedback = provider.rootRequests[1]!.messages.at(-1)!.content;
    assert.match(feedback, /\[\{"name":"PORT","line":1\},\{"name":"HOST","line":2\}\]/);
    assert.match(feedback, /repo\.symbols: path must be a string, got number 7/);
    assert.deepEqual(result.citations, [{ path: 'src/config.ts', ranges: [{ start: 1, end: 2 }], via: ['read', 'repo.declared'], unsaved: false }]);
  });

  test('without them the prompt says nothing of them and the guest cannot call them', async () => {
    const provider = new ScriptedProvider(({ turn }) =>
      turn === 0 ? js('print(typeof repo.symbols); await repo.symbols("src/config.ts")') : js('answer.content = "ok"; answer.ready = true'),
    );
    await runRlm({ repo: new WorkspaceRepo(dir), query: 'q', root: { provider } });
    assert.doesNotMatch(provider.rootRequests[0]!.messages[0]!.content, /symbols/);
    assert.match(provider.rootRequests[1]!.messages.at(-1)!.content, /^Output:\nundefined\n[\s\S]*TypeError: repo\.symbols is not a function/);
  });

  test('a host function may not take a name the API already has', () => {
    const clash = hostFunction({ name: 'repo.read', signature: 'x', doc: 'x', params: [], handler: async () => null });
    assert.throws(() => new RlmSession({ repo: new WorkspaceRepo(dir), root: { provider: new ScriptedProvider(() => '') }, hostFunctions: [clash] }), /"repo\.read" is defined twice/);
  });
});

describe('events a UI can follow', () => {
  test('every event names its run and node; two sub-RLMs running at once are told apart', async () => {
    const events: RlmEvent[] = [];
    const provider = new ScriptedProvider(({ question, turn }) => {
      if (question === 'config?') return js('await repo.read("src/config.ts"); answer.content = "c"; answer.ready = true');
      if (question === 'server?') return js('await repo.read("src/server.ts"); answer.content = "s"; answer.ready = true');
      if (turn === 0) return js('const [a, b] = await Promise.all([rlm("config?", {files: ["src/config.ts"]}), rlm("server?", {files: ["src/server.ts"]})]); answer.content = a + b; answer.ready = true');
      return '';
    });
    const result = await runRlm({ repo: new WorkspaceRepo(dir), query: 'both', root: { provider }, onEvent: (e) => events.push(e) });
    assert.equal(result.answer, 'cs');
    const runIds = new Set(events.map((e) => e.runId));
    assert.equal(runIds.size, 1);
    assert.match([...runIds][0]!, /^[0-9a-f-]{36}$/);
    const rootId = result.trace.root.id;
    assert.equal(events[0]!.type, 'run-started');
    const children = events.filter((e) => e.type === 'subcall-started' && e.kind === 'rlm');
    assert.equal(children.length, 2);
    const childIds = children.map((e) => (e as Extract<RlmEvent, { type: 'subcall-started' }>).id);
    assert.notEqual(childIds[0], childIds[1]);
    for (const id of childIds) {
      const own = events.filter((e) => e.nodeId === id);
      assert.ok(own.length > 3, `node ${id} reported its own steps`);
      assert.ok(own.every((e) => e.parentId === rootId && e.depth === 1));
    }
    const reads = events.filter((e): e is Extract<RlmEvent, { type: 'read' }> => e.type === 'read');
    assert.deepEqual(
      reads.map((r) => [r.nodeId === childIds[0] ? 'first' : r.nodeId === childIds[1] ? 'second' : 'root', r.path, r.start, r.end, r.unsaved]).sort(),
      [
        ['first', 'src/config.ts', 1, 2, false],
        ['second', 'src/server.ts', 1, 4, false],
      ],
    );
    assert.deepEqual(result.citations.map((c) => c.path), ['src/config.ts', 'src/server.ts'], 'reads below are cited above');
    assert.deepEqual(result.trace.root.steps[0]!.filesRead.map((c) => c.path), ['src/config.ts', 'src/server.ts'], 'and in the step that made the calls');
  });

  test('each repo call reports what it did, in a line a progress view can show', async () => {
    const events: RlmEvent[] = [];
    const provider = new ScriptedProvider(({ turn }) =>
      turn === 0
        ? js('await repo.grep("PORT", {glob: "src/**"}); await repo.read("src/server.ts", {start: 2, end: 3}); await repo.files("**/*.ts"); try { await repo.read("nope.ts") } catch {}')
        : js('answer.content = "ok"; answer.ready = true'),
    );
    await runRlm({ repo: new WorkspaceRepo(dir), query: 'q', root: { provider }, onEvent: (e) => events.push(e) });
    const calls = events.filter((e): e is Extract<RlmEvent, { type: 'call' }> => e.type === 'call');
    assert.deepEqual(
      calls.map((c) => [c.name, c.summary, c.ok, c.iteration]),
      [
        ['repo.grep', 'grep `PORT` in src/** → 3 hits in 2 files', true, 1],
        ['repo.read', 'read src/server.ts:2-3', true, 1],
        ['repo.files', 'list **/*.ts → 2 files', true, 1],
        ['repo.read', 'read nope.ts', false, 1],
      ],
    );
  });

  test('answer-drafted carries the draft text', async () => {
    const events: RlmEvent[] = [];
    const provider = new ScriptedProvider(({ turn }) => (turn === 0 ? js('answer.content = "first draft"') : js('answer.content = "final"; answer.ready = true')));
    await runRlm({ repo: new WorkspaceRepo(dir), query: 'q', root: { provider }, onEvent: (e) => events.push(e) });
    const drafts = events.filter((e): e is Extract<RlmEvent, { type: 'answer-drafted' }> => e.type === 'answer-drafted');
    assert.deepEqual(drafts.map((d) => [d.text, d.chars]), [['first draft', 11], ['final', 5]]);
  });
});

describe('session: the memory bound', () => {
  test('limits the memory bound cannot hold are refused before anything starts, with what to give', () => {
    const provider = new ScriptedProvider(() => js('answer.content = "x"; answer.ready = true'));
    assert.throws(
      () => new RlmSession({ repo: new WorkspaceRepo(process.cwd()), root: { provider }, limits: { maxDepth: 3 } }),
      /A memory bound of 512 MiB is too small for 7 sandboxes at once .* Give at least 683 MiB/,
    );
    assert.throws(() => new RlmSession({ repo: new WorkspaceRepo(process.cwd()), root: { provider }, limits: { maxMemoryMb: 0 } }), /RangeError|must be/);
  });

  test('the root model is told what a cell may do, from the sandbox limits the bound gives', async () => {
    const provider = new ScriptedProvider(() => js('answer.content = "x"; answer.ready = true'));
    const session = new RlmSession({ repo: new WorkspaceRepo(process.cwd()), root: { provider } });
    try {
      await session.ask('What is here?');
    } finally {
      await session.dispose();
    }
    const system = provider.rootRequests[0]!.messages[0]!.content;
    assert.match(system, /uses too much memory \(96 MiB\)/);
    assert.match(system, /A cell may be up to 100,000 characters and make up to 1,000 repo\/llm\/rlm calls \(8 run at once, the\n  rest wait their turn\), whose arguments may total 10 MiB and whose results 192 MiB; typed arrays may\n  hold 48 MiB\./);
  });
});
