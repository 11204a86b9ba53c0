/**
 * The direct mode: the same files the RLM modes see, in listing order, up to the context
 * window less room for the answer, the cut said in the prompt; one call, retried with a
 * smaller window when the server says the prompt is too long.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DIRECT_SYSTEM_PROMPT, DirectRunError, buildDirectPrompt, runDirect } from '../../eval/direct';
import type { Completion, CompletionRequest, ModelProvider } from '../../src/core/providers/types';
import { ProviderError } from '../../src/core/providers/types';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { makeTempRepo, type TempRepo } from '../support/tempRepo';

let repo: TempRepo;
before(() => {
  repo = makeTempRepo({
    'a.ts': 'const a = 1;\n',
    'b/c.ts': `${'// filler line of the b/c module\n'.repeat(100)}`,
    'd.md': `${'Documentation line.\n'.repeat(50)}`,
    'logo.png': '\u0000\u0001binary',
    'ignored/x.ts': 'secret\n',
    '.gitignore': 'ignored/\n',
  });
});
after(() => repo.cleanup());

describe('direct prompt', () => {
  test('everything that fits, in listing order, binary and ignored files left out, then the question', async () => {
    const p = await buildDirectPrompt(new WorkspaceRepo(repo.root), 'What is a?', 100_000);
    assert.deepEqual(p.included, ['.gitignore', 'a.ts', 'b/c.ts', 'd.md']);
    assert.deepEqual(p.omitted, []);
    assert.match(p.user, /^Repository: rlm-repo-\w+\n\nFiles:\n\n=== \.gitignore ===\nignored\/\n\n=== a\.ts ===\nconst a = 1;\n\n=== b\/c\.ts ===\n/);
    assert.match(p.user, /\[All files of the repository are shown above\.\]\n\nQuestion: What is a\?$/);
    assert.doesNotMatch(p.user, /secret|binary/);
    assert.equal(p.fit.filesOmitted, 0);
  });

  test('a small window cuts the file at the budget and leaves the rest out, saying so', async () => {
    // 1,200 tokens: a quarter kept for the answer, the rest (less the fixed text) for files.
    const p = await buildDirectPrompt(new WorkspaceRepo(repo.root), 'What is a?', 1_200);
    assert.deepEqual(p.included, ['.gitignore', 'a.ts', 'b/c.ts']);
    assert.deepEqual(p.omitted, ['d.md']);
    assert.equal(p.cut?.path, 'b/c.ts');
    assert.ok(p.cut!.charsShown < p.cut!.chars && p.cut!.charsShown > 1000);
    assert.equal(p.fit.charsOmitted, p.cut!.chars - p.cut!.charsShown + 'Documentation line.\n'.length * 50);
    assert.match(p.user, /\[\.\.\. b\/c\.ts is cut here: [\d,]+ more characters did not fit \.\.\.\]/);
    assert.match(p.user, /\[The context window ended here: 1 more file and the rest of b\/c\.ts \([\d,]+ characters, about [\d,]+ tokens\) are not shown: d\.md\.\]/);
    assert.ok((DIRECT_SYSTEM_PROMPT.length + p.user.length) / 4 <= 1_200 * 0.75, 'the prompt stays inside the window less the answer room');
  });
});

describe('direct call', () => {
  function provider(script: Array<Error | string>): ModelProvider & { requests: CompletionRequest[] } {
    const requests: CompletionRequest[] = [];
    return {
      id: 'fake',
      defaultModel: 'm',
      maxInputTokens: () => 128_000,
      requests,
      async complete(request): Promise<Completion> {
        requests.push(request);
        const next = script.shift()!;
        if (next instanceof Error) throw next;
        return { text: next, usage: { inputTokens: 10, outputTokens: 2 }, model: 'm' };
      },
    };
  }

  test('a context-length refusal is retried with three quarters of the window', async () => {
    const p = provider([new ProviderError('context-length', 'too long'), 'FINAL ANSWER: 1']);
    const result = await runDirect({ provider: p, model: 'm', repo: new WorkspaceRepo(repo.root), query: 'What is a?', contextWindow: 1_600 });
    assert.equal(result.answer, 'FINAL ANSWER: 1');
    assert.deepEqual(result.trace.attempts.map((a) => [a.contextWindow, a.error]), [[1_600, 'too long'], [1_200, null]]);
    assert.equal(result.fit.contextWindow, 1_200);
    assert.ok(p.requests[1]!.messages[1]!.content.length < p.requests[0]!.messages[1]!.content.length);
    assert.equal(p.requests[0]!.messages[0]!.content, DIRECT_SYSTEM_PROMPT);
  });

  test('other failures carry the trace of what was tried', async () => {
    const p = provider([new ProviderError('auth', 'bad key')]);
    await assert.rejects(runDirect({ provider: p, model: 'm', repo: new WorkspaceRepo(repo.root), query: 'q', contextWindow: 4_000 }), (e: unknown) => {
      assert.ok(e instanceof DirectRunError);
      assert.equal((e.cause as ProviderError).kind, 'auth');
      assert.deepEqual(e.trace.attempts.map((a) => a.error), ['bad key']);
      return true;
    });
  });
});
