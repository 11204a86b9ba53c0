/**
 * Starting rg without forking the host. On Linux a child process is started with fork():
 * the kernel copies the parent's page tables, and the thread that spawns waits for it.
 * Measured in this project: 2 ms per spawn at 50 MiB of RSS, 10 to 50 ms at 250 MiB, over
 * 100 ms on a loaded machine; an editor's extension host is bigger still. A burst of greps
 * would stall the host's event loop for that long per rg. So the host starts one small
 * Node process, the launcher (a few MiB of page tables, forked once), and the launcher
 * starts every rg and relays its output.
 *
 * Protocol. Host to launcher, stdin, one JSON object per line:
 *   {"op":"run","id":N,"file":rg,"args":[...],"cwd":dir} | {"op":"kill"|"pause"|"resume","id":N}
 * Launcher to host, stdout, frames of [type u8][id u32 LE][length u32 LE][payload]:
 *   1 spawned {"pid"}, 2 rg's stdout bytes, 3 rg's stderr bytes, 4 exit {"code","signal","error"}
 * (exit comes last, after all of that run's output). `pause` stops reading one rg's
 * stdout (rg then blocks on its full pipe); the launcher also stops reading every rg while
 * its own stdout is full, so it never buffers more than a pipe's worth.
 *
 * The launcher kills every rg it started and exits when its stdin closes: when the host
 * ends it after IDLE_MS without runs, and when the host dies. It is plain JavaScript in a
 * string, run with `node -e`, so that it needs no bundle and no loader wherever this
 * module runs (the CLI bundle, the editor's bundle, tests from source).
 */
import { spawn, type ChildProcess } from 'node:child_process';

const IDLE_MS = 3000;

const LAUNCHER_SOURCE = String.raw`'use strict';
const { spawn } = require('child_process');
const runs = new Map();
let outFull = false;
function frame(type, id, payload) {
  const head = Buffer.allocUnsafe(9);
  head[0] = type;
  head.writeUInt32LE(id, 1);
  head.writeUInt32LE(payload.length, 5);
  process.stdout.write(head);
  if (!process.stdout.write(payload) && !outFull) {
    outFull = true;
    for (const r of runs.values()) if (!r.killed) r.child.stdout.pause();
    process.stdout.once('drain', () => {
      outFull = false;
      for (const r of runs.values()) if (!r.paused || r.killed) r.child.stdout.resume();
    });
  }
}
const json = (o) => Buffer.from(JSON.stringify(o));
function start(m) {
  let child;
  try {
    child = spawn(m.file, m.args, { cwd: m.cwd, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  } catch (e) {
    frame(4, m.id, json({ code: null, signal: null, error: String((e && e.message) || e) }));
    return;
  }
  const run = { child, paused: false, done: false, killed: false };
  runs.set(m.id, run);
  let error = null;
  const end = (code, signal) => {
    if (run.done) return;
    run.done = true;
    runs.delete(m.id);
    frame(4, m.id, json({ code, signal, error }));
  };
  child.on('spawn', () => frame(1, m.id, json({ pid: child.pid })));
  child.stdout.on('data', (d) => { if (!run.killed) frame(2, m.id, d); });
  child.stderr.on('data', (d) => { if (!run.killed) frame(3, m.id, d); });
  child.on('error', (e) => {
    error = String(e.message);
    if (child.pid === undefined) end(null, null);
  });
  child.on('close', (code, signal) => end(code, signal));
  if (outFull) child.stdout.pause();
}
function handle(m) {
  if (m.op === 'run') return start(m);
  const r = runs.get(m.id);
  if (!r) return;
  if (m.op === 'kill') {
    // What a killed rg still writes is dropped, not relayed (and read, should it be paused).
    r.killed = true;
    r.child.kill('SIGKILL');
    r.child.stdout.resume();
  }
  else if (m.op === 'pause') { r.paused = true; r.child.stdout.pause(); }
  else if (m.op === 'resume') { r.paused = false; if (!outFull || r.killed) r.child.stdout.resume(); }
}
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (s) => {
  pending += s;
  for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n')) {
    const line = pending.slice(0, nl);
    pending = pending.slice(nl + 1);
    if (line !== '') handle(JSON.parse(line));
  }
});
const quit = () => {
  for (const r of runs.values()) r.child.kill('SIGKILL');
  process.exit(0);
};
process.stdin.on('end', quit);
process.stdin.on('error', quit);
process.stdout.on('error', quit);
`;

export interface LaunchedRun {
  /** rg started (its pid). */
  spawned(pid: number): void;
  stdout(chunk: Buffer): void;
  stderr(chunk: Buffer): void;
  /** rg ended (or never started: `error`); the last call for the run. */
  exit(outcome: { code: number | null; signal: string | null; error: string | null }): void;
}

