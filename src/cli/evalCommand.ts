/**
 * `rlm eval`: runs question sets in the three modes and reports accuracy, cost and
 * latency; generates question sets (needle, aggregate, pairs); imports SWE-QA.
 */
import { findRipgrep } from './ripgrep';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ModelPrice } from '../core/engine/limits';
import { OLLAMA_DEFAULT_NUM_CTX } from '../core/providers/ollamaProvider';
import { generateAggregate } from '../../eval/generators/aggregate';
import { generateNeedle } from '../../eval/generators/needle';
import { generatePairs } from '../../eval/generators/pairs';
import { GeneratorError } from '../../eval/generators/sourceFiles';
import { QuestionSetError, readQuestionSet, writeQuestionSet } from '../../eval/questionSet';
import { formatTokenCount } from '../../eval/random';
import { formatDuration, formatReport, summarise } from '../../eval/report';
import { EvalAbortedError, runEval, type EvalProgress } from '../../eval/runner';
import { SweQaError, cloneCommand, importSweQa } from '../../eval/sweQa';
import type { EvalQuestion, RunRecord } from '../../eval/types';
import { chooseProvider } from './chooseProvider';
import { EVAL_HELP, type EvalCommand, type EvalRunArgs, type GenerateArgs, type ImportSweQaArgs } from './evalArgs';
import type { CliIo } from './io';
import { limitsFrom, pricesFor, repoDirectory } from './options';
import { UsageError } from './usageError';

/** The direct mode's window when the provider does not say: a common size for hosted models. */
export const DEFAULT_CONTEXT_WINDOW = 128_000;

export async function runEvalCommand(command: EvalCommand, io: CliIo): Promise<number> {
  try {
    switch (command.kind) {
      case 'help':
        io.stdout.write(`${EVAL_HELP}\n`);
        return 0;
      case 'run':
        return await evaluate(command.args, io);
      case 'generate':
        return await generate(command.args, io);
      case 'import-swe-qa':
        return await importCommand(command.args, io);
    }
  } catch (error) {
    // Bad input files are usage errors: the message says what to fix.
    if (error instanceof QuestionSetError || error instanceof GeneratorError || error instanceof SweQaError) throw new UsageError(error.message);
    throw error;
  }
}

