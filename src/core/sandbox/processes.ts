/**
 * Sandbox processes as the host sees them: started, written to, read and ended. On POSIX they
 * are started by the zygote (zygote.ts), so the host never forks itself per sandbox, and the
 * zygote hands their pipes back; the host reads stdout into lines of bounded length
 * (channel.ts) on its own event loop, which is asynchronous I/O. On Windows, where starting a
 * process does not copy the starter's address space, the host starts them itself.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { Socket } from 'node:net';
import { setPriority } from 'node:os';
import * as path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { LineReader } from './channel';
import type { ZygoteCommand, ZygoteEvent } from './zygoteProtocol';

export interface ProcessExit {
  code: number | null;
  signal: string | null;
  /** The end of what the process wrote to stderr (V8's fatal errors go there). */
  stderr: string;
}

export interface SandboxProcess {
  /** Resolves with the process id once it runs, or -1 if it never did. */
  readonly pid: Promise<number>;
  onLine: (line: string) => void;
  /** Called once when the process wrote a line past its limit (it is then killed). */
  onBroken: (why: string) => void;
  /** Resolves when the process has exited and its output has been read, for whatever reason. */
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

/** Sandbox processes asked for and gone over the host's life (for the soak benchmark's leak check). */
export const processCounts = { started: 0, exited: 0 };

/** Finds a bundle of dist/ whether we run from the bundle (dist/) or from source. */
export function resolveBundle(name: string): string {
  const candidates = [path.join(__dirname, name)];
  for (let dir = __dirname, i = 0; i < 6; i++, dir = path.dirname(dir)) candidates.push(path.join(dir, 'dist', name));
  const found = candidates.find((c) => existsSync(c));
  if (!found) throw new Error(`The sandbox bundle (dist/${name}) is missing. Run \`npm run build\` first.`);
  return found;
}

const STDERR_TAIL_CHARS = 8_192;

/** One started process: its pipes (once they are here), and how to end it. */
class Entry implements SandboxProcess {
  readonly pid: Promise<number>;
  readonly exited: Promise<ProcessExit>;
  onLine: (line: string) => void = () => {};
  onBroken: (why: string) => void = () => {};
  knownPid: number | null = null;
  private resolvePid!: (pid: number) => void;
  private resolveExit!: (exit: ProcessExit) => void;
  private stdin: Writable | null = null;
  /** What was written before the zygote handed over stdin. */
  private queued: string[] = [];
  private stderr = '';
  private pipesOpen = 0;
  private exit: { code: number | null; signal: string | null; error: string | null } | null = null;
  private done = false;

  constructor(
    private readonly maxLineBytes: number,
    private readonly killer: () => void,
  ) {
    this.pid = new Promise((resolve) => (this.resolvePid = resolve));
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    processCounts.started++;
  }

  started(pid: number): void {
    this.knownPid = pid;
    this.resolvePid(pid);
  }

