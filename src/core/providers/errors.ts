/**
 * Turns what the `openai` and `ollama` SDKs (and the fetch underneath them) throw into a
 * `ProviderError` whose message says what went wrong.
 *
 * Advice that names a CLI flag, an environment variable or an editor setting does not
 * belong here: the core does not know which front end runs it. Instead `details.fix` says
 * which setting would help (`api-key`, `base-url`, ...) and each front end words it in its
 * own terms. `details.retryAfterMs` carries the wait the server asked for.
 */

import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ProviderError, type ProviderErrorKind, type ProviderFix } from './types';

export type ProviderName = 'openai' | 'ollama';

/** What the mapper needs to know about the request that failed. */
export interface ErrorContext {
  provider: ProviderName;
  /** Base URL (OpenAI-compatible) or host (Ollama), as the user configured it. */
  endpoint: string;
  model: string;
  timeoutMs: number;
  /** Set when our own controller aborted the request, and why. */
  abortReason?: 'timeout' | 'cancelled';
  /** Scrubbed from every message. */
  apiKey?: string;
  /** True when no key was configured and a placeholder was sent. */
  placeholderKey?: boolean;
  /** Status and headers of the last HTTP response seen, for SDKs whose errors do not carry headers. */
  response?: { status: number; headers: Headers };
}

// ---------------------------------------------------------------------------------------------
// Retry-After

type HeaderSource = Headers | Record<string, string | string[] | undefined> | null | undefined;

function header(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  for (const key of Object.keys(record)) {
    if (key.toLowerCase() === name) {
      const value = record[key];
      return Array.isArray(value) ? value[0] : value;
    }
  }
  return undefined;
}

/**
 * Reads `retry-after-ms` (milliseconds), then `Retry-After` (delay in seconds, or an HTTP date).
 * Returns undefined when neither is present or parseable.
 */
export function parseRetryAfter(headers: HeaderSource, now: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = header(headers, 'retry-after');
  if (after === undefined || after.trim() === '') return undefined;
  const trimmed = after.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** The URL as shown in messages: without any user name or password in it. */
export function displayEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.username && !parsed.password) return url;
    parsed.username = '';
    parsed.password = '';
    return parsed.toString().replace(/\/+$/, '');
  } catch {
    return url;
  }
}

/** Removes the API key (and anything that looks like a secret key) from a message. */
export function redact(text: string, apiKey?: string): string {
  let out = text;
  if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join('***');
  return out.replace(/\b(sk-[A-Za-z0-9_-]{2})[A-Za-z0-9_*.-]{6,}/g, '$1***');
}

function errorChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && chain.length < 16) {
    const current = queue.shift();
    if (current === undefined || current === null || chain.includes(current)) continue;
    chain.push(current);
    if (typeof current === 'object') {
      const record = current as { cause?: unknown; errors?: unknown };
      if (record.cause !== undefined) queue.push(record.cause);
      if (Array.isArray(record.errors)) queue.push(...record.errors);
    }
  }
  return chain;
}

function codesIn(error: unknown): string[] {
  const codes: string[] = [];
  for (const item of errorChain(error)) {
    if (item && typeof item === 'object') {
      const code = (item as { code?: unknown }).code;
      if (typeof code === 'string') codes.push(code);
    }
  }
  return codes;
}

function messagesIn(error: unknown): string {
  return errorChain(error)
    .map((item) => (item instanceof Error ? `${item.name}: ${item.message}` : typeof item === 'string' ? item : ''))
    .join(' | ');
}

export function isAbortError(error: unknown): boolean {
  return errorChain(error).some(
    (item) => item instanceof APIUserAbortError || (item instanceof Error && item.name === 'AbortError'),
  );
}

const REFUSED_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
  UND_ERR_CONNECT_TIMEOUT: 'timed out while connecting',
};

const TLS_CODE = /^(CERT_|ERR_TLS|ERR_SSL|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_)/;

const DROPPED_CODES: Record<string, string> = {
  ECONNRESET: 'connection reset',
  EPIPE: 'broken pipe',
  UND_ERR_SOCKET: 'the other side closed the connection',
  UND_ERR_CLOSED: 'the connection closed',
  ECONNABORTED: 'connection aborted',
  ERR_STREAM_PREMATURE_CLOSE: 'the stream closed early',
};

