import * as assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { APIError } from 'openai';
import {
  ProviderError,
  backoffDelay,
  mapOllamaError,
  mapOpenAIError,
  parseRetryAfter,
  redact,
  withRetry,
  type ErrorContext,
  type ProviderErrorKind,
  type RetryInfo,
} from '../../src/core/providers';
import { expectProviderError } from './helpers';

const GUARD = { timeout: 10_000 };

function failing(kinds: ProviderErrorKind[], value = 'ok'): { fn: () => Promise<string>; calls: () => number } {
  let calls = 0;
  return {
    fn: async () => {
      const kind = kinds[calls++];
      if (kind) throw new ProviderError(kind, `failed with ${kind}`);
      return value;
    },
    calls: () => calls,
  };
}

const fast = { maxRetries: 4, baseDelayMs: 1, maxDelayMs: 10 };

describe('parseRetryAfter', () => {
  test('reads seconds, HTTP dates and retry-after-ms (which wins)', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '7' }), now), 7000);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '1.5' }), now), 1500);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Wed, 01 Jan 2025 00:00:30 GMT' }), now), 30_000);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'Tue, 31 Dec 2024 23:00:00 GMT' }), now), 0);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': '7', 'retry-after-ms': '250' }), now), 250);
    assert.equal(parseRetryAfter({ 'Retry-After': '3' }, now), 3000);
    assert.equal(parseRetryAfter(new Headers({ 'retry-after': 'soon' }), now), undefined);
    assert.equal(parseRetryAfter(new Headers(), now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

describe('backoffDelay', () => {
  test('doubles each attempt, jitters within [half, full), and is capped', () => {
    const opts = { baseDelayMs: 100, maxDelayMs: 1000 };
    assert.equal(backoffDelay(1, { ...opts, random: () => 0 }), 50);
    assert.equal(backoffDelay(1, { ...opts, random: () => 0.999999 }), 100);
    assert.equal(backoffDelay(3, { ...opts, random: () => 0 }), 200);
    assert.equal(backoffDelay(3, { ...opts, random: () => 0.5 }), 300);
    assert.equal(backoffDelay(10, { ...opts, random: () => 0.5 }), 1000);
  });
});

describe('withRetry', () => {
  for (const kind of ['rate-limit', 'server', 'timeout'] as const) {
    test(`retries ${kind} until success`, GUARD, async () => {
      const { fn, calls } = failing([kind, kind]);
      const retries: RetryInfo[] = [];
      assert.equal(await withRetry(fn, { ...fast, onRetry: (i) => retries.push(i) }), 'ok');
      assert.equal(calls(), 3);
      assert.deepEqual(
        retries.map((r) => r.attempt),
        [1, 2],
      );
      assert.equal(retries[0]!.reason, `failed with ${kind}`);
    });
  }

  for (const kind of ['auth', 'model-not-found', 'context-length', 'bad-request', 'bad-response', 'cancelled'] as const) {
    test(`does not retry ${kind}`, GUARD, async () => {
      const { fn, calls } = failing([kind]);
      await expectProviderError(withRetry(fn, fast), kind);
      assert.equal(calls(), 1);
    });
  }

  test('retries unreachable at most once', GUARD, async () => {
    const { fn, calls } = failing(['unreachable', 'unreachable', 'unreachable']);
    await expectProviderError(withRetry(fn, fast), 'unreachable');
    assert.equal(calls(), 2);
  });

  test('stops after maxRetries and rethrows the last error', GUARD, async () => {
    const { fn, calls } = failing(['server', 'server', 'server', 'server']);
    await expectProviderError(withRetry(fn, { ...fast, maxRetries: 2 }), 'server');
    assert.equal(calls(), 3);
  });

  test('never retries errors that are not ProviderErrors', GUARD, async () => {
    let calls = 0;
    const boom = new TypeError('bug');
    await assert.rejects(
      withRetry(async () => {
        calls++;
        throw boom;
      }, fast),
      (e) => e === boom,
    );
    assert.equal(calls, 1);
  });

  test('uses the Retry-After hint, capped at maxDelayMs', GUARD, async () => {
    let calls = 0;
    const delays: number[] = [];
    const result = await withRetry(
      async () => {
        calls++;
        if (calls === 1) throw new ProviderError('rate-limit', 'slow down', { retryAfterMs: 5 });
        if (calls === 2) throw new ProviderError('rate-limit', 'slow down', { retryAfterMs: 999_999 });
        return 'done';
      },
      { maxRetries: 4, baseDelayMs: 1000, maxDelayMs: 20, onRetry: (i) => delays.push(i.delayMs) },
    );
    assert.equal(result, 'done');
    assert.deepEqual(delays, [5, 20]);
  });

  test('an abort during the wait rejects at once with kind cancelled', GUARD, async () => {
    const controller = new AbortController();
    const { fn, calls } = failing(['server', 'server']);
    await expectProviderError(
      withRetry(fn, { maxRetries: 4, baseDelayMs: 600_000, maxDelayMs: 600_000, signal: controller.signal, onRetry: () => controller.abort() }),
      'cancelled',
    );
    assert.equal(calls(), 1);
  });

  test('an already-aborted signal runs nothing', GUARD, async () => {
    const { fn, calls } = failing([]);
    await expectProviderError(withRetry(fn, { ...fast, signal: AbortSignal.abort() }), 'cancelled');
    assert.equal(calls(), 0);
  });
});

describe('error mapping', () => {
  const ctx: ErrorContext = { provider: 'openai', endpoint: 'http://127.0.0.1:1234/v1', model: 'm', timeoutMs: 1000, apiKey: 'sk-secret-abcdefghijkl' };

  test('redact removes the configured key and sk- keys', () => {
    assert.equal(redact('key sk-secret-abcdefghijkl here', 'sk-secret-abcdefghijkl'), 'key *** here');
    assert.ok(!redact('Incorrect API key provided: sk-proj-ABCDEFGHIJKLMNOP').includes('ABCDEFGHIJKLMNOP'));
  });

  test('no message ever contains the API key, whatever the server says', () => {
    const mapped = mapOllamaError(Object.assign(new Error('echo sk-secret-abcdefghijkl'), { name: 'ResponseError', status_code: 400 }), {
      ...ctx,
      provider: 'ollama',
    });
    assert.equal(mapped.kind, 'bad-request');
    assert.ok(!mapped.message.includes('sk-secret-abcdefghijkl'), mapped.message);
    const openai = mapOpenAIError(APIError.generate(400, { error: { message: 'your key sk-secret-abcdefghijkl is odd' } }, undefined, new Headers()), ctx);
    assert.equal(openai.kind, 'bad-request');
    assert.ok(!openai.message.includes('sk-secret-abcdefghijkl'), openai.message);
  });

  test('"maximum context length" without an error code is still context-length', () => {
    const error = mapOllamaError(Object.assign(new Error('prompt exceeds maximum context length of 4096'), { name: 'ResponseError', status_code: 500 }), {
      ...ctx,
      provider: 'ollama',
    });
    assert.equal(error.kind, 'context-length');
  });

  test('Ollama 404 "model not found" names the model and ollama pull', () => {
    const error = mapOllamaError(
      Object.assign(new Error('model "phi4" not found, try pulling it first'), { name: 'ResponseError', status_code: 404 }),
      { ...ctx, provider: 'ollama', endpoint: 'http://127.0.0.1:11434', model: 'phi4' },
    );
    assert.equal(error.kind, 'model-not-found');
    assert.match(error.message, /ollama pull phi4/);
  });

  test('an error event inside an OpenAI stream keeps its meaning', () => {
    const streamed = new APIError(undefined, { message: "This model's maximum context length is 4096 tokens" }, undefined, undefined);
    assert.equal(mapOpenAIError(streamed, ctx).kind, 'context-length');
    const other = new APIError(undefined, { message: 'overloaded' }, undefined, undefined);
    assert.equal(mapOpenAIError(other, ctx).kind, 'server');
  });

  test("the Retry-After hint travels in the mapped error's details", () => {
    const limited = APIError.generate(429, { error: { message: 'slow down' } }, undefined, new Headers({ 'retry-after': '2' }));
    const mapped = mapOpenAIError(limited, ctx);
    assert.equal(mapped.kind, 'rate-limit');
    assert.equal(mapped.details.retryAfterMs, 2000);
  });
});
