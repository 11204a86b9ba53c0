/**
 * The sandbox zygote: a small process of the host's that starts sandbox processes and hands
 * their pipes to the host (node's IPC handle passing). Built as dist/sandbox-zygote.js; runs
 * no guest code. POSIX only (the host starts sandboxes itself on Windows).
 *
 * Why a process: starting a process forks the one that starts it, and fork() copies its page
 * tables under a lock that every page fault of that process then waits for. From the host
 * (hundreds of MiB in the editor) that stalled the host's event loop for up to 200 ms on a
 * loaded machine, whichever thread called spawn(). Forking this small process costs the host
 * nothing; the host forks once, to start it.
 *
 * It also ends every sandbox it started when the host goes away (its IPC channel closes),
 * which no sandbox can prevent: guest code never runs here.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { setPriority } from 'node:os';
import type { ZygoteCommand, ZygoteEvent } from './zygoteProtocol';

const children = new Map<number, ChildProcessWithoutNullStreams>();

function send(event: ZygoteEvent, handle?: import('node:net').Socket): void {
  if (process.connected) process.send!(event, handle);
}

function start(command: Extract<ZygoteCommand, { op: 'spawn' }>): void {
  const { id } = command;
  let child: ChildProcessWithoutNullStreams;
  try {
    child = spawn(command.command, command.args, { stdio: ['pipe', 'pipe', 'pipe'], env: command.env });
  } catch (error) {
    send({ op: 'exit', id, code: null, signal: null, error: error instanceof Error ? error.message : String(error) });
    return;
  }
  let spawnError: string | null = null;
  child.on('error', (error) => {
    spawnError = error.message;
  });
  if (child.pid === undefined) {
    child.once('close', () => send({ op: 'exit', id, code: null, signal: null, error: spawnError ?? 'the process did not start' }));
    return;
  }
  children.set(id, child);
  // Below the host's priority: a guest spinning in its loop must not take CPU from the editor.
  try {
    setPriority(child.pid, command.niceness);
  } catch {
    // not permitted here; the sandbox runs at the host's priority
  }
  send({ op: 'spawned', id, pid: child.pid });
  // The pipes go to the host, which reads and writes them itself; this side closes its copies.
  // stdin last: the sandbox writes only in answer to what the host writes, and the host can
  // write only once it has stdin, so by then the read ends are the host's. A read end still
  // here could have its first bytes read into this process's buffer and lost in the handover.
  send({ op: 'pipe', id, which: 'stdout' }, child.stdout as unknown as import('node:net').Socket);
  send({ op: 'pipe', id, which: 'stderr' }, child.stderr as unknown as import('node:net').Socket);
  send({ op: 'pipe', id, which: 'stdin' }, child.stdin as unknown as import('node:net').Socket);
  child.once('exit', (code, signal) => {
    children.delete(id);
    send({ op: 'exit', id, code, signal, error: spawnError });
  });
}

process.on('message', (command: ZygoteCommand) => {
  if (command.op === 'spawn') start(command);
  else if (command.op === 'kill') children.get(command.id)?.kill('SIGKILL');
});

// The host is gone (or done with us): no sandbox outlives it.
process.on('disconnect', () => {
  for (const child of children.values()) child.kill('SIGKILL');
  process.exit(0);
});
