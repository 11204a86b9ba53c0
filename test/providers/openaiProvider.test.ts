import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { OpenAIProvider, PLACEHOLDER_API_KEY, type OpenAIProviderOptions } from '../../src/core/providers';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../support/fakeOpenAIServer';
import type { ScriptedRequest } from '../support/scriptedModel';
import { REPLY, USER_MESSAGES, closedPort, expectProviderError, promptTokens, retryLog } from './helpers';

const GUARD = { timeout: 15_000 };

describe('OpenAIProvider against a fake OpenAI-compatible server', () => {
  let server: FakeOpenAIServer;
  const seen: ScriptedRequest[] = [];

  before(async () => {
    server = await startFakeOpenAIServer({
      model: (req) => {
        seen.push(req);
        return REPLY;
      },
    });
  });
  after(() => server.close());
  afterEach(() => {
    server.requests.length = 0;
    server.faults.length = 0;
    seen.length = 0;
  });

  const provider = (options: Partial<OpenAIProviderOptions> = {}): OpenAIProvider =>
    new OpenAIProvider({ baseURL: server.url, model: 'scripted-model', retryBaseDelayMs: 5, timeoutMs: 5000, ...options });

  test('streams the reply: onText fragments in order, assembled text, usage, model and finish reason', GUARD, async () => {
    const fragments: string[] = [];
    const result = await provider().complete({ messages: USER_MESSAGES, onText: (f) => fragments.push(f) });

    assert.equal(result.text, REPLY);
    assert.ok(fragments.length > 1, `expected several fragments, got ${fragments.length}`);
    assert.equal(fragments.join(''), REPLY);
    assert.deepEqual(result.usage, { inputTokens: promptTokens(USER_MESSAGES), outputTokens: Math.ceil(REPLY.length / 4) });
    assert.equal(result.model, 'scripted-model');
    assert.equal(result.finishReason, 'stop');

    assert.equal(server.requests.length, 1);
    const body = server.requests[0]!.body as Record<string, unknown>;
    assert.equal(body.stream, true);
    assert.deepEqual(body.stream_options, { include_usage: true });
    assert.deepEqual(seen[0]!.messages, USER_MESSAGES);
  });

  test('passes model override, temperature, max tokens and extra headers', GUARD, async () => {
    const result = await provider({ extraHeaders: { 'x-rlm-test': 'yes' } }).complete({
      messages: USER_MESSAGES,
      model: 'other-model',
      temperature: 0.25,
      maxOutputTokens: 77,
    });
    assert.equal(result.model, 'other-model');
    const record = server.requests[0]!;
    const body = record.body as Record<string, unknown>;
    assert.equal(body.model, 'other-model');
    assert.equal(body.temperature, 0.25);
    assert.equal(body.max_tokens, 77);
    assert.equal(record.headers['x-rlm-test'], 'yes');
  });

  test('says how many input tokens its model takes: the configured figure, else 128,000', () => {
    assert.equal(new OpenAIProvider({ model: 'm' }).maxInputTokens(), 128_000);
    assert.equal(new OpenAIProvider({ model: 'm', contextTokens: 8_192 }).maxInputTokens(), 8_192);
  });

  test('sends a placeholder key when none is configured', GUARD, async () => {
    let authorization: string | undefined;
    const result = await provider({
      fetch: (input, init) => {
        authorization = new Headers(init?.headers).get('authorization') ?? undefined;
        return fetch(input, init);
      },
    }).complete({ messages: USER_MESSAGES });
    assert.equal(result.text, REPLY);
    assert.equal(server.requests[0]!.hasAuthorization, true);
    assert.equal(authorization, `Bearer ${PLACEHOLDER_API_KEY}`);
  });

  test('estimates usage when the server reports none', GUARD, async () => {
    const quiet = await startFakeOpenAIServer({ model: () => REPLY, omitUsage: true });
    try {
      const result = await new OpenAIProvider({ baseURL: quiet.url, model: 'm' }).complete({ messages: USER_MESSAGES });
      assert.equal(result.text, REPLY);
      assert.equal(result.usage.estimated, true);
      assert.equal(result.usage.inputTokens, promptTokens(USER_MESSAGES));
      assert.equal(result.usage.outputTokens, Math.ceil(REPLY.length / 4));
    } finally {
      await quiet.close();
    }
  });

  test('429 with Retry-After: waits the time the header asks for, then succeeds', GUARD, async () => {
    server.faults.push({ kind: '429', retryAfterSeconds: 1 });
    const retries = retryLog();
    const result = await provider().complete({ messages: USER_MESSAGES, onRetry: retries.onRetry });
    assert.equal(result.text, REPLY);
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0]!.fault?.kind, '429');
    assert.equal(retries.calls.length, 1);
    assert.equal(retries.calls[0]!.delayMs, 1000);
    assert.equal(retries.calls[0]!.attempt, 1);
    assert.match(retries.calls[0]!.reason, /429/);
  });

  test('retry-after-ms is honoured, and a long Retry-After is capped at maxRetryDelayMs', GUARD, async () => {
    server.faults.push({ kind: '429', retryAfterMs: 40 }, { kind: '429', retryAfterSeconds: 3600 });
    const retries = retryLog();
    const result = await provider({ maxRetryDelayMs: 30 }).complete({ messages: USER_MESSAGES, onRetry: retries.onRetry });
    assert.equal(result.text, REPLY);
    assert.deepEqual(
      retries.calls.map((c) => c.delayMs),
      [30, 30],
    );
    const uncapped = retryLog();
    server.faults.push({ kind: '429', retryAfterMs: 40 });
    await provider().complete({ messages: USER_MESSAGES, onRetry: uncapped.onRetry });
    assert.deepEqual(
      uncapped.calls.map((c) => c.delayMs),
      [40],
    );
  });

  test('500 then success', GUARD, async () => {
    server.faults.push({ kind: '500' });
    const retries = retryLog();
    const result = await provider().complete({ messages: USER_MESSAGES, onRetry: retries.onRetry });
    assert.equal(result.text, REPLY);
    assert.equal(server.requests.length, 2);
    assert.equal(retries.calls.length, 1);
    assert.match(retries.calls[0]!.reason, /500/);
  });

  test('persistent 500s: gives up after maxRetries with kind server', GUARD, async () => {
    server.faults.push({ kind: '500' }, { kind: '500' }, { kind: '500' });
    const error = await expectProviderError(provider({ maxRetries: 2 }).complete({ messages: USER_MESSAGES }), 'server');
    assert.equal(error.details.status, 500);
    assert.equal(server.requests.length, 3);
  });

  test('a connection dropped mid-stream is retried, and the retry streams the whole reply', GUARD, async () => {
    server.faults.push({ kind: 'drop-mid-stream' });
    const events: string[] = [];
    const result = await provider().complete({
      messages: USER_MESSAGES,
      onText: (f) => events.push(f),
      onRetry: (info) => events.push(`<retry:${info.reason}>`),
    });
    assert.equal(result.text, REPLY);
    assert.equal(server.requests.length, 2);
    assert.equal(server.requests[0]!.fault?.kind, 'drop-mid-stream');
    const retryAt = events.findIndex((e) => e.startsWith('<retry:'));
    assert.ok(retryAt > 0, 'some text streamed before the drop, then onRetry was called');
    assert.match(events[retryAt]!, /lost before the reply was complete/);
    assert.equal(events.slice(retryAt + 1).join(''), REPLY);
    assert.ok(REPLY.startsWith(events.slice(0, retryAt).join('')));
  });

  test('no response within the timeout → kind timeout, naming the timeout', GUARD, async () => {
    server.faults.push({ kind: 'hang' });
    const error = await expectProviderError(provider({ timeoutMs: 300, maxRetries: 0 }).complete({ messages: USER_MESSAGES }), 'timeout');
    assert.match(error.message, /300 ms/);
    await server.requests[0]!.closed;
    assert.equal(server.requests[0]!.clientClosedEarly, true);
  });

  test('a stream that stalls past the idle timeout is abandoned and retried', GUARD, async () => {
    server.faults.push({ kind: 'hang', afterChunks: 1 });
    const retries = retryLog();
    const result = await provider({ timeoutMs: 300, maxRetries: 1 }).complete({ messages: USER_MESSAGES, onRetry: retries.onRetry });
    assert.equal(result.text, REPLY);
    assert.equal(retries.calls.length, 1);
    assert.match(retries.calls[0]!.reason, /timed out/);
    assert.equal(server.requests[0]!.clientClosedEarly, true);
  });

  test('wrong API key → kind auth, actionable, without the key, not retried', GUARD, async () => {
    const secured = await startFakeOpenAIServer({ model: () => REPLY, apiKey: 'sk-right-key-0123456789' });
    try {
      const error = await expectProviderError(
        new OpenAIProvider({ baseURL: secured.url, model: 'm', apiKey: 'sk-wrong-key-9876543210', retryBaseDelayMs: 5 }).complete({
          messages: USER_MESSAGES,
        }),
        'auth',
      );
      assert.equal(error.details.status, 401);
      assert.match(error.message, /rejected the API key \(401\)/);
      assert.equal(error.details.fix, 'api-key', 'the front end is told which setting to name');
      assert.doesNotMatch(error.message, /OPENAI_API_KEY|--/, 'the core names no CLI flag or environment variable');
      assert.ok(!error.message.includes('sk-wrong-key-9876543210'), error.message);
      assert.ok(!error.message.includes('9876543210'), error.message);
      assert.equal(secured.requests.length, 1);

      const none = await expectProviderError(new OpenAIProvider({ baseURL: secured.url, model: 'm' }).complete({ messages: USER_MESSAGES }), 'auth');
      assert.match(none.message, /none was given/);
    } finally {
      await secured.close();
    }
  });

  test('unknown model → kind model-not-found naming the model', GUARD, async () => {
    const picky = await startFakeOpenAIServer({ model: () => REPLY, knownModels: ['real-model'] });
    try {
      const error = await expectProviderError(
        new OpenAIProvider({ baseURL: picky.url, model: 'no-such-model' }).complete({ messages: USER_MESSAGES }),
        'model-not-found',
      );
      assert.match(error.message, /"no-such-model"/);
      assert.equal(picky.requests.length, 1);
    } finally {
      await picky.close();
    }
    server.faults.push({ kind: '404-model' });
    await expectProviderError(provider().complete({ messages: USER_MESSAGES }), 'model-not-found');
  });

  test('context too long → kind context-length, not retried', GUARD, async () => {
    server.faults.push({ kind: 'context-length' });
    const error = await expectProviderError(provider().complete({ messages: USER_MESSAGES }), 'context-length');
    assert.match(error.message, /maximum context length/);
    assert.equal(server.requests.length, 1);
  });

  test('closed port → kind unreachable after at most one retry, with what to do', GUARD, async () => {
    const port = await closedPort();
    const retries = retryLog();
    const error = await expectProviderError(
      new OpenAIProvider({ baseURL: `http://127.0.0.1:${port}/v1`, model: 'm', retryBaseDelayMs: 5, maxRetries: 4 }).complete({
        messages: USER_MESSAGES,
        onRetry: retries.onRetry,
      }),
      'unreachable',
    );
    assert.equal(
      error.message,
      `Cannot reach the OpenAI-compatible server at http://127.0.0.1:${port}/v1 (connection refused). Is it running, and is the base URL right?`,
    );
    assert.equal(error.details.fix, 'base-url');
    assert.ok(retries.calls.length <= 1, `retried ${retries.calls.length} times`);
  });

  test('abort mid-stream → kind cancelled at once, and the server sees the connection close', GUARD, async () => {
    server.faults.push({ kind: 'hang', afterChunks: 1 });
    const controller = new AbortController();
    const fragments: string[] = [];
    const error = await expectProviderError(
      provider({ timeoutMs: 60_000 }).complete({
        messages: USER_MESSAGES,
        signal: controller.signal,
        onText: (f) => {
          fragments.push(f);
          controller.abort();
        },
      }),
      'cancelled',
    );
    assert.equal(fragments.length, 1);
    assert.equal(error.kind, 'cancelled');
    await server.requests[0]!.closed;
    assert.equal(server.requests[0]!.clientClosedEarly, true);
    assert.equal(server.requests.length, 1);
  });

  test('abort before the response headers → kind cancelled, and the server sees the connection close', GUARD, async () => {
    server.faults.push({ kind: 'hang' });
    const controller = new AbortController();
    const pending = provider({ timeoutMs: 60_000 }).complete({ messages: USER_MESSAGES, signal: controller.signal });
    while (server.requests.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    await expectProviderError(pending, 'cancelled');
    await server.requests[0]!.closed;
    assert.equal(server.requests[0]!.clientClosedEarly, true);
    assert.equal(server.requests.length, 1);
  });

  test('abort while waiting to retry → kind cancelled without waiting out Retry-After', GUARD, async () => {
    server.faults.push({ kind: '429', retryAfterSeconds: 3600 });
    const controller = new AbortController();
    const retries: number[] = [];
    await expectProviderError(
      provider({ maxRetryDelayMs: 3_600_000 }).complete({
        messages: USER_MESSAGES,
        signal: controller.signal,
        onRetry: (info) => {
          retries.push(info.delayMs);
          controller.abort();
        },
      }),
      'cancelled',
    );
    assert.deepEqual(retries, [3_600_000]);
    assert.equal(server.requests.length, 1);
  });

  test('an already-aborted signal sends nothing', GUARD, async () => {
    await expectProviderError(provider().complete({ messages: USER_MESSAGES, signal: AbortSignal.abort() }), 'cancelled');
    assert.equal(server.requests.length, 0);
  });

  test('an exception thrown by onText reaches the caller unchanged and is not retried', GUARD, async () => {
    const boom = new Error('consumer failed');
    await assert.rejects(
      provider().complete({
        messages: USER_MESSAGES,
        onText: () => {
          throw boom;
        },
      }),
      (error) => error === boom,
    );
    assert.equal(server.requests.length, 1);
  });

  test('a server that ignores stream: true → kind bad-response, not retried', GUARD, async () => {
    let hits = 0;
    const plain = http.createServer((_req, res) => {
      hits++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: 'x', object: 'chat.completion', choices: [{ index: 0, message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] }));
    });
    await new Promise<void>((resolve) => plain.listen(0, '127.0.0.1', () => resolve()));
    try {
      const port = (plain.address() as AddressInfo).port;
      const error = await expectProviderError(
        new OpenAIProvider({ baseURL: `http://127.0.0.1:${port}/v1`, model: 'm', retryBaseDelayMs: 5 }).complete({ messages: USER_MESSAGES }),
        'bad-response',
      );
      assert.match(error.message, /streaming/);
      assert.equal(hits, 1);
    } finally {
      plain.closeAllConnections();
      await new Promise<void>((resolve) => plain.close(() => resolve()));
    }
  });

  test('credentials in the base URL are not shown in messages', GUARD, async () => {
    const port = await closedPort();
    const error = await expectProviderError(
      new OpenAIProvider({ baseURL: `http://user:hunter2@127.0.0.1:${port}/v1`, model: 'm', maxRetries: 0 }).complete({ messages: USER_MESSAGES }),
      'unreachable',
    );
    assert.ok(!error.message.includes('hunter2'), error.message);
    assert.match(error.message, new RegExp(`http://127\\.0\\.0\\.1:${port}/v1`));
  });
});
