/**
 * The `rlm` command line over the core engine. `runCli` takes its world as arguments
 * (argv, environment, streams, a cancellation signal) so tests can run it in-process.
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { formatCitation } from '../core/engine/citations';
import { RlmRunError, runRlm, type RlmResult } from '../core/engine/rlm';
import { ProviderError } from '../core/providers/types';
import { WorkspaceRepo } from '../core/repo/workspaceRepo';
import { HELP, parseCommandLine, type AskArgs } from './args';
import { chooseProvider } from './chooseProvider';
import { runEvalCommand } from './evalCommand';
import type { CliIo } from './io';
import { limitsFrom, pricesFor, repoDirectory } from './options';
import { ProgressReporter } from './progress';
import { describeProviderError } from './providerAdvice';
import { UsageError } from './usageError';
import { findRipgrep } from './ripgrep';

export const VERSION = '0.1.0';

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    const command = parseCommandLine(argv, io.cwd);
    if (command.kind === 'help') {
      io.stdout.write(`${HELP}\n`);
      return 0;
    }
    if (command.kind === 'version') {
      io.stdout.write(`rlm ${VERSION}\n`);
      return 0;
    }
    if (command.kind === 'eval') return await runEvalCommand(command.command, io);
    return await ask(command.args, io);
  } catch (error) {
    return reportError(error, io);
  }
}

async function ask(args: AskArgs, io: CliIo): Promise<number> {
  const repoPath = repoDirectory(args.repo, io.cwd);

  const models = await chooseProvider(args, io.env);
  const progress = new ProgressReporter(io.stderr, !args.quiet);
  if (!args.quiet) io.stderr.write(`rlm: ${path.basename(repoPath)} · ${models.description}\n`);

  const repo = new WorkspaceRepo(repoPath, { useGitignore: args.gitignore, ripgrepPath: findRipgrep() });
  let result: RlmResult;
  try {
    result = await runRlm({
      repo,
      query: args.question,
      root: models.root,
      sub: models.sub,
      subcalls: args.subcalls,
      limits: limitsFrom(args),
      sandbox: { cellTimeoutMs: args.cellTimeoutMs },
      prices: pricesFor(models, args),
      signal: io.signal,
      onEvent: (e) => progress.handle(e),
    });
  } catch (error) {
    progress.finish();
    if (error instanceof RlmRunError) {
      if (args.trace) await writeTrace(args.trace, error.partial, io);
      if (error.partial.answer.trim()) {
        io.stderr.write('rlm: the run failed; its last draft answer follows.\n');
        io.stdout.write(`${error.partial.answer}\n`);
      }
      throw error.cause ?? error;
    }
    throw error;
  }
  progress.finish();
  if (args.trace) await writeTrace(args.trace, result, io);

  if (args.json) {
    const { answer, ready, stoppedBy, limitsHit, note, citations, usage, limits } = result;
    io.stdout.write(`${JSON.stringify({ answer, ready, stoppedBy, limitsHit, note, citations, usage, limits }, null, 2)}\n`);
  } else {
    io.stdout.write(`${result.answer.trimEnd()}\n`);
    if (result.citations.length > 0) {
      io.stdout.write(`\nFiles read:\n${result.citations.map((c) => `  ${formatCitation(c)}`).join('\n')}\n`);
    }
    if (result.note) io.stderr.write(`rlm: ${result.note}\n`);
  }
  if (!args.quiet) {
    const u = result.usage;
    io.stderr.write(
      `rlm: ${result.trace.root.steps.length} steps, ${u.subCalls} sub-calls, ${(u.inputTokens + u.outputTokens).toLocaleString('en-US')} tokens${u.estimated ? ' (estimated)' : ''}` +
        `${u.costUsd !== null ? `, $${u.costUsd.toFixed(4)}` : ''}\n`,
    );
  }
  return result.stoppedBy === 'cancelled' ? 130 : 0;
}

async function writeTrace(file: string, result: RlmResult, io: CliIo): Promise<void> {
  const target = path.resolve(io.cwd, file);
  await writeFile(target, JSON.stringify(result.trace, null, 2));
  io.stderr.write(`rlm: trace written to ${target}\n`);
}

function reportError(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.stderr.write(`rlm: ${error.message}\n`);
    return 2;
  }
  if (error instanceof ProviderError) {
    io.stderr.write(`rlm: ${describeProviderError(error)}\n`);
    return error.kind === 'cancelled' ? 130 : 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr.write(`rlm: ${message}\n`);
  return 1;
}