/** Classifies a network-level failure: could not connect at all, or lost the connection midway. */
export function classifyNetworkError(error: unknown): { type: 'refused' | 'tls' | 'dropped'; detail: string } | undefined {
  const codes = codesIn(error);
  for (const code of codes) if (REFUSED_CODES[code]) return { type: 'refused', detail: REFUSED_CODES[code]! };
  for (const code of codes) if (TLS_CODE.test(code)) return { type: 'tls', detail: `TLS error ${code}` };
  for (const code of codes) if (DROPPED_CODES[code]) return { type: 'dropped', detail: DROPPED_CODES[code]! };
  const text = messagesIn(error);
  if (/\bterminated\b|other side closed|socket hang up|premature close|Did not receive done/i.test(text)) {
    return { type: 'dropped', detail: 'the server closed the connection before the reply was complete' };
  }
  if (/fetch failed/i.test(text)) return { type: 'refused', detail: 'connection failed' };
  return undefined;
}

const CONTEXT_LENGTH_TEXT =
  /context[_ ]length[_ ]exceeded|maximum context length|context length|context window|exceeds? (the )?(model'?s? )?(maximum )?context|too many tokens|prompt is too long|input (is )?too long|reduce the length/i;

function isContextLengthMessage(code: string | undefined | null, message: string): boolean {
  return code === 'context_length_exceeded' || code === 'string_above_max_length' || CONTEXT_LENGTH_TEXT.test(message);
}

function describe(ctx: ErrorContext): string {
  return ctx.provider === 'ollama' ? `Ollama at ${ctx.endpoint}` : `the OpenAI-compatible server at ${ctx.endpoint}`;
}

function withServerText(base: string, serverText: string | undefined, ctx: ErrorContext): string {
  const text = serverText?.trim();
  if (!text) return base;
  const short = text.length > 500 ? `${text.slice(0, 500)}…` : text;
  return `${base} The server said: ${redact(short, ctx.apiKey)}`;
}

function make(
  kind: ProviderErrorKind,
  message: string,
  ctx: ErrorContext,
  extra: { status?: number; cause?: unknown; retryAfterMs?: number; fix?: ProviderFix } = {},
): ProviderError {
  const retryAfterMs = extra.retryAfterMs;
  return new ProviderError(kind, redact(message, ctx.apiKey), {
    ...(extra.status !== undefined ? { status: extra.status } : {}),
    provider: ctx.provider,
    model: ctx.model,
    cause: extra.cause,
    ...(retryAfterMs !== undefined && Number.isFinite(retryAfterMs) && retryAfterMs >= 0 ? { retryAfterMs } : {}),
    ...(extra.fix ? { fix: extra.fix } : {}),
  });
}

// ---------------------------------------------------------------------------------------------
// Shared messages

export function cancelledError(ctx: ErrorContext, cause?: unknown): ProviderError {
  return make('cancelled', 'The request was cancelled.', ctx, { cause });
}

export function timeoutError(ctx: ErrorContext, cause?: unknown): ProviderError {
  return make(
    'timeout',
    `No response from ${describe(ctx)} for ${ctx.timeoutMs} ms (model "${ctx.model}"), so the request timed out. ` +
      'The server may be overloaded or still loading the model; try again, or allow a longer request timeout.',
    ctx,
    { cause, fix: 'timeout' },
  );
}

export function droppedError(ctx: ErrorContext, detail: string, cause?: unknown): ProviderError {
  return make(
    'server',
    `The connection to ${describe(ctx)} was lost before the reply was complete (${detail}). ` +
      'The server may have crashed or restarted; check its logs.',
    ctx,
    { cause },
  );
}

export function unreachableError(ctx: ErrorContext, detail: string, cause?: unknown): ProviderError {
  const message =
    ctx.provider === 'ollama'
      ? `Cannot reach Ollama at ${ctx.endpoint} (${detail}). Is it running? Start it with \`ollama serve\`, or point the host at where it runs.`
      : `Cannot reach the OpenAI-compatible server at ${ctx.endpoint} (${detail}). Is it running, and is the base URL right?`;
  return make('unreachable', message, ctx, { cause, fix: ctx.provider === 'ollama' ? 'ollama-host' : 'base-url' });
}

export function contextLengthError(ctx: ErrorContext, serverText: string | undefined, status?: number, cause?: unknown): ProviderError {
  return make('context-length', withServerText(contextLengthBase(ctx), serverText, ctx), ctx, { status, cause, fix: 'context-window' });
}

/** The prompt was found too long before sending it; `detail` says by how much. */
export function promptTooLongError(ctx: ErrorContext, detail: string): ProviderError {
  return make('context-length', `${contextLengthBase(ctx)} ${detail}`, ctx, { fix: 'context-window' });
}

function contextLengthBase(ctx: ErrorContext): string {
  const advice =
    ctx.provider === 'ollama'
      ? 'Give Ollama a longer context (its num_ctx) if the model supports one, or use a model with a bigger context window.'
      : 'Use a model with a bigger context window, or ask a narrower question.';
  return `The prompt is too long for the context window of model "${ctx.model}". ${advice}`;
}

function modelNotFoundError(ctx: ErrorContext, serverText: string | undefined, status: number | undefined, cause: unknown): ProviderError {
  const message =
    ctx.provider === 'ollama'
      ? `Ollama at ${ctx.endpoint} has no model "${ctx.model}". Pull it with \`ollama pull ${ctx.model}\`, or choose one that \`ollama list\` shows.`
      : withServerText(
          `The server at ${ctx.endpoint} has no model "${ctx.model}"${status ? ` (${status})` : ''}. ` +
            `Check the model name; GET ${ctx.endpoint.replace(/\/+$/, '')}/models lists the models it serves.`,
          serverText,
          ctx,
        );
  return make('model-not-found', message, ctx, { status, cause, fix: 'model' });
}

function authError(ctx: ErrorContext, status: number, cause: unknown): ProviderError {
  let message: string;
  if (ctx.provider === 'ollama') {
    message =
      `${capitalise(describe(ctx))} refused the request (${status}). ` +
      'If Ollama sits behind a proxy or is ollama.com, check the credentials it needs.';
  } else if (ctx.placeholderKey) {
    message = `The server at ${ctx.endpoint} requires an API key (${status}), and none was given.`;
  } else {
    message =
      `The server rejected the API key (${status}): it must be a valid key for ${ctx.endpoint}` +
      (status === 403 ? ` with access to model "${ctx.model}".` : '.');
  }
  // The server's own text is left out on purpose: some servers echo (part of) the key.
  return make('auth', message, ctx, { status, cause, fix: ctx.provider === 'ollama' ? 'ollama-host' : 'api-key' });
}

/** Maps an HTTP error status (with the server's message, if any) to a ProviderError. */
export function httpError(
  ctx: ErrorContext,
  status: number | undefined,
  serverText: string | undefined,
  options: { code?: string | null; type?: string | null; headers?: HeaderSource; cause?: unknown } = {},
): ProviderError {
  const text = serverText ?? '';
  const code = options.code ?? undefined;
  const retryAfterMs = parseRetryAfter(options.headers);
  const cause = options.cause;

  if (isContextLengthMessage(code, text) || status === 413) return contextLengthError(ctx, text, status, cause);
  if (status === 401 || status === 403 || code === 'invalid_api_key') return authError(ctx, status ?? 401, cause);
  if (
    code === 'model_not_found' ||
    (ctx.provider === 'ollama' && /model .*not found|not found.*model|pull/i.test(text)) ||
    (status === 404 && /model/i.test(text))
  ) {
    return modelNotFoundError(ctx, text, status, cause);
  }
  if (status === 404) {
    return make(
      'bad-request',
      withServerText(
        ctx.provider === 'ollama'
          ? `${describe(ctx)} answered 404 (not found). Check that the host points at an Ollama server.`
          : `The server at ${ctx.endpoint} has no chat completions endpoint (404). Check the base URL; most servers expect it to end in /v1.`,
        text,
        ctx,
      ),
      ctx,
      { status, cause },
    );
  }
  if (status === 429) {
    if (code === 'insufficient_quota') {
      return make(
        'auth',
        withServerText(`The server at ${ctx.endpoint} refused the request: the account has no quota left (429). Check its plan and billing.`, text, ctx),
        ctx,
        { status, cause },
      );
    }
    return make('rate-limit', withServerText(`${capitalise(describe(ctx))} is rate limiting requests (429).`, text, ctx), ctx, {
      status,
      cause,
      retryAfterMs,
    });
  }
  if (status === 408) return make('timeout', withServerText(`${capitalise(describe(ctx))} timed out handling the request (408).`, text, ctx), ctx, { status, cause, retryAfterMs });
  if (status !== undefined && status >= 500) {
    return make('server', withServerText(`${capitalise(describe(ctx))} failed with HTTP ${status}.`, text, ctx), ctx, {
      status,
      cause,
      retryAfterMs,
    });
  }
  if (status !== undefined && status >= 400) {
    return make('bad-request', withServerText(`${capitalise(describe(ctx))} rejected the request (${status}).`, text, ctx), ctx, { status, cause });
  }
  // An error reported inside a stream, without an HTTP status.
  return make('server', withServerText(`${capitalise(describe(ctx))} reported an error while answering.`, text, ctx), ctx, { cause });
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Errors that are not HTTP errors: aborts, timeouts, refused or dropped connections, garbage. */
function transportError(error: unknown, ctx: ErrorContext): ProviderError | undefined {
  if (ctx.abortReason === 'cancelled') return cancelledError(ctx, error);
  if (ctx.abortReason === 'timeout') return timeoutError(ctx, error);
  const network = classifyNetworkError(error);
  if (network?.type === 'refused') return unreachableError(ctx, network.detail, error);
  if (network?.type === 'tls') return unreachableError(ctx, network.detail, error);
  if (network?.type === 'dropped') return droppedError(ctx, network.detail, error);
  if (isAbortError(error)) return cancelledError(ctx, error);
  return undefined;
}

function badResponse(error: unknown, ctx: ErrorContext): ProviderError {
  const detail = error instanceof Error ? error.message : String(error);
  return make('bad-response', `${capitalise(describe(ctx))} sent a reply that could not be understood (${redact(detail, ctx.apiKey)}).`, ctx, {
    cause: error,
  });
}

// ---------------------------------------------------------------------------------------------
// Per-SDK entry points

/** Maps whatever the `openai` SDK (or the stream under it) threw. */
export function mapOpenAIError(error: unknown, ctx: ErrorContext): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof APIError || looksLikeAPIError(error)) {
    if (error instanceof APIUserAbortError) return transportError(error, ctx) ?? cancelledError(ctx, error);
    if (error instanceof APIConnectionTimeoutError) {
      return ctx.abortReason === 'cancelled' ? cancelledError(ctx, error) : timeoutError(ctx, error);
    }
    if (error instanceof APIConnectionError) {
      return transportError(error, ctx) ?? unreachableError(ctx, 'connection failed', error);
    }
    const body = error.error as { message?: unknown; code?: unknown; type?: unknown } | undefined;
    const serverText = typeof body?.message === 'string' ? body.message : error.status ? stripStatusPrefix(error.message) : error.message;
    return httpError(ctx, error.status, serverText, {
      code: error.code ?? (typeof body?.code === 'string' ? body.code : undefined),
      type: error.type ?? null,
      headers: error.headers,
      cause: error,
    });
  }
  return transportError(error, ctx) ?? badResponse(error, ctx);
}

