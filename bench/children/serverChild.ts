/**
 * The benchmark's model server as a process of its own (bundled and run with plain node),
 * so that its work does not share an event loop with the client being measured, as a
 * real model server would not.
 *
 *   node serverChild.js fanout|soak DELAY_MS [CALLS]
 *
 * Prints `{"url": ...}` once listening. GET /bench/stats returns the server's counters,
 * POST /bench/reset zeroes them. Exits when its stdin closes (the parent went away).
 */
import * as http from 'node:http';
import { SUBCALL_SYSTEM_PROMPT } from '../../src/core/engine/prompts';
import { jsReply, rootTurn, startDelayServer, type ChatRequest } from '../lib/delayServer';
import { SOAK_SUB_PROMPTS, questionOf, soakRootCode } from '../lib/scripts';

const [mode, delayArg, callsArg] = process.argv.slice(2);
const delayMs = Number(delayArg ?? 0);
const calls = Number(callsArg ?? 200);

function isSub(request: ChatRequest): boolean {
  return request.messages[0]?.content === SUBCALL_SYSTEM_PROMPT;
}

function fanout(request: ChatRequest): { text: string; delayMs: number } {
  if (isSub(request)) {
    const last = request.messages[request.messages.length - 1]?.content ?? '';
    return { text: `summary of: ${last.slice(0, 40)}`, delayMs };
  }
  const code =
    rootTurn(request) === 0
      ? [
          `const prompts = Array.from({ length: ${calls} }, (_, i) => "Summarise part " + i + " of the repository.");`,
          'const replies = await llm.batch(prompts);',
          'print(replies.length, replies.filter((r) => r.startsWith("[llm error]")).length);',
        ].join('\n')
      : 'answer.content = "done"; answer.ready = true';
  return { text: jsReply(code), delayMs: 0 };
}

function soak(request: ChatRequest): { text: string; delayMs: number } {
  if (isSub(request)) return { text: `ok ${SOAK_SUB_PROMPTS}`, delayMs };
  return { text: jsReply(soakRootCode(rootTurn(request), questionOf(request.messages))), delayMs };
}

async function main(): Promise<void> {
  if (mode !== 'fanout' && mode !== 'soak') throw new Error('usage: serverChild fanout|soak DELAY_MS [CALLS]');
  const server = await startDelayServer({ respond: mode === 'fanout' ? fanout : soak });
  // A second, tiny server for the parent's control requests, so they never touch the model server's sockets.
  const control = http.createServer((req, res) => {
    const body = JSON.stringify({ ...server.stats, openSockets: server.openSockets() });
    if (req.url === '/bench/reset') server.resetStats();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(body);
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', () => resolve()));
  const controlPort = (control.address() as { port: number }).port;
  const shutdown = () => {
    control.close();
    void server.close().then(() => process.exit(0));
  };
  process.stdin.on('end', shutdown);
  process.stdin.on('close', shutdown);
  process.stdin.resume();
  process.on('SIGTERM', shutdown);
  process.stdout.write(`${JSON.stringify({ url: server.url, control: `http://127.0.0.1:${controlPort}` })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