/** The host side of the launcher: one process, started on first use, shared by every run. */
export class RgLauncher {
  private child: ChildProcess | null = null;
  private readonly runs = new Map<number, LaunchedRun>();
  private nextId = 1;
  private idleTimer: NodeJS.Timeout | null = null;
  private header: Buffer | null = null;
  private partial: Buffer[] = [];
  private partialBytes = 0;

  /** Starts rg through the launcher; returns the run's id for kill/pause/resume. */
  run(file: string, args: readonly string[], cwd: string, handlers: LaunchedRun): number {
    const id = this.nextId++;
    this.runs.set(id, handlers);
    this.send({ op: 'run', id, file, args, cwd });
    return id;
  }

  kill(id: number): void {
    if (this.runs.has(id)) this.send({ op: 'kill', id });
  }

  pause(id: number): void {
    if (this.runs.has(id)) this.send({ op: 'pause', id });
  }

  resume(id: number): void {
    if (this.runs.has(id)) this.send({ op: 'resume', id });
  }

  /** The launcher's pid while it runs (for tests), else null. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  private send(message: object): void {
    const child = this.child ?? this.start();
    this.wake(child);
    child.stdin!.write(`${JSON.stringify(message)}\n`);
  }

  private start(): ChildProcess {
    const env: NodeJS.ProcessEnv = { ...process.env, ELECTRON_RUN_AS_NODE: '1' };
    // The host's own options (an inspector port, a loader) are not for the launcher.
    delete env.NODE_OPTIONS;
    const child = spawn(process.execPath, ['-e', LAUNCHER_SOURCE], { stdio: ['pipe', 'pipe', 'ignore'], env, windowsHide: true });
    this.child = child;
    this.header = null;
    this.partial = [];
    this.partialBytes = 0;
    child.stdin!.on('error', () => undefined); // a launcher that died is handled on 'exit'
    child.stdout!.on('data', (chunk: Buffer) => this.receive(chunk));
    const gone = (why: string): void => {
      if (this.child !== child) return;
      this.child = null;
      if (this.idleTimer !== null) clearTimeout(this.idleTimer);
      this.idleTimer = null;
      const orphans = [...this.runs.values()];
      this.runs.clear();
      for (const run of orphans) run.exit({ code: null, signal: null, error: why });
    };
    child.on('error', (err) => gone(`the rg launcher failed: ${err.message}`));
    child.on('exit', () => gone('the rg launcher exited'));
    return child;
  }

  /** Splits the launcher's output into frames and hands each to its run. */
  private receive(chunk: Buffer): void {
    let data = this.partialBytes > 0 ? Buffer.concat([...this.partial, chunk]) : chunk;
    this.partial = [];
    this.partialBytes = 0;
    let at = 0;
    for (;;) {
      if (this.header === null) {
        if (data.length - at < 9) break;
        this.header = data.subarray(at, at + 9);
        at += 9;
      }
      const length = this.header.readUInt32LE(5);
      if (data.length - at < length) break;
      const type = this.header[0]!;
      const id = this.header.readUInt32LE(1);
      const payload = data.subarray(at, at + length);
      at += length;
      this.header = null;
      try {
        this.deliver(type, id, payload);
      } catch {
        // A run's handler that throws must not cost the other runs the frames after its
        // own in this chunk (a lost exit frame would leave its search waiting forever).
      }
    }
    if (at < data.length) {
      // Keep the rest (and a header already read) for the next chunk.
      const rest = data.subarray(at);
      if (this.header !== null) {
        data = Buffer.concat([this.header, rest]);
        this.header = null;
      } else data = rest;
      this.partial = [Buffer.from(data)];
      this.partialBytes = data.length;
    }
  }

  private deliver(type: number, id: number, payload: Buffer): void {
    const run = this.runs.get(id);
    if (run === undefined) return;
    if (type === 1) run.spawned((JSON.parse(payload.toString('utf8')) as { pid: number }).pid);
    else if (type === 2) run.stdout(payload);
    else if (type === 3) run.stderr(payload);
    else if (type === 4) {
      this.runs.delete(id);
      run.exit(JSON.parse(payload.toString('utf8')) as { code: number | null; signal: string | null; error: string | null });
      if (this.runs.size === 0) this.goIdle();
    }
  }

  /** No runs: let the host exit, and end the launcher if none come for a while. */
  private goIdle(): void {
    const child = this.child;
    if (child === null || this.idleTimer !== null) return;
    child.unref();
    for (const stream of [child.stdin, child.stdout]) (stream as unknown as { unref?(): void } | null)?.unref?.();
    this.idleTimer = setTimeout(() => {
      this.idleTimer = null;
      if (this.runs.size !== 0 || this.child !== child) return;
      this.child = null; // the next run starts a new launcher; this one exits on its own
      child.stdin!.end();
    }, IDLE_MS);
    this.idleTimer.unref();
  }

  private wake(child: ChildProcess): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    child.ref();
    for (const stream of [child.stdin, child.stdout]) (stream as unknown as { ref?(): void } | null)?.ref?.();
  }
}
