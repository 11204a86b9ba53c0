/**
 * The VS Code language-model adapter against a fake `LanguageModelChat` (the editor is not
 * running here): message folding, streaming, token counting, cancellation, error mapping
 * and retries through the core's policy.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as vscode from 'vscode';
import { LanguageModelProvider, foldMessages, mapLanguageModelError, type LmApi } from '../../src/vscode/lmProvider';
import { ProviderError } from '../../src/core/providers/types';

/** Stand-ins for the two vscode classes the adapter uses: plain data, as the editor's are. */
class FakeTokenSource {
  private listeners: Array<() => void> = [];
  token = {
    isCancellationRequested: false,
    // Like VS Code's: a listener added after cancellation is called at once.
    onCancellationRequested: (fn: () => void) => {
      if (this.token.isCancellationRequested) queueMicrotask(fn);
      else this.listeners.push(fn);
      return { dispose() {} };
    },
  };
  cancel() {
    this.token.isCancellationRequested = true;
    this.listeners.forEach((l) => l());
  }
  dispose() {}
}

const api: LmApi = {
  LanguageModelChatMessage: {
    User: (content: string) => ({ role: 1, content, name: undefined }) as unknown as vscode.LanguageModelChatMessage,
    Assistant: (content: string) => ({ role: 2, content, name: undefined }) as unknown as vscode.LanguageModelChatMessage,
  } as LmApi['LanguageModelChatMessage'],
  CancellationTokenSource: FakeTokenSource as unknown as LmApi['CancellationTokenSource'],
};

class LmError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

interface Sent {
  messages: Array<{ role: number; content: string }>;
  justification?: string;
}

function fakeChat(reply: (sent: Sent, token: vscode.CancellationToken) => AsyncIterable<string> | Promise<AsyncIterable<string>>): vscode.LanguageModelChat & { sent: Sent[] } {
  const sent: Sent[] = [];
  return {
    id: 'copilot-gpt-test',
    name: 'GPT Test',
    vendor: 'copilot',
    family: 'gpt-test',
    version: '1',
    maxInputTokens: 64_000,
    sent,
    async sendRequest(messages: unknown, options: { justification?: string }, token: vscode.CancellationToken) {
      const s = { messages: messages as Sent['messages'], justification: options?.justification };
      sent.push(s);
      const text = await reply(s, token);
      return { text, stream: text } as unknown as vscode.LanguageModelChatResponse;
    },
    async countTokens(text: string | vscode.LanguageModelChatMessage) {
      return Math.ceil((typeof text === 'string' ? text : '').length / 3);
    },
  } as unknown as vscode.LanguageModelChat & { sent: Sent[] };
}

async function* chunks(...parts: string[]): AsyncIterable<string> {
  for (const p of parts) yield p;
}

