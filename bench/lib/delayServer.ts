/**
 * A minimal OpenAI-compatible chat completions server on 127.0.0.1 for the benchmark:
 * every request is answered after a fixed delay chosen per request, as one streamed
 * (SSE) response written at once, with usage. Unlike test/support's fake server it adds
 * no pauses between chunks, so a measured wall time is the delay plus the client's and
 * engine's own overhead, nothing else. `close()` destroys open sockets.
 */
import * as http from 'node:http';
import { listenOnLoopback } from '../../test/support/loopback';

export interface ChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
}

export interface DelayServerOptions {
  respond(request: ChatRequest): { text: string; delayMs: number };
}

export interface DelayServer {
  /** Base URL including /v1. */
  url: string;
  stats: {
    requests: number;
    inFlight: number;
    maxInFlight: number;
    /** performance.now() of the first request received and the last response ended, per kind. */
    firstArrival: number | null;
    lastEnd: number | null;
  };
  /** Open TCP connections right now (server side). */
  openSockets(): number;
  resetStats(): void;
  close(): Promise<void>;
}

export async function startDelayServer(options: DelayServerOptions): Promise<DelayServer> {
  const stats: DelayServer['stats'] = { requests: 0, inFlight: 0, maxInFlight: 0, firstArrival: null, lastEnd: null };
  const timers = new Set<NodeJS.Timeout>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method === 'GET' && req.url?.startsWith('/v1/models')) {
        send(res, 200, 'application/json', JSON.stringify({ object: 'list', data: [{ id: 'bench-model', object: 'model', created: 0, owned_by: 'bench' }] }));
        return;
      }
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/chat/completions')) {
        send(res, 404, 'application/json', JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }));
        return;
      }
      let body: { model?: unknown; messages?: unknown; stream?: unknown };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
      } catch {
        send(res, 400, 'application/json', JSON.stringify({ error: { message: 'bad json', type: 'invalid_request_error' } }));
        return;
      }
      const request: ChatRequest = {
        model: typeof body.model === 'string' ? body.model : '',
        messages: Array.isArray(body.messages)
          ? body.messages.map((m: { role?: unknown; content?: unknown }) => ({ role: String(m.role), content: typeof m.content === 'string' ? m.content : '' }))
          : [],
      };
      stats.requests++;
      stats.inFlight++;
      stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
      stats.firstArrival ??= performance.now();
      let reply: { text: string; delayMs: number };
      try {
        reply = options.respond(request);
      } catch (error) {
        stats.inFlight--;
        send(res, 500, 'application/json', JSON.stringify({ error: { message: String(error), type: 'server_error' } }));
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        stats.inFlight--;
        stats.lastEnd = performance.now();
        const promptChars = request.messages.reduce((n, m) => n + m.content.length, 0);
        const usage = { prompt_tokens: Math.ceil(promptChars / 4), completion_tokens: Math.ceil(reply.text.length / 4), total_tokens: 0 };
        usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
        if (body.stream === true) {
          const base = { id: `chatcmpl-bench-${stats.requests}`, object: 'chat.completion.chunk', created: 0, model: request.model };
          const events = [
            { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: reply.text }, finish_reason: null }] },
            { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
            { ...base, choices: [], usage },
          ];
          send(res, 200, 'text/event-stream', `${events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('')}data: [DONE]\n\n`);
        } else {
          send(
            res,
            200,
            'application/json',
            JSON.stringify({
              id: `chatcmpl-bench-${stats.requests}`,
              object: 'chat.completion',
              created: 0,
              model: request.model,
              choices: [{ index: 0, message: { role: 'assistant', content: reply.text }, finish_reason: 'stop' }],
              usage,
            }),
          );
        }
      }, reply.delayMs);
      timers.add(timer);
    });
  });
  const listener = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${listener.port}/v1`,
    stats,
    openSockets: listener.openSockets,
    resetStats() {
      Object.assign(stats, { requests: 0, inFlight: 0, maxInFlight: 0, firstArrival: null, lastEnd: null });
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      return listener.close();
    },
  };
}

function send(res: http.ServerResponse, status: number, type: string, text: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Which turn of a root conversation a request is (0-based), read off its length as test/support does. */
export function rootTurn(request: ChatRequest): number {
  return Math.floor((request.messages.length - 2) / 2);
}

/** A reply with one js cell. */
export function jsReply(code: string): string {
  return `Next step.\n\n\`\`\`js\n${code}\n\`\`\``;
}
