/**
 * A real HTTP server on 127.0.0.1 that speaks Ollama's native API (`/api/chat` with NDJSON
 * streaming, `/api/tags`, `/api/version`, `/api/show`), answers with a `ScriptedModel`, and
 * injects queued faults.
 */

import type * as http from 'node:http';
import {
  type ExchangeContext,
  type Fault,
  type RecordedRequest,
  type ScriptedModel,
  chatRequestOf,
  fakeTokens,
  promptChars,
  retryAfterHeaders,
  sendJson,
  splitReply,
  startFakeHttpServer,
  tick,
  write,
} from './scriptedModel';

export interface FakeOllamaServerOptions {
  model: ScriptedModel;
  /** Models the server has; others get 404 like real Ollama. When absent, any name is accepted. */
  knownModels?: string[];
  /** Reported by `/api/show` as the model's context length. Default 131072. */
  contextLength?: number;
}

export interface FakeOllamaServer {
  /** Host URL, e.g. `http://127.0.0.1:54321`. */
  url: string;
  requests: RecordedRequest[];
  faults: Fault[];
  close(): Promise<void>;
}

function sameModel(a: string, b: string): boolean {
  const norm = (name: string): string => (name.includes(':') ? name : `${name}:latest`);
  return norm(a) === norm(b);
}

export async function startFakeOllamaServer(options: FakeOllamaServerOptions): Promise<FakeOllamaServer> {
  const known = (model: string): boolean => !options.knownModels || options.knownModels.some((m) => sameModel(m, model));
  const notFound = (res: http.ServerResponse, model: string): void =>
    sendJson(res, 404, { error: `model "${model}" not found, try pulling it first` });

  const server = await startFakeHttpServer(async (exchange) => {
    const { req, res, record, body } = exchange;
    const path = record.path;
    if (req.method === 'GET' && path === '/api/version') return sendJson(res, 200, { version: '0.12.0-fake' });
    if (req.method === 'GET' && path === '/api/tags') {
      const names = options.knownModels ?? ['scripted-model:latest'];
      return sendJson(res, 200, {
        models: names.map((name) => ({
          name: name.includes(':') ? name : `${name}:latest`,
          model: name.includes(':') ? name : `${name}:latest`,
          modified_at: '2025-01-01T00:00:00Z',
          size: 1_000_000,
          digest: 'fake',
          details: { format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '1B', quantization_level: 'Q4_0' },
        })),
      });
    }
    if (req.method === 'POST' && path === '/api/show') {
      const model = String((body as { model?: unknown; name?: unknown } | undefined)?.model ?? (body as { name?: unknown } | undefined)?.name ?? '');
      if (!known(model)) return notFound(res, model);
      return sendJson(res, 200, {
        modelfile: `FROM ${model}`,
        parameters: '',
        template: '{{ .Prompt }}',
        details: { format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '1B', quantization_level: 'Q4_0' },
        model_info: { 'general.architecture': 'llama', 'llama.context_length': options.contextLength ?? 131072 },
        capabilities: ['completion'],
      });
    }
    if (req.method === 'POST' && path === '/api/chat') return chat(exchange);
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('404 page not found');
  });

  async function chat(exchange: ExchangeContext): Promise<void> {
    const { res, record, body } = exchange;
    const request = chatRequestOf(body);
    const params = (body && typeof body === 'object' ? body : {}) as { stream?: unknown; options?: { num_ctx?: unknown } };
    if (typeof params.options?.num_ctx === 'number') record.numCtx = params.options.num_ctx;
    const streaming = params.stream !== false; // Ollama streams unless told not to

    if (!request.model) return sendJson(res, 400, { error: 'model is required' });
    if (!known(request.model)) return notFound(res, request.model);

    const fault = exchange.takeFault();
    switch (fault?.kind) {
      case '429':
        return sendJson(res, 429, { error: 'too many requests' }, retryAfterHeaders(fault));
      case '500':
        return sendJson(res, 500, { error: 'llama runner process has terminated: exit status 2' });
      case '401':
        return sendJson(res, 401, { error: 'unauthorized' });
      case '404-model':
        return notFound(res, request.model);
      case 'context-length':
        return sendJson(res, 400, { error: 'the input length exceeds the context length' });
      case 'hang':
        if (!streaming || fault.afterChunks === undefined) return;
        break;
      default:
        break;
    }

    const reply = await options.model(request);
    const createdAt = new Date().toISOString();
    const final = {
      model: request.model,
      created_at: createdAt,
      message: { role: 'assistant', content: streaming ? '' : reply },
      done: true,
      done_reason: 'stop',
      total_duration: 1_000_000,
      load_duration: 1000,
      prompt_eval_count: fakeTokens(promptChars(request.messages)),
      prompt_eval_duration: 1000,
      eval_count: fakeTokens(reply.length),
      eval_duration: 1000,
    };

    if (!streaming) {
      if (fault?.kind === 'drop-mid-stream') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
        await write(res, '{"model":');
        exchange.dropConnection();
        return;
      }
      return sendJson(res, 200, final);
    }

    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    const pieces = splitReply(reply);
    for (let i = 0; i < pieces.length; i++) {
      if (fault?.kind === 'drop-mid-stream' && i === Math.max(1, Math.floor(pieces.length / 2))) {
        exchange.dropConnection();
        return;
      }
      if (fault?.kind === 'hang' && i === fault.afterChunks) return;
      await tick();
      await write(
        res,
        JSON.stringify({ model: request.model, created_at: createdAt, message: { role: 'assistant', content: pieces[i] }, done: false }) + '\n',
      );
    }
    if (fault?.kind === 'drop-mid-stream') {
      exchange.dropConnection();
      return;
    }
    if (fault?.kind === 'hang') return;
    await write(res, JSON.stringify(final) + '\n');
    res.end();
  }

  return { url: server.url, requests: server.requests, faults: server.faults, close: () => server.close() };
}
