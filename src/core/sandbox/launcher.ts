/**
 * The sandbox launcher: a worker thread of the host that starts sandbox processes and owns
 * their pipes. Built as dist/sandbox-launcher.js; runs no guest code.
 *
 * Why a thread: child_process.spawn() returns only once the new process has called exec,
 * and until then the calling thread waits on the operating system. On a loaded machine that
 * took up to 200 ms, all of it on the host's event loop. Here it costs this thread only.
 * The thread also reads the sandbox's stdout into lines (channel.ts), refusing a line past
 * its limit before buffering more, and hands the host complete lines only.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { LineReader } from './channel';
import type { LauncherCommand, LauncherEvent } from './launcherProtocol';

const port = parentPort!;
const children = new Map<number, ChildProcessWithoutNullStreams>();
const STDERR_TAIL_CHARS = 8_192;

function post(event: LauncherEvent): void {
  port.postMessage(event);
}

function start(command: Extract<LauncherCommand, { op: 'spawn' }>): void {
  const { id } = command;
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(command.command, command.args, { stdio: ['pipe', 'pipe', 'pipe'], env: command.env, windowsHide: true });
  } catch (error) {
    post({ op: 'exit', id, code: null, signal: null, stderr: error instanceof Error ? error.message : String(error) });
    return;
  }
  children.set(id, child);
  // Below the host's priority: a guest spinning in its loop must not take CPU from the editor.
  try {
    if (child.pid !== undefined) setPriority(child.pid, command.niceness);
  } catch {
    // not permitted here; the sandbox runs at the host's priority
  }
  post({ op: 'spawned', id, pid: child.pid ?? -1 });
  let stderr = '';
  let spawnError = '';
  child.on('error', (error) => {
    spawnError = error.message;
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
  });
  // A sandbox that died mid-write must not take the launcher with it.
  child.stdin.on('error', () => {});
  const reader = new LineReader(
    command.maxLineBytes,
    (line) => post({ op: 'line', id, line }),
    (error) => {
      post({ op: 'broken', id, why: error.message });
      child.kill('SIGKILL');
    },
  );
  child.stdout.on('data', (chunk: Buffer) => reader.push(chunk));
  child.once('close', (code, signal) => {
    children.delete(id);
    post({ op: 'exit', id, code, signal, stderr: spawnError ? `${spawnError}\n${stderr}` : stderr });
  });
}

port.on('message', (command: LauncherCommand) => {
  switch (command.op) {
    case 'spawn':
      start(command);
      break;
    case 'write': {
      const child = children.get(command.id);
      if (child?.stdin.writable) child.stdin.write(command.data);
      break;
    }
    case 'kill':
      children.get(command.id)?.kill('SIGKILL');
      break;
  }
});
