/**
 * `npm run bench`: measures the sandbox, search, memory, sub-call fan-out, root context
 * growth and a soak, each figure beside a reference measured in the same run, prints a
 * table of medians and saves every raw sample as JSON. See bench/README.md.
 *
 * This is a script, not a test: nothing here fails on a slow machine; missed targets are
 * printed as such. It exits non-zero only when a measurement could not be carried out.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { findRipgrep } from '../src/cli/ripgrep';
import { ArgsError, USAGE, parseArgs, type Measurement } from './lib/args';
import type { BenchContext, MeasurementResult } from './lib/context';
import { renderTable, type Row } from './lib/stats';
import { measureSandbox } from './measures/sandbox';
import { measureSearch } from './measures/search';
import { measureMemory } from './measures/memory';
import { measureFanout } from './measures/fanout';
import { measureContext } from './measures/context';
import { measureSoak } from './measures/soak';
import { measureEditor } from './measures/editor';
import { measureHostLoad } from './measures/hostload';

const MEASURES: Record<Measurement, (ctx: BenchContext) => Promise<MeasurementResult>> = {
  sandbox: measureSandbox,
  search: measureSearch,
  memory: measureMemory,
  fanout: measureFanout,
  context: measureContext,
  soak: measureSoak,
  editor: measureEditor,
  hostload: measureHostLoad,
};

const projectRoot = path.resolve(__dirname, '..');

function machineInfo(rgPath: string | null): Record<string, unknown> {
  const cpus = os.cpus();
  let rgVersion: string | null = null;
  if (rgPath !== null) {
    const r = spawnSync(rgPath, ['--version'], { encoding: 'utf8' });
    rgVersion = r.status === 0 ? r.stdout.split('\n')[0]!.trim() : null;
  }
  return {
    node: process.version,
    platform: `${process.platform} ${os.release()} ${process.arch}`,
    cpus: cpus.length,
    availableParallelism: os.availableParallelism(),
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    rg: rgVersion,
    rgPath,
  };
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof ArgsError) {
      process.stderr.write(`${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (!fs.existsSync(path.join(projectRoot, 'dist', 'sandbox-worker.js'))) {
    process.stderr.write('dist/sandbox-worker.js is missing: run `npm run bench` (it builds first) or `npm run build`.\n');
    return 1;
  }
  const repo = path.resolve(args.repo ?? path.join(projectRoot, 'node_modules'));
  if (!fs.existsSync(repo) || !fs.statSync(repo).isDirectory()) {
    process.stderr.write(`--repo: "${repo}" is not a directory${args.repo === null ? ' (run npm ci first)' : ''}.\n`);
    return 2;
  }

  const cleanups: Array<() => void | Promise<void>> = [];
  let cleaned = false;
  const cleanup = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    for (const fn of cleanups.reverse()) {
      try {
        await fn();
      } catch (error) {
        process.stderr.write(`cleanup failed: ${String(error)}\n`);
      }
    }
  };
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: cleaning up...\n`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  const rgPath = findRipgrep();
  const machine = machineInfo(rgPath);
  const started = performance.now();
  const ctx: BenchContext = {
    projectRoot,
    repo,
    runs: args.runs,
    soakRuns: args.soakRuns,
    keepTemp: args.keepTemp,
    rgPath,
    log: (m) => process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${m}\n`),
    defer: (fn) => cleanups.push(fn),
  };

  ctx.log(`node ${machine.node}, ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.totalMemGiB} GiB, ${machine.rg ?? 'no rg'}`);
  ctx.log(`measurements: ${args.only.join(', ')}; runs: ${args.runs}; tree: ${repo}`);

  const rows: Row[] = [];
  const raw: Record<string, unknown> = {};
  const details: string[] = [];
  const errors: Record<string, string> = {};
  try {
    for (const name of args.only) {
      ctx.log(`${name}...`);
      const t0 = performance.now();
      try {
        const result = await MEASURES[name](ctx);
        rows.push(...result.rows);
        raw[name] = result.raw;
        if (result.details?.length) details.push(...result.details, '');
      } catch (error) {
        const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
        errors[name] = message;
        ctx.log(`${name} FAILED: ${message}`);
        rows.push({ group: name, name: 'FAILED', unit: 'ms', value: null, reference: null, referenceLabel: '', ratio: null, target: '', met: false, note: message.split('\n')[0] });
      }
      ctx.log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const totalS = (performance.now() - started) / 1000;
  const header = [
    `rlm bench · ${new Date().toISOString()} · node ${machine.node} · ${machine.platform} · ${machine.cpus} CPUs (${machine.cpuModel}) · ${machine.totalMemGiB} GiB`,
    `${machine.rg ?? 'rg: not available'} · runs ${args.runs} · tree ${path.relative(process.cwd(), repo) || '.'} · total ${totalS.toFixed(0)} s`,
    '',
  ];
  process.stdout.write(`${header.join('\n')}${renderTable(rows)}\n${details.length ? `\n${details.join('\n')}` : ''}`);

  const outFile = path.resolve(args.out);
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  const report = { version: 1, startedAt: new Date(Date.now() - totalS * 1000).toISOString(), totalSeconds: totalS, machine, args: { ...args, repo }, rows, raw, errors };
  fs.writeFileSync(outFile, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\nSaved ${path.relative(process.cwd(), outFile)}\n`);
  return Object.keys(errors).length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
