import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Ollama } from 'ollama';
import OpenAI from 'openai';
import { startFakeOllamaServer } from '../support/fakeOllamaServer';
import { startFakeOpenAIServer } from '../support/fakeOpenAIServer';
import { REPLY, USER_MESSAGES, promptTokens } from './helpers';

const GUARD = { timeout: 10_000 };

describe('fake OpenAI server (through the real openai SDK)', () => {
  test('non-streaming chat completion, model list, and a request log without the key', GUARD, async () => {
    const server = await startFakeOpenAIServer({ model: (req) => `echo: ${req.messages.at(-1)?.content}`, apiKey: 'sk-test-key-000000' });
    try {
      const client = new OpenAI({ baseURL: server.url, apiKey: 'sk-test-key-000000', maxRetries: 0 });
      const completion = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'ping' }] });
      assert.equal(completion.choices[0]!.message.content, 'echo: ping');
      assert.equal(completion.choices[0]!.finish_reason, 'stop');
      assert.deepEqual(completion.usage, { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 });
      const models = await client.models.list();
      assert.deepEqual(
        models.data.map((m) => m.id),
        ['scripted-model'],
      );
      const record = server.requests[0]!;
      assert.equal(record.method, 'POST');
      assert.equal(record.path, '/v1/chat/completions');
      assert.equal(record.hasAuthorization, true);
      assert.equal(record.headers.authorization, '<present>');
      assert.ok(!JSON.stringify(record.headers).includes('sk-test-key-000000'));
    } finally {
      await server.close();
    }
  });

  test('streaming sends several chunks, a usage chunk only when asked, then [DONE]', GUARD, async () => {
    const server = await startFakeOpenAIServer({ model: () => REPLY });
    try {
      const client = new OpenAI({ baseURL: server.url, apiKey: 'x', maxRetries: 0 });
      for (const includeUsage of [true, false]) {
        const stream = await client.chat.completions.create({
          model: 'm',
          messages: USER_MESSAGES,
          stream: true,
          ...(includeUsage ? { stream_options: { include_usage: true } } : {}),
        });
        let text = '';
        let contentChunks = 0;
        let usageChunks = 0;
        for await (const chunk of stream) {
          const content = chunk.choices[0]?.delta.content;
          if (content) {
            text += content;
            contentChunks++;
          }
          if (chunk.usage) {
            usageChunks++;
            assert.equal(chunk.usage.prompt_tokens, promptTokens(USER_MESSAGES));
          }
        }
        assert.equal(text, REPLY);
        assert.ok(contentChunks > 1);
        assert.equal(usageChunks, includeUsage ? 1 : 0);
      }
    } finally {
      await server.close();
    }
  });

  test('close() ends hung requests, so the process can exit', GUARD, async () => {
    const server = await startFakeOpenAIServer({ model: () => REPLY });
    server.faults.push({ kind: 'hang' });
    const client = new OpenAI({ baseURL: server.url, apiKey: 'x', maxRetries: 0, timeout: 60_000 });
    const pending = client.chat.completions.create({ model: 'm', messages: USER_MESSAGES });
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await server.close();
    await assert.rejects(pending);
  });
});

describe('fake Ollama server (through the real ollama SDK)', () => {
  test('tags, version, show, non-streaming chat with num_ctx recorded, and 404 for unknown models', GUARD, async () => {
    const server = await startFakeOllamaServer({ model: () => 'pong', knownModels: ['llama3.2'] });
    try {
      const client = new Ollama({ host: server.url });
      assert.deepEqual(
        (await client.list()).models.map((m) => m.name),
        ['llama3.2:latest'],
      );
      assert.match((await client.version()).version, /fake/);
      const shown = await client.show({ model: 'llama3.2' });
      assert.equal((shown.model_info as unknown as Record<string, unknown>)['llama.context_length'], 131072);

      const reply = await client.chat({ model: 'llama3.2', messages: [{ role: 'user', content: 'ping' }], stream: false, options: { num_ctx: 4096 } });
      assert.equal(reply.message.content, 'pong');
      assert.equal(reply.done, true);
      assert.equal(reply.prompt_eval_count, 1);
      assert.equal(reply.eval_count, 1);
      assert.equal(server.requests.at(-1)!.numCtx, 4096);

      await assert.rejects(client.chat({ model: 'nope', messages: [], stream: false }), (error: unknown) => {
        assert.equal((error as { status_code?: number }).status_code, 404);
        assert.equal((error as Error).message, 'model "nope" not found, try pulling it first');
        return true;
      });
      await assert.rejects(client.show({ model: 'nope' }), /not found/);
    } finally {
      await server.close();
    }
  });

  test('streaming sends NDJSON fragments and a final done object with counts', GUARD, async () => {
    const server = await startFakeOllamaServer({ model: () => REPLY });
    try {
      const client = new Ollama({ host: server.url });
      const stream = await client.chat({ model: 'anything', messages: USER_MESSAGES, stream: true });
      let text = '';
      let parts = 0;
      let last: { done: boolean; done_reason: string; prompt_eval_count: number; eval_count: number } | undefined;
      for await (const part of stream) {
        text += part.message.content;
        parts++;
        last = part;
      }
      assert.equal(text, REPLY);
      assert.ok(parts > 2);
      assert.equal(last?.done, true);
      assert.equal(last?.done_reason, 'stop');
      assert.equal(last?.prompt_eval_count, promptTokens(USER_MESSAGES));
      assert.equal(last?.eval_count, Math.ceil(REPLY.length / 4));
    } finally {
      await server.close();
    }
  });
});
