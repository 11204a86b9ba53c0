/**
 * Any OpenAI-compatible chat completions server (OpenAI, vLLM, LM Studio, llama.cpp,
 * OpenRouter, ...) through the official `openai` SDK, streaming.
 *
 * The SDK's own retries are off (`maxRetries: 0`); `withRetry` retries instead, the same way
 * for every provider. When a retry follows a stream that broke midway, `onText` has already
 * seen part of the failed attempt: `onRetry` is called first, so a caller that shows the
 * streamed text should drop what it got since the last attempt began.
 */

import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { AttemptController, deliverText, retryAttempts, runAttempt, estimatedUsage } from './attempt';
import { displayEndpoint, mapOpenAIError, type ErrorContext } from './errors';
import { ProviderError, type Completion, type CompletionRequest, type ModelProvider, type TokenUsage } from './types';

export interface OpenAIProviderOptions {
  /** Default `https://api.openai.com/v1`. Environment variables are not read here. */
  baseURL?: string;
  /** When absent, a placeholder key is sent (local servers usually need none). */
  apiKey?: string;
  model: string;
  /**
   * Input tokens the model takes. Servers do not say, so it is configured; default 128,000
   * (what most current hosted models take; local servers are often smaller).
   */
  contextTokens?: number;
  /** Idle timeout: for connecting and between streamed chunks. Default 120000. */
  timeoutMs?: number;
  /** Retries after the first attempt. Default 4. */
  maxRetries?: number;
  /** First backoff step. Default 1000. */
  retryBaseDelayMs?: number;
  /** Cap on any single retry wait. Default 60000. */
  maxRetryDelayMs?: number;
  extraHeaders?: Record<string, string>;
  fetch?: typeof fetch;
}

export const OPENAI_DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Sent when no API key is configured, because the SDK always sends one. */
export const PLACEHOLDER_API_KEY = 'rlm-no-key';
export const OPENAI_DEFAULT_CONTEXT_TOKENS = 128_000;

export class OpenAIProvider implements ModelProvider {
  readonly id = 'openai';
  readonly defaultModel: string;
  readonly baseURL: string;
  private readonly client: OpenAI;
  private readonly apiKey: string;
  private readonly placeholderKey: boolean;
  private readonly timeoutMs: number;
  private readonly contextTokens: number;
  private readonly maxRetries: number;
  private readonly retryBaseDelayMs: number;
  private readonly maxRetryDelayMs: number;

  constructor(options: OpenAIProviderOptions) {
    this.defaultModel = options.model;
    this.baseURL = (options.baseURL ?? OPENAI_DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.placeholderKey = !options.apiKey;
    this.apiKey = options.apiKey || PLACEHOLDER_API_KEY;
    this.timeoutMs = Math.max(1, Math.round(options.timeoutMs ?? 120_000));
    this.contextTokens = Math.max(1, Math.round(options.contextTokens ?? OPENAI_DEFAULT_CONTEXT_TOKENS));
    this.maxRetries = Math.max(0, options.maxRetries ?? 4);
    this.retryBaseDelayMs = Math.max(0, options.retryBaseDelayMs ?? 1000);
    this.maxRetryDelayMs = Math.max(0, options.maxRetryDelayMs ?? 60_000);
    this.client = new OpenAI({
      baseURL: this.baseURL,
      apiKey: this.apiKey,
      maxRetries: 0,
      timeout: this.timeoutMs,
      ...(options.extraHeaders ? { defaultHeaders: options.extraHeaders } : {}),
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  maxInputTokens(): number {
    return this.contextTokens;
  }

  complete(request: CompletionRequest): Promise<Completion> {
    const model = request.model ?? this.defaultModel;
    const retry = { maxRetries: this.maxRetries, baseDelayMs: this.retryBaseDelayMs, maxDelayMs: this.maxRetryDelayMs, provider: this.id };
    return retryAttempts(retry, request, () => this.attempt(request, model));
  }

  private async attempt(request: CompletionRequest, model: string): Promise<Completion> {
    const control = new AttemptController(this.timeoutMs, request.signal);
    const ctx = (): ErrorContext => ({
      provider: 'openai',
      endpoint: displayEndpoint(this.baseURL),
      model,
      timeoutMs: this.timeoutMs,
      apiKey: this.apiKey,
      placeholderKey: this.placeholderKey,
      ...(control.reason ? { abortReason: control.reason } : {}),
    });

    const body: ChatCompletionCreateParamsStreaming = {
      model,
      messages: request.messages.map((m) => ({ role: m.role, content: m.content })),
      stream: true,
      stream_options: { include_usage: true },
    };
    if (request.temperature !== undefined) body.temperature = request.temperature;
    if (request.maxOutputTokens !== undefined) {
      // OpenAI's own newer models only accept max_completion_tokens; most compatible servers know max_tokens.
      if (isOfficialOpenAI(this.baseURL)) body.max_completion_tokens = request.maxOutputTokens;
      else body.max_tokens = request.maxOutputTokens;
    }

    let text = '';
    let usage: TokenUsage | undefined;
    let serverModel: string | undefined;
    let finishReason: string | undefined;
    let chunks = 0;
    await runAttempt(control, (error) => mapOpenAIError(error, ctx()), async () => {
      const stream = await this.client.chat.completions.create(body, { signal: control.signal, timeout: this.timeoutMs });
      control.touch();
      for await (const chunk of stream) {
        control.touch();
        chunks++;
        if (chunk.model) serverModel = chunk.model;
        if (chunk.usage) {
          usage = { inputTokens: chunk.usage.prompt_tokens ?? 0, outputTokens: chunk.usage.completion_tokens ?? 0 };
        }
        for (const choice of chunk.choices ?? []) {
          if (choice.index !== undefined && choice.index !== 0) continue;
          const fragment = choice.delta?.content;
          if (fragment) {
            text += fragment;
            deliverText(request, fragment);
          }
          if (choice.finish_reason) finishReason = choice.finish_reason;
        }
      }
      // The SDK ends the iteration quietly when the request is aborted.
      if (control.reason) throw mapOpenAIError(new Error('aborted'), ctx());
      if (chunks === 0) {
        throw new ProviderError(
          'bad-response',
          `The server at ${displayEndpoint(this.baseURL)} answered without any streamed chunks. Check that it is an OpenAI-compatible server that supports streaming (stream: true).`,
          { provider: this.id, model },
        );
      }
      if (finishReason === undefined && usage === undefined) {
        throw mapOpenAIError(new Error('terminated: the stream ended without a finish reason'), ctx());
      }
    });

    return {
      text,
      usage: usage ?? estimatedUsage(request.messages.reduce((n, m) => n + m.content.length, 0), text),
      model: serverModel ?? model,
      ...(finishReason !== undefined ? { finishReason } : {}),
    };
  }
}

function isOfficialOpenAI(baseURL: string): boolean {
  try {
    return new URL(baseURL).hostname === 'api.openai.com';
  } catch {
    return false;
  }
}