function timestamp(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

function progressLine(e: Extract<EvalProgress, { type: 'run-finished' }>): string {
  const r: RunRecord = e.record;
  const outcome = r.error ? `error: ${r.error.split('\n')[0]!.slice(0, 120)}` : `score ${r.score.toFixed(2)}${r.correct ? ' ✓' : ''}`;
  const cost = r.usage.costUsd !== null ? ` · $${r.usage.costUsd.toFixed(4)}` : '';
  return `[${e.index + 1}/${e.total}] ${r.mode} · ${r.id} · ${outcome} · ${formatDuration(r.latencyMs)} · ${(r.usage.inputTokens + r.usage.outputTokens).toLocaleString('en-US')} tokens${cost}\n`;
}

async function evaluate(args: EvalRunArgs, io: CliIo): Promise<number> {
  const file = path.resolve(io.cwd, args.questions);
  let questions: EvalQuestion[] = await readQuestionSet(file, { defaultRepo: args.repo ? path.resolve(io.cwd, args.repo) : undefined });
  if (args.limit !== undefined) questions = questions.slice(0, args.limit);

  const startedAt = new Date();
  const outDir = path.resolve(io.cwd, args.out ?? `rlm-eval-${timestamp(startedAt)}`);
  if (existsSync(outDir) && (!statSync(outDir).isDirectory() || readdirSync(outDir).length > 0)) {
    throw new UsageError(`--out ${args.out ?? outDir} already exists and is not an empty folder; results are never overwritten, so choose a new folder.`);
  }

  const models = await chooseProvider(args, io.env);
  const judge = args.judgeModel ? { provider: models.root.provider, model: args.judgeModel } : models.root;
  const contextWindow = args.contextWindow ?? (models.root.provider.id === 'ollama' ? (args.numCtx ?? OLLAMA_DEFAULT_NUM_CTX) : DEFAULT_CONTEXT_WINDOW);
  const prices: Record<string, ModelPrice> = pricesFor(models, args);
  if (args.subPriceIn === undefined && prices[models.root.model] && models.sub.model !== models.root.model && args.modes.includes('rlm') && !args.quiet) {
    io.stderr.write(`rlm eval: the sub-model ${models.sub.model} has no price, so the rlm mode's cost is n/a; pass --sub-price-in and --sub-price-out.\n`);
  }

  if (!args.quiet) {
    io.stderr.write(
      `rlm eval: ${questions.length} question${questions.length === 1 ? '' : 's'} × ${args.modes.join(', ')} · ${models.description} · ` +
        `direct context ${formatTokenCount(contextWindow)} tokens · results in ${outDir}\n`,
    );
  }
  await mkdir(outDir, { recursive: true });

  let records: RunRecord[] = [];
  let cancelled = false;
  let failure: unknown = null;
  try {
    const outcome = await runEval({
      questions,
      modes: args.modes,
      root: models.root,
      sub: models.sub,
      judge,
      outDir,
      contextWindow,
      prices,
      limits: limitsFrom(args),
      sandbox: { cellTimeoutMs: args.cellTimeoutMs },
      useGitignore: args.gitignore,
      ripgrepPath: findRipgrep(),
      parallel: args.parallel,
      signal: io.signal,
      onProgress: (e) => {
        if (!args.quiet && e.type === 'run-finished') io.stderr.write(progressLine(e));
      },
    });
    records = outcome.records;
    cancelled = outcome.cancelled;
  } catch (error) {
    if (!(error instanceof EvalAbortedError)) throw error;
    records = error.records;
    failure = error.cause;
  }

  const summary = summarise(records, args.modes, questions.length);
  const report = formatReport(summary);
  const finishedAt = new Date();
  await writeFile(
    path.join(outDir, 'summary.json'),
    JSON.stringify(
      {
        ...summary,
        startedAt: startedAt.toISOString(),
        finishedAt: finishedAt.toISOString(),
        questionsFile: file,
        complete: !cancelled && failure === null,
        models: { root: models.root.model, sub: models.sub.model, judge: judge.model, provider: models.description },
        contextWindow,
        prices,
        limits: {
          maxIterations: args.maxIterations ?? null,
          maxDepth: args.maxDepth ?? null,
          maxSubCalls: args.maxSubCalls ?? null,
          maxTokens: args.maxTokens ?? null,
          maxWallTimeMs: args.maxWallTimeMs ?? null,
        },
      },
      null,
      2,
    ),
  );
  await writeFile(path.join(outDir, 'report.txt'), `${report}\n`);

  if (args.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else io.stdout.write(`${report}\n`);
  if (!args.quiet) io.stderr.write(`rlm eval: results, summary and traces in ${outDir}\n`);
  if (failure !== null) throw failure;
  if (cancelled) {
    io.stderr.write(`rlm eval: interrupted after ${records.length} of ${questions.length * args.modes.length} runs; the report covers those.\n`);
    return 130;
  }
  return 0;
}

async function generate(args: GenerateArgs, io: CliIo): Promise<number> {
  repoDirectory(args.repo, io.cwd);
  const out = path.resolve(io.cwd, args.out);
  let questions: EvalQuestion[];
  let note: string;
  switch (args.generator) {
    case 'needle': {
      const slicesDir = path.resolve(io.cwd, args.slicesDir ?? `${out.replace(/\.jsonl$/i, '')}.slices`);
      const result = await generateNeedle({ repo: args.repo, seed: args.seed, sizes: args.sizes, perSize: args.perSize, slicesDir, useGitignore: args.gitignore });
      questions = result.questions;
      note =
        `slices of ${[...new Set(questions.map((q) => formatTokenCount(q.meta!.targetTokens as number)))].join(', ')} tokens in ${slicesDir}` +
        (result.skippedSizes.length ? `; skipped ${result.skippedSizes.map(formatTokenCount).join(', ')}: the repository has about ${formatTokenCount(Math.round(result.repoTokens / 1000) * 1000)} tokens of text` : '');
      break;
    }
    case 'aggregate': {
      const result = await generateAggregate({ repo: args.repo, seed: args.seed, count: args.count, tolerance: args.tolerance, language: args.language, useGitignore: args.gitignore });
      questions = result.questions;
      note = `${result.functions} ${result.language === 'ts' ? 'exported' : 'public'} functions (${result.language === 'ts' ? 'TypeScript/JavaScript' : 'Python'})`;
      break;
    }
    case 'pairs': {
      const result = await generatePairs({ repo: args.repo, seed: args.seed, count: args.count, language: args.language, useGitignore: args.gitignore });
      questions = result.questions;
      note = `${result.pairs} pair${result.pairs === 1 ? '' : 's'} of files that import each other (${result.language === 'ts' ? 'TypeScript/JavaScript' : 'Python'})`;
      break;
    }
  }
  await writeQuestionSet(out, questions);
  if (!args.quiet) io.stderr.write(`rlm eval: wrote ${questions.length} ${args.generator} question${questions.length === 1 ? '' : 's'} (seed ${args.seed}) to ${out}: ${note}.\n`);
  return 0;
}

async function importCommand(args: ImportSweQaArgs, io: CliIo): Promise<number> {
  const reposDir = path.resolve(io.cwd, args.repos);
  const result = await importSweQa({ sources: args.sources.map((s) => path.resolve(io.cwd, s)), reposDir, pins: args.pins ? path.resolve(io.cwd, args.pins) : undefined });
  const missingCount = result.missing.reduce((n, m) => n + m.questions, 0);
  if (result.missing.length > 0) {
    io.stderr.write(
      `rlm eval: ${missingCount} question${missingCount === 1 ? '' : 's'} left out: no checkout under ${reposDir} of ${result.missing.map((m) => m.name).join(', ')}. To add them:\n` +
        result.missing.map((m) => `  ${cloneCommand(reposDir, m)}\n`).join(''),
    );
  }
  for (const w of result.wrongCommit) {
    io.stderr.write(`rlm eval: warning: ${w.name} is checked out at ${w.actual ?? 'an unknown commit'}, not the pinned ${w.pinned}; answers may not match the references. Run: git -C ${path.join(reposDir, w.name)} checkout ${w.pinned}\n`);
  }
  if (result.skipped.length > 0 && !args.quiet) {
    io.stderr.write(`rlm eval: ${result.skipped.length} line${result.skipped.length === 1 ? '' : 's'} skipped:\n${result.skipped.slice(0, 10).map((s) => `  ${s}\n`).join('')}${result.skipped.length > 10 ? '  …\n' : ''}`);
  }
  let questions = result.questions;
  if (questions.length === 0) {
    throw new UsageError(`No SWE-QA question could be imported: ${result.missing.length > 0 ? `none of their repositories is checked out under ${reposDir}` : 'the files hold no questions with reference answers'}.`);
  }
  if (args.limit !== undefined) questions = questions.slice(0, args.limit);
  const out = path.resolve(io.cwd, args.out);
  await writeQuestionSet(out, questions);
  if (!args.quiet) {
    const repos = [...new Set(questions.map((q) => q.group))];
    io.stderr.write(
      `rlm eval: wrote ${questions.length} SWE-QA question${questions.length === 1 ? '' : 's'} over ${repos.length} repositor${repos.length === 1 ? 'y' : 'ies'} (${repos.join(', ')}) to ${out}` +
        `${result.pinsFile ? `; commits pinned by ${result.pinsFile}` : '; no repos.txt found, commits not checked (pass --pins)'}.\n`,
    );
  }
  return 0;
}
