/**
 * A real HTTP server on 127.0.0.1 that speaks the OpenAI chat completions wire format
 * (JSON and SSE streaming), answers with a `ScriptedModel`, and injects queued faults.
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

export interface FakeOpenAIServerOptions {
  model: ScriptedModel;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`, or get 401. */
  apiKey?: string;
  /** When set, other model names get 404 `model_not_found`. */
  knownModels?: string[];
  /** Context window for the `context-length` fault's message. Default 8192. */
  contextWindow?: number;
  /** Never report token usage (like some OpenAI-compatible servers). */
  omitUsage?: boolean;
}

export interface FakeOpenAIServer {
  /** Base URL, including `/v1`. */
  url: string;
  requests: RecordedRequest[];
  faults: Fault[];
  close(): Promise<void>;
}

function errorBody(message: string, type: string, code: string | null, param: string | null = null): unknown {
  return { error: { message, type, param, code } };
}

let nextId = 1;

export async function startFakeOpenAIServer(options: FakeOpenAIServerOptions): Promise<FakeOpenAIServer> {
  const contextWindow = options.contextWindow ?? 8192;

  const server = await startFakeHttpServer(async (exchange) => {
    const { req, res, record } = exchange;
    if (req.method === 'GET' && record.path === '/v1/models') {
      if (!authorised(req)) return sendUnauthorised(res);
      const ids = options.knownModels ?? ['scripted-model'];
      sendJson(res, 200, {
        object: 'list',
        data: ids.map((id) => ({ id, object: 'model', created: 1700000000, owned_by: 'fake' })),
      });
      return;
    }
    if (req.method === 'POST' && record.path === '/v1/chat/completions') {
      await chat(exchange);
      return;
    }
    sendJson(res, 404, errorBody(`Unknown request URL: ${req.method} ${record.path}.`, 'invalid_request_error', 'unknown_url'));
  });

  function authorised(req: http.IncomingMessage): boolean {
    if (options.apiKey === undefined) return true;
    return req.headers.authorization === `Bearer ${options.apiKey}`;
  }

  function sendUnauthorised(res: http.ServerResponse, presented?: string): void {
    // Like the real API, the message names the key that was presented (here in full, to prove clients hide it).
    sendJson(
      res,
      401,
      errorBody(
        `Incorrect API key provided: ${presented ?? '(none)'}. You can find your API key at https://platform.openai.com/account/api-keys.`,
        'invalid_request_error',
        'invalid_api_key',
      ),
    );
  }

  async function chat(exchange: ExchangeContext): Promise<void> {
    const { req, res, body } = exchange;
    const presented = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
    if (!authorised(req)) return sendUnauthorised(res, presented);

    const request = chatRequestOf(body);
    const params = (body && typeof body === 'object' ? body : {}) as { stream?: unknown; stream_options?: { include_usage?: unknown } };
    const streaming = params.stream === true;
    const includeUsage = params.stream_options?.include_usage === true && !options.omitUsage;

    if (options.knownModels && !options.knownModels.includes(request.model)) return sendModelNotFound(res, request.model);

    const fault = exchange.takeFault();
    switch (fault?.kind) {
      case '429':
        sendJson(
          res,
          429,
          errorBody('Rate limit reached for requests. Please try again later.', 'requests', 'rate_limit_exceeded'),
          retryAfterHeaders(fault),
        );
        return;
      case '500':
        sendJson(res, 500, errorBody('The server had an error while processing your request.', 'server_error', null));
        return;
      case '401':
        return sendUnauthorised(res, presented);
      case '404-model':
        return sendModelNotFound(res, request.model);
      case 'context-length': {
        const tokens = fakeTokens(promptChars(request.messages));
        sendJson(
          res,
          400,
          errorBody(
            `This model's maximum context length is ${contextWindow} tokens. However, your messages resulted in ${Math.max(tokens, contextWindow + 1)} tokens. Please reduce the length of the messages.`,
            'invalid_request_error',
            'context_length_exceeded',
            'messages',
          ),
        );
        return;
      }
      case 'hang':
        if (!streaming || fault.afterChunks === undefined) return; // never answers
        break;
      default:
        break;
    }

    const reply = await options.model(request);
    const id = `chatcmpl-fake-${nextId++}`;
    const created = Math.floor(Date.now() / 1000);
    const usage = {
      prompt_tokens: fakeTokens(promptChars(request.messages)),
      completion_tokens: fakeTokens(reply.length),
      total_tokens: fakeTokens(promptChars(request.messages)) + fakeTokens(reply.length),
    };

    if (!streaming) {
      if (fault?.kind === 'drop-mid-stream') {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100000' });
        await write(res, '{"id":"');
        exchange.dropConnection();
        return;
      }
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created,
        model: request.model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        ...(options.omitUsage ? {} : { usage }),
      });
      return;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (delta: Record<string, unknown>, finishReason: string | null): string =>
      `data: ${JSON.stringify({
        id,
        object: 'chat.completion.chunk',
        created,
        model: request.model,
        system_fingerprint: 'fp_fake',
        choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
        ...(includeUsage ? { usage: null } : {}),
      })}\n\n`;

    const pieces = splitReply(reply);
    await write(res, chunk({ role: 'assistant', content: '' }, null));
    for (let i = 0; i < pieces.length; i++) {
      if (fault?.kind === 'drop-mid-stream' && i === Math.max(1, Math.floor(pieces.length / 2))) {
        exchange.dropConnection();
        return;
      }
      if (fault?.kind === 'hang' && i === fault.afterChunks) return; // stalls with the stream open
      await tick();
      await write(res, chunk({ content: pieces[i] }, null));
    }
    if (fault?.kind === 'drop-mid-stream') {
      exchange.dropConnection();
      return;
    }
    if (fault?.kind === 'hang') return;
    await write(res, chunk({}, 'stop'));
    if (includeUsage) {
      await write(
        res,
        `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: request.model, system_fingerprint: 'fp_fake', choices: [], usage })}\n\n`,
      );
    }
    await write(res, 'data: [DONE]\n\n');
    res.end();
  }

  function sendModelNotFound(res: http.ServerResponse, model: string): void {
    sendJson(
      res,
      404,
      errorBody(`The model \`${model}\` does not exist or you do not have access to it.`, 'invalid_request_error', 'model_not_found'),
    );
  }

  return {
    url: `${server.url}/v1`,
    requests: server.requests,
    faults: server.faults,
    close: () => server.close(),
  };
}
