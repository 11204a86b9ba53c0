/**
 * What the fake model servers share: the scripted "model" that answers, the fault queue,
 * the request log, and an HTTP server on 127.0.0.1 (see loopback.ts) whose `close()` destroys open sockets.
 */

import * as http from 'node:http';
import { listenOnLoopback } from './loopback';

export interface ScriptedMessage {
  role: string;
  content: string;
}

export interface ScriptedRequest {
  model: string;
  messages: ScriptedMessage[];
}

/** Decides the reply to one chat request. */
export type ScriptedModel = (req: ScriptedRequest) => string | Promise<string>;

/**
 * One injected failure, consumed by the next chat request (one per request, in order).
 * - `429`: rate limited, with `Retry-After: <retryAfterSeconds>` and/or `retry-after-ms` when given.
 * - `500`: internal server error.
 * - `drop-mid-stream`: sends the headers and part of the reply, then destroys the socket.
 * - `hang`: never answers (or, with `afterChunks`, streams that many chunks first, then stalls).
 * - `401`: rejects the credentials. `404-model`: says the model does not exist.
 * - `context-length`: says the prompt is longer than the context window.
 */
export type Fault =
  | { kind: '429'; retryAfterSeconds?: number; retryAfterMs?: number }
  | { kind: '500' }
  | { kind: 'drop-mid-stream' }
  | { kind: 'hang'; afterChunks?: number }
  | { kind: '401' }
  | { kind: '404-model' }
  | { kind: 'context-length' };

export interface RecordedRequest {
  method: string;
  path: string;
  /** Parsed JSON body, or the raw text when it was not JSON, or undefined when empty. */
  body: unknown;
  /** Request headers, with the authorization value replaced by `<present>`. */
  headers: Record<string, string | string[] | undefined>;
  hasAuthorization: boolean;
  /** The fault applied to this request, if any. */
  fault?: Fault;
  /** Ollama: the `options.num_ctx` the request carried. */
  numCtx?: number;
  /** True once the client closed the connection before the response was complete. */
  clientClosedEarly: boolean;
  /** Resolves when the response ends or its connection closes, whichever comes first. */
  closed: Promise<void>;
}

export function promptChars(messages: ScriptedMessage[]): number {
  return messages.reduce((n, m) => n + (typeof m.content === 'string' ? m.content.length : 0), 0);
}

/** Deterministic token count used by the fake servers: ceil(chars / 4). */
export function fakeTokens(chars: number): number {
  return Math.ceil(chars / 4);
}

/** Splits a reply into up to `parts` pieces (at least one, possibly empty). */
export function splitReply(text: string, parts = 4): string[] {
  if (text.length === 0) return [''];
  const size = Math.max(1, Math.ceil(text.length / parts));
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export interface ExchangeContext {
  req: http.IncomingMessage;
  res: http.ServerResponse;
  record: RecordedRequest;
  body: unknown;
  /** Takes the next fault off the queue (and notes it on the record). */
  takeFault(): Fault | undefined;
  /** Marks the connection as closed on purpose by the server (a drop), not by the client. */
  dropConnection(): void;
}

export interface FakeHttpServer {
  url: string;
  port: number;
  requests: RecordedRequest[];
  faults: Fault[];
  close(): Promise<void>;
}

/** Starts a node:http server on 127.0.0.1 (random port) that logs requests and hands them to `handle`. */
export async function startFakeHttpServer(handle: (exchange: ExchangeContext) => Promise<void> | void): Promise<FakeHttpServer> {
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const headers: Record<string, string | string[] | undefined> = { ...req.headers };
      const hasAuthorization = typeof req.headers.authorization === 'string' && req.headers.authorization.length > 0;
      if (hasAuthorization) headers.authorization = '<present>';
      let resolveClosed!: () => void;
      const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
      let droppedByServer = false;
      const record: RecordedRequest = {
        method: req.method ?? 'GET',
        path: (req.url ?? '/').split('?')[0]!,
        body,
        headers,
        hasAuthorization,
        clientClosedEarly: false,
        closed,
      };
      requests.push(record);
      res.on('close', () => {
        if (!res.writableFinished && !droppedByServer) record.clientClosedEarly = true;
        resolveClosed();
      });
      const exchange: ExchangeContext = {
        req,
        res,
        record,
        body,
        takeFault() {
          const fault = faults.shift();
          if (fault) record.fault = fault;
          return fault;
        },
        dropConnection() {
          droppedByServer = true;
          req.socket.destroy();
        },
      };
      Promise.resolve()
        .then(() => handle(exchange))
        .catch((error: unknown) => {
          if (!res.headersSent) {
            res.writeHead(500, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: { message: `fake server failure: ${String(error)}` } }));
          } else {
            res.destroy();
          }
        });
    });
  });
  const { port, close } = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}`, port, requests, faults, close };
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Headers for a 429 fault. */
export function retryAfterHeaders(fault: Extract<Fault, { kind: '429' }>): Record<string, string> {
  const headers: Record<string, string> = {};
  if (fault.retryAfterSeconds !== undefined) headers['retry-after'] = String(fault.retryAfterSeconds);
  if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
  return headers;
}

/** Writes `text` and waits until it is flushed to the socket. */
export function write(res: http.ServerResponse, text: string): Promise<void> {
  return new Promise<void>((resolve) => {
    if (res.destroyed) return resolve();
    res.write(text, () => resolve());
  });
}

/** Waits a tick, so that separate writes arrive as separate network chunks more often than not. */
export function tick(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1));
}

/** Reads `{ model, messages }` out of a chat request body defensively. */
export function chatRequestOf(body: unknown): ScriptedRequest {
  const record = (body && typeof body === 'object' ? body : {}) as { model?: unknown; messages?: unknown };
  const messages = Array.isArray(record.messages)
    ? record.messages.map((m) => {
        const msg = (m && typeof m === 'object' ? m : {}) as { role?: unknown; content?: unknown };
        return { role: String(msg.role ?? ''), content: typeof msg.content === 'string' ? msg.content : JSON.stringify(msg.content ?? '') };
      })
    : [];
  return { model: typeof record.model === 'string' ? record.model : '', messages };
}
