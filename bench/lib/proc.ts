/** Child processes for the benchmark: timed runs of rg, /usr/bin/time, and bundled child scripts. */
import { spawn } from 'node:child_process';
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface ProcessRun {
  ms: number;
  code: number | null;
  /** Newline-terminated records on stdout (NUL-terminated with `countNul`). */
  records: number;
  stdoutBytes: number;
  stderr: string;
  /** stdout, when asked to keep it. */
  stdout?: string;
  /** True when the process was killed because it outlived `timeoutMs`. */
  timedOut: boolean;
}

/**
 * Runs `cmd` to completion, draining stdout as fast as it comes (counting records, not
 * keeping them unless `keep`), and times it from spawn to close.
 */
export function runProcess(
  cmd: string,
  args: readonly string[],
  options: {
    cwd?: string;
    keep?: boolean;
    countNul?: boolean;
    env?: NodeJS.ProcessEnv;
    timeoutMs?: number;
    /** Kill the process once it has printed this many records; `ms` is then the time to that record. */
    maxRecords?: number;
  } = {},
): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'], env: options.env ?? process.env });
    const sep = options.countNul ? 0 : 10;
    let records = 0;
    let bytes = 0;
    let stderr = '';
    const kept: Buffer[] = [];
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, options.timeoutMs);
    let cutAt: number | null = null;
    child.stdout.on('data', (chunk: Buffer) => {
      if (cutAt !== null) return;
      bytes += chunk.length;
      for (let i = chunk.indexOf(sep); i !== -1; i = chunk.indexOf(sep, i + 1)) records++;
      if (options.maxRecords !== undefined && records >= options.maxRecords) {
        cutAt = performance.now() - t0;
        records = options.maxRecords;
        child.kill('SIGKILL');
      }
      if (options.keep) kept.push(chunk);
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 100_000) stderr += d.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({
        timedOut,
        ms: cutAt ?? performance.now() - t0,
        code,
        records,
        stdoutBytes: bytes,
        stderr,
        ...(options.keep ? { stdout: Buffer.concat(kept).toString('utf8') } : {}),
      });
    });
  });
}

export const TIME_BINARY = '/usr/bin/time';

export function hasGnuTime(): boolean {
  try {
    fs.accessSync(TIME_BINARY, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs `cmd` under `/usr/bin/time -v` and returns its peak RSS in KiB (null when not reported). */
export async function maxRssOf(cmd: string, args: readonly string[], cwd: string): Promise<{ maxRssKiB: number | null; run: ProcessRun }> {
  const run = await runProcess(TIME_BINARY, ['-v', cmd, ...args], { cwd });
  const m = /Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr);
  return { maxRssKiB: m ? Number(m[1]) : null, run };
}

/**
 * Bundles a child script (TypeScript, importing src/) into one CommonJS file under
 * bench/results/.build, so a child runs like the shipped bundles do: plain node, no loader.
 * It lives inside the project so that node_modules (the rg binary) and dist/ resolve.
 */
export async function bundleChild(projectRoot: string, entry: string): Promise<string> {
  const esbuild = await import('esbuild');
  const outfile = path.join(projectRoot, 'bench', 'results', '.build', `${path.basename(entry, '.ts')}.js`);
  await esbuild.build({
    entryPoints: [path.join(projectRoot, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: false,
    logLevel: 'warning',
  });
  return outfile;
}

/** Runs a bundled child with node and parses the last stdout line as JSON. */
export async function runJsonChild<T>(
  file: string,
  args: readonly string[],
  options: { nodeFlags?: readonly string[]; timeoutMs?: number } = {},
): Promise<{ result: T; run: ProcessRun }> {
  const run = await runProcess(process.execPath, [...(options.nodeFlags ?? []), file, ...args], {
    keep: true,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  });
  const lastLine = (run.stdout ?? '').trim().split('\n').pop() ?? '';
  // A child killed for outliving its time still counts when it printed its result first.
  if (run.timedOut && lastLine.startsWith('{')) return { result: JSON.parse(lastLine) as T, run };
  if (run.code !== 0) throw new Error(`${path.basename(file)} exited with ${run.code}: ${run.stderr.trim().slice(-2000)}`);
  try {
    return { result: JSON.parse(lastLine) as T, run };
  } catch {
    throw new Error(`${path.basename(file)} printed no JSON result: ${(run.stdout ?? '').slice(-500)} ${run.stderr.slice(-500)}`);
  }
}

export interface ServerChild {
  /** Base URL of the model server, including /v1. */
  url: string;
  /** The server's counters (requests, in flight, open sockets); `reset` zeroes them after reading. */
  stats(reset?: boolean): Promise<{ requests: number; maxInFlight: number; inFlight: number; openSockets: number; firstArrival: number | null; lastEnd: number | null }>;
  close(): Promise<void>;
}

/** Starts bench/children/serverChild.ts (bundled) and waits for its URL. */
export async function startServerChild(projectRoot: string, args: readonly string[]): Promise<ServerChild> {
  const file = await bundleChild(projectRoot, 'bench/children/serverChild.ts');
  const child = spawn(process.execPath, [file, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const first = await new Promise<string>((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        child.stdout.off('data', onData);
        resolve(buf.slice(0, nl));
      }
    };
    child.stdout.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`server child exited early with ${code}`)));
  });
  child.stdout.resume();
  const { url, control } = JSON.parse(first) as { url: string; control: string };
  const get = (p: string) =>
    new Promise<string>((resolve, reject) => {
      http
        .get(`${control}${p}`, { agent: false }, (res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += d.toString('utf8')));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  let closed = false;
  return {
    url,
    stats: async (reset = false) => JSON.parse(await get(reset ? '/bench/reset' : '/bench/stats')),
    close: async () => {
      if (closed) return;
      closed = true;
      child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
      await exited;
      clearTimeout(timer);
    },
  };
}
