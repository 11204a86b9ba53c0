/**
 * repo.symbols / repo.definition / repo.references as host functions of a real session over a
 * real repo and sandbox. The language servers cannot run outside the editor, so their answers
 * come from a scripted LanguageIntelligence here; the e2e suite asks the real TypeScript server.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runRlm } from '../../src/core/engine/rlm';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { languageFunctions, LANGUAGE_LIMITS, type LanguageIntelligence } from '../../src/vscode/languageApi';
import { ScriptedProvider, js } from '../support/scriptedProvider';
import type { HostCallContext } from '../../src/core/sandbox/api';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rlm-lang-'));
  await mkdir(path.join(dir, 'src'));
  await writeFile(path.join(dir, 'src', 'a.ts'), 'export function start() {\n  return 1;\n}\n');
  await writeFile(path.join(dir, 'src', 'b.ts'), 'import { start } from "./a";\nstart();\nstart();\n');
});
after(() => rm(dir, { recursive: true, force: true }));

async function ask(intel: LanguageIntelligence, code: string, timeoutMs?: number) {
  const provider = new ScriptedProvider(({ turn }) => (turn === 0 ? js(code) : js('answer.content = "ok"; answer.ready = true')));
  const result = await runRlm({ repo: new WorkspaceRepo(dir), query: 'q', root: { provider }, hostFunctions: languageFunctions(intel, timeoutMs ? { timeoutMs } : {}) });
  return { output: provider.rootRequests[1]!.messages.at(-1)!.content, result };
}

const none: LanguageIntelligence = { symbols: async () => null, workspaceSymbols: async () => null, definitions: async () => null, references: async () => null };

describe('language functions in the REPL', () => {
  test('references come back as plain data with each line\'s text, read through the repo and cited', async () => {
    const intel: LanguageIntelligence = {
      ...none,
      workspaceSymbols: async (name) => (name === 'start' ? [{ path: 'src/a.ts', line: 1, column: 17, endLine: 3 }] : []),
      references: async (at) => {
        assert.deepEqual(at, { path: 'src/a.ts', line: 1, column: 17 }, 'asked where the workspace symbol is');
        return [
          { path: 'src/b.ts', line: 2, column: 1, endLine: 2 },
          { path: 'src/b.ts', line: 3, column: 1, endLine: 3 },
          { path: null, outside: 'lib.d.ts', line: 10, column: 1, endLine: 10 },
        ];
      },
    };
    const { output, result } = await ask(intel, 'print(JSON.stringify(await repo.references("start")))');
    assert.match(output, /"path":"src\/b\.ts","line":2,"column":1,"endLine":2,"text":"start\(\);"/);
    assert.match(output, /"path":null,"outside":"lib\.d\.ts","line":10,"column":1,"endLine":10,"text":null/);
    assert.deepEqual(result.citations, [{ path: 'src/b.ts', ranges: [{ start: 2, end: 3 }], via: ['read'], unsaved: false }]);
  });

  test('a name the servers\' symbol search does not find is located by its declaration, then asked about', async () => {
    const asked: unknown[] = [];
    const intel: LanguageIntelligence = {
      ...none,
      workspaceSymbols: async () => [],
      references: async (at) => {
        asked.push(at);
        return [{ path: 'src/b.ts', line: 2, column: 1, endLine: 2 }];
      },
    };
    const { output } = await ask(intel, 'print(JSON.stringify((await repo.references("start")).map((r) => r.path + ":" + r.line)))');
    assert.deepEqual(asked, [{ path: 'src/a.ts', line: 1, column: 17 }]);
    assert.match(output, /\["src\/b\.ts:2"\]/);
  });

  test('where no language server answers, the model is told to use grep', async () => {
    const { output } = await ask(none, 'try { await repo.symbols("src/a.ts") } catch (e) { print(e.message) }\ntry { await repo.definition({path: "src/b.ts", line: 2, column: 1}) } catch (e) { print(e.message) }');
    assert.match(output, /No language server answered for src\/a\.ts \(none may be installed or running for this language\)\. Use repo\.grep\(\) instead\./);
    assert.match(output, /No language server answered for src\/b\.ts:2:1/);
  });

  test('a position must name a path and a line; files outside the workspace view are refused before any server is asked', async () => {
    let asked = 0;
    const counting: LanguageIntelligence = { ...none, definitions: async () => (asked++, []), symbols: async () => (asked++, []), workspaceSymbols: async () => (asked++, []) };
    const { output } = await ask(
      counting,
      'for (const t of [{line: 3}, {path: "../x.ts", line: 1}]) { try { await repo.definition(t) } catch (e) { print(e.message) } }\ntry { await repo.symbols("nope.ts") } catch (e) { print(e.message) }',
    );
    assert.match(output, /repo\.definition: give a symbol name, or \{path, line, column\?\}/);
    assert.match(output, /outside the workspace/);
    assert.match(output, /No file "nope\.ts"/);
    assert.equal(asked, 0);
  });

  test('a language server that never answers is given up on at the deadline, and the model told to grep', async () => {
    let sawAbort = false;
    const stuck: LanguageIntelligence = {
      ...none,
      workspaceSymbols: async () => [{ path: 'src/a.ts', line: 1, column: 17, endLine: 3 }],
      references: (_t, signal) =>
        new Promise(() => {
          signal.addEventListener('abort', () => (sawAbort = true));
        }),
    };
    const { output } = await ask(stuck, 'try { await repo.references("start") } catch (e) { print(e.message) }', 50);
    assert.match(output, /The language server did not answer for "start" within 0\.05 s\. Use repo\.grep\(\) instead/);
    assert.equal(sawAbort, true, 'the request was told to stop');
  });

  test('a call whose cell has already ended tells the server to stop at once', async () => {
    let sawAbort: boolean | null = null;
    const stuck: LanguageIntelligence = {
      ...none,
      symbols: (_file, signal) =>
        new Promise(() => {
          sawAbort = signal.aborted;
        }),
    };
    const symbols = languageFunctions(stuck, { timeoutMs: 50 }).find((f) => f.name === 'repo.symbols')!;
    const ended = new AbortController();
    ended.abort();
    const ctx = { repo: new WorkspaceRepo(dir), signal: ended.signal, recordRead: () => undefined } as unknown as HostCallContext;
    await assert.rejects(symbols.handler(['src/a.ts'], ctx), /did not answer/);
    assert.equal(sawAbort, true, 'the request was made with an aborted signal');
  });

  test('results are bounded: symbols beyond the cap are counted, not shown', async () => {
    const many: LanguageIntelligence = {
      ...none,
      symbols: async () => Array.from({ length: LANGUAGE_LIMITS.symbols + 7 }, (_, i) => ({ name: `s${i}`, kind: 'Function', line: 1, endLine: 1 })),
    };
    const { output } = await ask(many, 'const s = await repo.symbols("src/a.ts"); print(s.length, JSON.stringify(s.at(-1)))');
    assert.match(output, new RegExp(`^Output:\\n${LANGUAGE_LIMITS.symbols + 1} \\{"note":"7 more symbols not shown"\\}`));
  });
});
