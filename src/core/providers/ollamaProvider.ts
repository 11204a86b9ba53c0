/**
 * A local (or remote) Ollama server through the official `ollama` SDK, streaming from `/api/chat`.
 *
 * Always sends `options.num_ctx`: Ollama's default context is small and it silently drops the
 * start of a prompt that does not fit. A prompt that clearly cannot fit is refused up front.
 *
 * The SDK is given a fetch of ours, per attempt, that wires in this attempt's abort signal
 * (caller cancellation and idle timeout) and records the response status and headers, so that
 * `Retry-After` can be honoured. See `OpenAIProvider` about `onText` and retries.
 */

import { Ollama, type ChatRequest } from 'ollama';
import { AttemptController, deliverText, retryAttempts, runAttempt } from './attempt';
import { estimateTokens } from '../util/estimateTokens';
import { displayEndpoint, mapOllamaError, promptTooLongError, type ErrorContext } from './errors';
import type { ChatMessage, Completion, CompletionRequest, ModelProvider, TokenUsage } from './types';

export interface OllamaProviderOptions {
  /** Default `http://127.0.0.1:11434`. Environment variables are not read here. */
  host?: string;
  model: string;
  /** Context window requested from Ollama (`options.num_ctx`). Default 32768. */
  numCtx?: number;
  /** Idle timeout: for connecting (and loading the model) and between streamed chunks. Default 120000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** First backoff step. Default 1000. */
  retryBaseDelayMs?: number;
  /** Cap on any single retry wait. Default 60000. */
  maxRetryDelayMs?: number;
  /** How long Ollama keeps the model loaded afterwards, e.g. `10m`. */
  keepAlive?: string;
  /** The fetch under ours; default the global one. */
  fetch?: typeof fetch;
}

export const OLLAMA_DEFAULT_HOST = 'http://127.0.0.1:11434';
export const OLLAMA_DEFAULT_NUM_CTX = 32768;

/** A rough prompt size: ~4 characters a token, plus a few tokens of chat template per message. */
export function estimatePromptTokens(messages: ChatMessage[]): number {
  return estimateTokens(messages.reduce((n, m) => n + m.content.length, 0)) + 4 * messages.length;
}

export class OllamaProvider implements ModelProvider {
  readonly id = 'ollama';
  readonly defaultModel: string;
  readonly host: string;
  readonly numCtx: number;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly maxRetryDelayMs: number;
  private readonly keepAlive: string | undefined;
  private readonly baseFetch: typeof fetch;

  constructor(options: OllamaProviderOptions) {
    this.defaultModel = options.model;
    this.host = (options.host ?? OLLAMA_DEFAULT_HOST).replace(/\/+$/, '');
    this.numCtx = Math.max(1, Math.round(options.numCtx ?? OLLAMA_DEFAULT_NUM_CTX));
    this.timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? 120_000));
    this.maxRetries = Math.max(0, options.maxRetries ?? 4);
    this.retryBaseDelayMs = Math.max(0, options.retryBaseDelayMs ?? 1000);
    this.maxRetryDelayMs = Math.max(0, options.maxRetryDelayMs ?? 60_000);
    this.keepAlive = options.keepAlive;
    this.baseFetch = options.fetch ?? ((input, init) => fetch(input, init));
  }

  /** Ollama takes what `num_ctx` asks for, whatever the model could do. */
  maxInputTokens(): number {
    return this.numCtx;
  }

  complete(request: CompletionRequest): Promise<Completion> {
    const model = request.model ?? this.defaultModel;
    const promptTokens = estimatePromptTokens(request.messages);
    if (promptTokens > this.numCtx) {
      return Promise.reject(
        promptTooLongError(
          this.context(model),
          `It is about ${promptTokens} tokens by estimate; the context (num_ctx) is ${this.numCtx}.`,
        ),
      );
    }
    const retry = { maxRetries: this.maxRetries, baseDelayMs: this.retryBaseDelayMs, maxDelayMs: this.maxRetryDelayMs, provider: this.id };
    return retryAttempts(retry, request, () => this.attempt(request, model));
  }

  private context(model: string): ErrorContext {
    return { provider: 'ollama', endpoint: displayEndpoint(this.host), model, timeoutMs: this.timeoutMs };
  }

  private async attempt(request: CompletionRequest, model: string): Promise<Completion> {
    const control = new AttemptController(this.timeoutMs, request.signal);
    let lastResponse: { status: number; headers: Headers } | undefined;
    const baseFetch = this.baseFetch;
    const client = new Ollama({
      host: this.host,
      fetch: async (input, init) => {
        const response = await baseFetch(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, control.signal]) : control.signal });
        lastResponse = { status: response.status, headers: response.headers };
        control.touch();
        return jsonErrorBody(response);
      },
    });
    const ctx = (): ErrorContext => ({
      ...this.context(model),
      ...(control.reason ? { abortReason: control.reason } : {}),
      ...(lastResponse ? { response: lastResponse } : {}),
    });

    const options: NonNullable<ChatRequest['options']> = { num_ctx: this.numCtx };
    if (request.temperature !== undefined) options.temperature = request.temperature;
    if (request.maxOutputTokens !== undefined) options.num_predict = request.maxOutputTokens;
    const body: ChatRequest & { stream: true } = {
      model,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      stream: true,
      options,
      ...(this.keepAlive !== undefined ? { keep_alive: this.keepAlive } : {}),
    };

    let text = '';
    let usage: TokenUsage | undefined;
    let serverModel: string | undefined;
    let finishReason: string | undefined;
    let done = false;
    await runAttempt(control, (error) => mapOllamaError(error, ctx()), async () => {
      const stream = await client.chat(body);
      for await (const part of stream) {
        control.touch();
        if (part.model) serverModel = part.model;
        const fragment = part.message?.content;
        if (fragment) {
          text += fragment;
          deliverText(request, fragment);
        }
        if (part.done) {
          done = true;
          if (part.done_reason) finishReason = part.done_reason;
          if (typeof part.prompt_eval_count === 'number' || typeof part.eval_count === 'number') {
            usage = { inputTokens: part.prompt_eval_count ?? 0, outputTokens: part.eval_count ?? 0 };
            // A fully cached prompt may come back without prompt_eval_count.
            if (typeof part.prompt_eval_count !== 'number') {
              usage.inputTokens = estimatePromptTokens(request.messages);
              usage.estimated = true;
            }
          }
        }
      }
      if (control.reason) throw mapOllamaError(new Error('aborted'), ctx());
      if (!done) throw mapOllamaError(new Error('terminated: the stream ended before done'), ctx());
    });

    return {
      text,
      usage: usage ?? {
        inputTokens: estimatePromptTokens(request.messages),
        outputTokens: estimateTokens(text.length),
        estimated: true,
      },
      model: serverModel ?? model,
      ...(finishReason !== undefined ? { finishReason } : {}),
    };
  }
}

/**
 * The SDK logs to the console when an error response is not JSON (a proxy's HTML page, say);
 * hand it such bodies as Ollama-style `{"error": "..."}` JSON instead.
 */
async function jsonErrorBody(response: Response): Promise<Response> {
  if (response.ok || (response.headers.get('content-type') ?? '').includes('application/json')) return response;
  const text = (await response.text().catch(() => '')).trim();
  const headers = new Headers(response.headers);
  headers.set('content-type', 'application/json');
  headers.delete('content-length');
  headers.delete('content-encoding');
  return new Response(JSON.stringify({ error: text.slice(0, 2000) || `HTTP ${response.status} ${response.statusText}`.trim() }), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}
