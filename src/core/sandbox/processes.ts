/**
 * Sandbox processes as the host sees them: started, written to, read and ended through the
 * launcher thread (launcher.ts), so that no step of it waits on the host's event loop.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LauncherCommand, LauncherEvent } from './launcherProtocol';

export interface ProcessExit {
  code: number | null;
  signal: string | null;
  /** The end of what the process wrote to stderr (V8's fatal errors go there). */
  stderr: string;
}

export interface SandboxProcess {
  /** Resolves with the process id once it runs. */
  readonly pid: Promise<number>;
  onLine: (line: string) => void;
  /** Called once when the process wrote a line past its limit (it is then killed). */
  onBroken: (why: string) => void;
  /** Resolves when the process has exited, for whatever reason. */
  readonly exited: Promise<ProcessExit>;
  write(text: string): void;
  kill(): void;
}

export interface StartOptions {
  command: string;
  args: string[];
  env: Record<string, string>;
  maxLineBytes: number;
  niceness: number;
}

/** Finds a bundle of dist/ whether we run from the bundle (dist/) or from source. */
export function resolveBundle(name: string): string {
  const candidates = [path.join(__dirname, name)];
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) candidates.push(path.join(dir, 'dist', name));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`The sandbox bundle (dist/${name}) is missing. Run \`npm run build\` first.`);
  return found;
}

interface Entry {
  handle: SandboxProcess;
  resolvePid: (pid: number) => void;
  resolveExit: (exit: ProcessExit) => void;
  pid: number | null;
}

/** Sandbox processes asked for and gone over the host's life (for the soak benchmark's leak check). */
export const processCounts = { started: 0, exited: 0 };

let launcher: Worker | null = null;
let nextId = 1;
const entries = new Map<number, Entry>();
let exitHookInstalled = false;

function launcherThread(): Worker {
  if (launcher) return launcher;
  const worker = new Worker(resolveBundle('sandbox-launcher.js'), { execArgv: [], env: {} });
  // Like a child process: it keeps the host alive while a sandbox runs, and not when idle.
  worker.unref();
  worker.on('message', (event: LauncherEvent) => {
    const entry = entries.get(event.id);
    if (!entry) return;
    switch (event.op) {
      case 'spawned':
        entry.pid = event.pid;
        entry.resolvePid(event.pid);
        break;
      case 'line':
        entry.handle.onLine(event.line);
        break;
      case 'broken':
        entry.handle.onBroken(event.why);
        break;
      case 'exit':
        processCounts.exited++;
        entries.delete(event.id);
        if (entries.size === 0) worker.unref();
        entry.resolvePid(-1);
        entry.resolveExit({ code: event.code, signal: event.signal, stderr: event.stderr });
        break;
    }
  });
  const lost = () => {
    // The launcher itself failed: every process it held is as good as gone to the host.
    if (launcher === worker) launcher = null;
    for (const [id, entry] of entries) {
      if (entry.pid !== null && entry.pid > 0) killPid(entry.pid);
      processCounts.exited++;
      entries.delete(id);
      entry.resolvePid(-1);
      entry.resolveExit({ code: null, signal: null, stderr: 'the sandbox launcher stopped' });
    }
  };
  worker.on('error', lost);
  worker.on('exit', lost);
  launcher = worker;
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // No sandbox outlives the host: on exit, end every one still running (synchronously).
    process.once('exit', () => {
      for (const entry of entries.values()) if (entry.pid !== null && entry.pid > 0) killPid(entry.pid);
    });
  }
  return worker;
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

export function startProcess(options: StartOptions): SandboxProcess {
  const worker = launcherThread();
  const id = nextId++;
  let resolvePid!: (pid: number) => void;
  let resolveExit!: (exit: ProcessExit) => void;
  const pid = new Promise<number>((resolve) => (resolvePid = resolve));
  const exited = new Promise<ProcessExit>((resolve) => (resolveExit = resolve));
  const send = (command: LauncherCommand) => worker.postMessage(command);
  const handle: SandboxProcess = {
    pid,
    exited,
    onLine: () => {},
    onBroken: () => {},
    write: (data) => {
      if (entries.has(id)) send({ op: 'write', id, data });
    },
    kill: () => {
      if (entries.has(id)) send({ op: 'kill', id });
    },
  };
  entries.set(id, { handle, resolvePid, resolveExit, pid: null });
  processCounts.started++;
  worker.ref();
  send({ op: 'spawn', id, ...options });
  return handle;
}