describe('VS Code model adapter', () => {
  test('the system prompt is folded into the first user message; roles and order are kept', () => {
    const folded = foldMessages(api, [
      { role: 'system', content: 'SYSTEM RULES' },
      { role: 'user', content: 'question' },
      { role: 'assistant', content: 'code' },
      { role: 'user', content: 'output' },
    ]) as unknown as Array<{ role: number; content: string }>;
    assert.deepEqual(folded.map((m) => m.role), [1, 2, 1]);
    assert.equal(folded[0]!.content, 'SYSTEM RULES\n\n---\n\nquestion');
    assert.equal(folded[2]!.content, 'output');
  });

  test('a system prompt with no user message after it still reaches the model, as a user message', () => {
    const folded = foldMessages(api, [{ role: 'system', content: 'only rules' }]) as unknown as Array<{ role: number; content: string }>;
    assert.deepEqual(folded, [{ role: 1, content: 'only rules\n\n---', name: undefined }]);
  });

  test('streams the text, asks with a justification, and counts tokens with the model (marked estimated)', async () => {
    const chat = fakeChat(() => chunks('Hel', 'lo'));
    const provider = new LanguageModelProvider(api, chat);
    const fragments: string[] = [];
    const result = await provider.complete({ messages: [{ role: 'system', content: 's'.repeat(30) }, { role: 'user', content: 'u'.repeat(30) }], onText: (f) => fragments.push(f) });
    assert.equal(result.text, 'Hello');
    assert.deepEqual(fragments, ['Hel', 'lo']);
    assert.deepEqual(result.usage, { inputTokens: Math.ceil(61 / 3), outputTokens: 2, estimated: true });
    assert.match(chat.sent[0]!.justification ?? '', /RLM explores your workspace/);
    assert.equal(provider.defaultModel, 'copilot-gpt-test');
    assert.equal(provider.maxInputTokens(), 64_000);
  });

  test('aborting the engine\'s signal cancels the token and ends the request as cancelled', async () => {
    const controller = new AbortController();
    let sawCancel = false;
    const chat = fakeChat((_sent, token) =>
      (async function* () {
        yield 'first';
        controller.abort();
        await new Promise<void>((resolve) => token.onCancellationRequested(() => resolve()));
        sawCancel = token.isCancellationRequested;
        yield 'never shown';
      })(),
    );
    const fragments: string[] = [];
    await assert.rejects(
      new LanguageModelProvider(api, chat).complete({ messages: [{ role: 'user', content: 'q' }], signal: controller.signal, onText: (f) => fragments.push(f) }),
      (e: unknown) => e instanceof ProviderError && e.kind === 'cancelled',
    );
    assert.equal(sawCancel, true);
    assert.deepEqual(fragments, ['first']);
  });

  test('LanguageModelError codes map to the core\'s kinds, with what to do', () => {
    const chat = { id: 'm', name: 'GPT Test' };
    const cases: Array<[unknown, string, RegExp]> = [
      [new LmError('NoPermissions', 'denied'), 'auth', /did not allow RLM to use GPT Test.*Allow it when VS Code asks/],
      [new LmError('NotFound', 'gone'), 'model-not-found', /no longer available.*Pick another model/],
      [new LmError('Blocked', 'quota exceeded'), 'rate-limit', /refused the request for now \(rate limit or quota/],
      [new Error('Request failed: 429 Too Many Requests'), 'rate-limit', /rate limit/],
      [new Error('prompt is too long: token limit'), 'context-length', /too long for GPT Test/],
      [new Error('something odd'), 'server', /GPT Test failed: something odd/],
    ];
    for (const [error, kind, message] of cases) {
      const mapped = mapLanguageModelError(error, chat);
      assert.equal(mapped.kind, kind, String(error));
      assert.match(mapped.message, message);
      assert.equal(mapped.details.provider, 'vscode');
    }
  });

  test('a blocked (rate-limited) request is retried with backoff, and the retry is reported', async () => {
    let calls = 0;
    const chat = fakeChat(() => {
      calls++;
      if (calls === 1) return Promise.reject(new LmError('Blocked', 'rate limited'));
      return Promise.resolve(chunks('ok'));
    });
    const retries: number[] = [];
    const provider = new LanguageModelProvider(api, chat, { justification: 'j', retryBaseDelayMs: 1, maxRetryDelayMs: 2 });
    const result = await provider.complete({ messages: [{ role: 'user', content: 'q' }], onRetry: (r) => retries.push(r.attempt) });
    assert.equal(result.text, 'ok');
    assert.deepEqual(retries, [1]);
  });

  test('consent refused is not retried', async () => {
    let calls = 0;
    const chat = fakeChat(() => {
      calls++;
      return Promise.reject(new LmError('NoPermissions', 'no'));
    });
    await assert.rejects(new LanguageModelProvider(api, chat, { justification: 'j', retryBaseDelayMs: 1 }).complete({ messages: [{ role: 'user', content: 'q' }] }), /did not allow/);
    assert.equal(calls, 1);
  });

  test('a request naming another model resolves it, or says which names work', async () => {
    const main = fakeChat(() => chunks('main'));
    const small = { ...fakeChat(() => chunks('small')), id: 'copilot-small', family: 'small-fam', maxInputTokens: 8_000 } as vscode.LanguageModelChat;
    const provider = new LanguageModelProvider(api, main, { justification: 'j', resolve: async (name) => (name === 'small-fam' ? small : undefined) });
    assert.equal((await provider.complete({ messages: [{ role: 'user', content: 'q' }], model: 'small-fam' })).text, 'small');
    assert.equal(provider.maxInputTokens('small-fam'), 8_000);
    await assert.rejects(provider.complete({ messages: [{ role: 'user', content: 'q' }], model: 'nope' }), (e: unknown) => e instanceof ProviderError && e.kind === 'model-not-found' && /No chat model "nope"/.test(e.message));
  });
});