/** An APIError from another copy of the SDK (e.g. its ESM build), where instanceof fails. */
function looksLikeAPIError(error: unknown): error is APIError {
  return (
    error instanceof Error &&
    'status' in error &&
    'headers' in error &&
    'error' in error &&
    (typeof (error as { status?: unknown }).status === 'number' || (error as { error?: unknown }).error !== undefined)
  );
}

function stripStatusPrefix(message: string): string {
  return message.replace(/^\d{3}\s*/, '').replace(/^status code \(no body\)$/, '');
}

/** Maps whatever the `ollama` SDK (or the fetch under it) threw. */
export function mapOllamaError(error: unknown, ctx: ErrorContext): ProviderError {
  if (error instanceof ProviderError) return error;
  if (error instanceof Error && error.name === 'ResponseError') {
    const status = (error as { status_code?: number }).status_code;
    const headers = ctx.response && ctx.response.status === status ? ctx.response.headers : undefined;
    return httpError(ctx, status, error.message, { headers, cause: error });
  }
  const transport = transportError(error, ctx);
  if (transport) return transport;
  // The SDK turns `{"error": "..."}` lines inside a stream into plain Errors.
  if (error instanceof Error && !(error instanceof SyntaxError) && error.constructor === Error) {
    return httpError(ctx, undefined, error.message, { cause: error });
  }
  return badResponse(error, ctx);
}