  attach(which: 'stdin' | 'stdout' | 'stderr', stream: Readable | Writable): void {
    if (which === 'stdin') {
      this.stdin = stream as Writable;
      // A sandbox that died mid-write must not take the host with it.
      this.stdin.on('error', () => {});
      for (const text of this.queued.splice(0)) this.write(text);
      return;
    }
    const readable = stream as Readable;
    this.pipesOpen++;
    readable.on('error', () => {});
    readable.once('close', () => {
      this.pipesOpen--;
      this.settle();
    });
    if (which === 'stderr') {
      readable.on('data', (chunk: Buffer) => {
        this.stderr = (this.stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
      });
      return;
    }
    const reader = new LineReader(
      this.maxLineBytes,
      (line) => this.onLine(line),
      (error) => {
        this.kill();
        readable.destroy();
        this.onBroken(error.message);
      },
    );
    readable.on('data', (chunk: Buffer) => reader.push(chunk));
  }

  write(text: string): void {
    if (this.exit) return;
    if (this.stdin === null) this.queued.push(text);
    else if (this.stdin.writable) this.stdin.write(text);
  }

  kill(): void {
    if (!this.exit) this.killer();
  }

  exitedWith(code: number | null, signal: string | null, error: string | null): void {
    this.exit = { code, signal, error };
    this.queued = [];
    this.stdin?.destroy();
    this.resolvePid(-1);
    this.settle();
  }

  /** Settled once the process is gone and what it wrote has been read (stderr tells an OOM from a crash). */
  private settle(): void {
    if (this.done || !this.exit || this.pipesOpen > 0) return;
    this.done = true;
    processCounts.exited++;
    const { code, signal, error } = this.exit;
    this.resolveExit({ code, signal, stderr: error ? `${error}\n${this.stderr}` : this.stderr });
  }
}

// ---- POSIX: through the zygote --------------------------------------------------------------

let zygote: ChildProcess | null = null;
let nextId = 1;
/** Processes started through the zygote, by id. */
const entries = new Map<number, Entry>();
/** Processes the host started itself (Windows). */
const direct = new Set<Entry>();
let exitHookInstalled = false;

/**
 * Windows: no sandbox outlives the host that started it directly; on exit, end every one
 * still running (synchronously). On POSIX the zygote does this when its channel closes,
 * whatever way the host went.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const entry of direct) if (entry.knownPid !== null && entry.knownPid > 0) killPid(entry.knownPid);
  });
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Keeps the host alive while a sandbox runs, and not when idle (as a child process would). */
function refWhileBusy(z: ChildProcess): void {
  const channel = (z as ChildProcess & { channel?: { ref(): void; unref(): void } }).channel;
  if (entries.size > 0) {
    z.ref();
    channel?.ref();
  } else {
    z.unref();
    channel?.unref();
  }
}

function zygoteProcess(): ChildProcess {
  if (zygote) return zygote;
  const z = fork(resolveBundle('sandbox-zygote.js'), [], {
    execArgv: [],
    env: process.versions.electron ? { ELECTRON_RUN_AS_NODE: '1' } : {},
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    serialization: 'json',
  });
  z.on('message', (event: ZygoteEvent, handle?: Socket) => {
    const entry = entries.get(event.id);
    if (!entry) {
      handle?.destroy();
      return;
    }
    switch (event.op) {
      case 'spawned':
        entry.started(event.pid);
        break;
      case 'pipe':
        if (handle) entry.attach(event.which, handle);
        break;
      case 'exit':
        entries.delete(event.id);
        entry.exitedWith(event.code, event.signal, event.error);
        refWhileBusy(z);
        break;
    }
  });
  const lost = () => {
    // The zygote itself is gone: every sandbox it started is as good as gone to the host.
    if (zygote === z) zygote = null;
    for (const [id, entry] of entries) {
      if (entry.knownPid !== null && entry.knownPid > 0) killPid(entry.knownPid);
      entries.delete(id);
      entry.exitedWith(null, null, 'the sandbox zygote stopped');
    }
  };
  z.on('error', lost);
  z.on('exit', lost);
  zygote = z;
  return z;
}

function startWithZygote(options: StartOptions): SandboxProcess {
  const z = zygoteProcess();
  const id = nextId++;
  const send = (command: ZygoteCommand) => {
    if (z.connected) z.send(command);
  };
  const entry = new Entry(options.maxLineBytes, () => send({ op: 'kill', id }));
  entries.set(id, entry);
  refWhileBusy(z);
  send({ op: 'spawn', id, command: options.command, args: options.args, env: options.env, niceness: options.niceness });
  return entry;
}

// ---- Windows: directly --------------------------------------------------------------------

function startDirectly(options: StartOptions): SandboxProcess {
  const child = spawn(options.command, options.args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env, windowsHide: true });
  const entry = new Entry(options.maxLineBytes, () => child.kill('SIGKILL'));
  let spawnError: string | null = null;
  child.on('error', (error) => {
    spawnError = error.message;
  });
  if (child.pid !== undefined) {
    entry.started(child.pid);
    try {
      setPriority(child.pid, options.niceness);
    } catch {
      // not permitted here
    }
  }
  entry.attach('stdin', child.stdin);
  entry.attach('stdout', child.stdout);
  entry.attach('stderr', child.stderr);
  child.once('exit', (code, signal) => entry.exitedWith(code, signal, spawnError));
  child.once('error', () => {
    if (child.pid === undefined) entry.exitedWith(null, null, spawnError);
  });
  direct.add(entry);
  installExitHook();
  void entry.exited.then(() => direct.delete(entry));
  return entry;
}

export function startProcess(options: StartOptions): SandboxProcess {
  return process.platform === 'win32' ? startDirectly(options) : startWithZygote(options);
}
