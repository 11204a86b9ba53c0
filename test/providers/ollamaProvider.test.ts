import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import { OLLAMA_DEFAULT_NUM_CTX, OllamaProvider, type OllamaProviderOptions } from '../../src/core/providers';
import { startFakeOllamaServer, type FakeOllamaServer } from '../support/fakeOllamaServer';
import type { ScriptedRequest } from '../support/scriptedModel';
import { REPLY, USER_MESSAGES, closedPort, expectProviderError, promptTokens, retryLog } from './helpers';

const GUARD = { timeout: 15_000 };

describe('OllamaProvider against a fake Ollama server', () => {
  let server: FakeOllamaServer;
  const seen: ScriptedRequest[] = [];

  before(async () => {
    server = await startFakeOllamaServer({
      knownModels: ['llama3.2', 'qwen2.5-coder:7b'],
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

  const provider = (options: Partial<OllamaProviderOptions> = {}): OllamaProvider =>
    new OllamaProvider({ host: server.url, model: 'llama3.2', retryBaseDelayMs: 5, timeoutMs: 5000, ...options });

  test('streams the reply: onText fragments in order, assembled text, usage, model, done reason', GUARD, async () => {
    const fragments: string[] = [];
    const result = await provider().complete({ messages: USER_MESSAGES, onText: (f) => fragments.push(f) });
    assert.equal(result.text, REPLY);
    assert.ok(fragments.length > 1, `expected several fragments, got ${fragments.length}`);
    assert.equal(fragments.join(''), REPLY);
    assert.deepEqual(result.usage, { inputTokens: promptTokens(USER_MESSAGES), outputTokens: Math.ceil(REPLY.length / 4) });
    assert.equal(result.model, 'llama3.2');
    assert.equal(result.finishReason, 'stop');
    assert.deepEqual(seen[0]!.messages, USER_MESSAGES);
    const record = server.requests[0]!;
    assert.equal(record.path, '/api/chat');
    assert.equal((record.body as { stream?: unknown }).stream, true);
  });

  test('always sends num_ctx (default 32768, or as configured), plus options and keep_alive', GUARD, async () => {
    await provider().complete({ messages: USER_MESSAGES });
    assert.equal(server.requests[0]!.numCtx, OLLAMA_DEFAULT_NUM_CTX);
    assert.equal(OLLAMA_DEFAULT_NUM_CTX, 32768);

    await provider({ numCtx: 65536, keepAlive: '10m' }).complete({
      messages: USER_MESSAGES,
      model: 'qwen2.5-coder:7b',
      temperature: 0.5,
      maxOutputTokens: 99,
    });
    const body = server.requests[1]!.body as { model: string; keep_alive?: string; options: Record<string, unknown> };
    assert.equal(server.requests[1]!.numCtx, 65536);
    assert.equal(body.model, 'qwen2.5-coder:7b');
    assert.equal(body.keep_alive, '10m');
    assert.equal(body.options.temperature, 0.5);
    assert.equal(body.options.num_predict, 99);
  });

  test('says how many input tokens its model takes: num_ctx', () => {
    assert.equal(new OllamaProvider({ model: 'm' }).maxInputTokens(), OLLAMA_DEFAULT_NUM_CTX);
    assert.equal(new OllamaProvider({ model: 'm', numCtx: 4_096 }).maxInputTokens(), 4_096);
  });

  test('a prompt clearly over numCtx is refused before sending, with kind context-length', GUARD, async () => {
    const error = await expectProviderError(
      provider({ numCtx: 100 }).complete({ messages: [{ role: 'user', content: 'x'.repeat(4000) }] }),
      'context-length',
    );
    assert.match(error.message, /num_ctx\) is 100/);
    assert.match(error.message, /bigger context/);
    assert.equal(error.details.fix, 'context-window');
    assert.equal(server.requests.length, 0);
  });

  test('the server saying the input is too long → kind context-length, not retried', GUARD, async () => {
    server.faults.push({ kind: 'context-length' });
    await expectProviderError(provider().complete({ messages: USER_MESSAGES }), 'context-length');
    assert.equal(server.requests.length, 1);
  });

  test('429 with Retry-After (seen through our fetch): waits the time asked, then succeeds', GUARD, async () => {
    server.faults.push({ kind: '429', retryAfterSeconds: 1 });
    const retries = retryLog();
    const result = await provider().complete({ messages: USER_MESSAGES, onRetry: retries.onRetry });
    assert.equal(result.text, REPLY);
    assert.equal(server.requests.length, 2);
    assert.equal(retries.calls.length, 1);
    assert.equal(retries.calls[0]!.delayMs, 1000);
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

  test('a connection dropped mid-stream is retried, and the retry streams the whole reply', GUARD, async () => {
    server.faults.push({ kind: 'drop-mid-stream' });
    const events: string[] = [];
    const result = await provider().complete({
      messages: USER_MESSAGES,
      onText: (f) => events.push(f),
      onRetry: () => events.push('<retry>'),
    });
    assert.equal(result.text, REPLY);
    assert.equal(server.requests.length, 2);
    const retryAt = events.indexOf('<retry>');
    assert.ok(retryAt > 0, 'some text streamed before the drop');
    assert.equal(events.slice(retryAt + 1).join(''), REPLY);
  });

  test('no response within the timeout → kind timeout', GUARD, async () => {
    server.faults.push({ kind: 'hang' });
    const error = await expectProviderError(provider({ timeoutMs: 300, maxRetries: 0 }).complete({ messages: USER_MESSAGES }), 'timeout');
    assert.match(error.message, /300 ms/);
    await server.requests[0]!.closed;
    assert.equal(server.requests[0]!.clientClosedEarly, true);
  });

  test('a stream that stalls past the idle timeout → kind timeout', GUARD, async () => {
    server.faults.push({ kind: 'hang', afterChunks: 2 });
    const fragments: string[] = [];
    await expectProviderError(
      provider({ timeoutMs: 300, maxRetries: 0 }).complete({ messages: USER_MESSAGES, onText: (f) => fragments.push(f) }),
      'timeout',
    );
    assert.equal(fragments.length, 2);
  });

  test('unknown model → kind model-not-found, telling to ollama pull it', GUARD, async () => {
    const error = await expectProviderError(provider({ model: 'mistral' }).complete({ messages: USER_MESSAGES }), 'model-not-found');
    assert.match(error.message, /"mistral"/);
    assert.match(error.message, /ollama pull mistral/);
    assert.equal(error.details.status, 404);
    assert.equal(server.requests.length, 1);
  });

  test('401 from a proxy in front of Ollama → kind auth, not retried', GUARD, async () => {
    server.faults.push({ kind: '401' });
    await expectProviderError(provider().complete({ messages: USER_MESSAGES }), 'auth');
    assert.equal(server.requests.length, 1);
  });

  test('closed port → kind unreachable after at most one retry, naming the host', GUARD, async () => {
    const port = await closedPort();
    const retries = retryLog();
    const error = await expectProviderError(
      new OllamaProvider({ host: `http://127.0.0.1:${port}`, model: 'llama3.2', retryBaseDelayMs: 5, maxRetries: 4 }).complete({
        messages: USER_MESSAGES,
        onRetry: retries.onRetry,
      }),
      'unreachable',
    );
    assert.match(error.message, new RegExp(`Cannot reach Ollama at http://127\\.0\\.0\\.1:${port} \\(connection refused\\)`));
    assert.match(error.message, /ollama serve/);
    assert.ok(retries.calls.length <= 1, `retried ${retries.calls.length} times`);
  });

  test('abort mid-stream → kind cancelled at once, and the server sees the connection close', GUARD, async () => {
    server.faults.push({ kind: 'hang', afterChunks: 1 });
    const controller = new AbortController();
    const fragments: string[] = [];
    await expectProviderError(
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
  });

  test('a non-JSON error page (a proxy in front of Ollama) → kind server with its text, and nothing logged', GUARD, async () => {
    let hits = 0;
    const proxy = http.createServer((_req, res) => {
      hits++;
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>502 Bad Gateway</html>');
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
    const logged: unknown[] = [];
    const original = console.log;
    console.log = (...args: unknown[]) => logged.push(args);
    try {
      const port = (proxy.address() as AddressInfo).port;
      const error = await expectProviderError(
        new OllamaProvider({ host: `http://127.0.0.1:${port}`, model: 'm', maxRetries: 1, retryBaseDelayMs: 5 }).complete({ messages: USER_MESSAGES }),
        'server',
      );
      assert.equal(error.details.status, 502);
      assert.match(error.message, /502 Bad Gateway/);
      assert.equal(hits, 2);
      assert.deepEqual(logged, []);
    } finally {
      console.log = original;
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });
});
