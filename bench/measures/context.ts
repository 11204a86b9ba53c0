/**
 * 5. Root context: the root model's prompt size at each step of one fixed scripted
 * trajectory (tree, files with a glob and a limit, grep with maxResults, a line range,
 * one llm() call, the answer) over synthetic repositories of 100, 10,000 and 100,000
 * files. The code is the same at every size, and the repositories differ only below a
 * fixed top level (see lib/synthRepo.ts), so growth can only come from the engine.
 *
 * Tokens are what the provider reports; the scripted provider (test/support) counts
 * ceil(characters / 4), like the local test servers. Characters are kept as well.
 */
import { RlmSession, runRlm } from '../../src/core/engine/rlm';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { ScriptedProvider, js } from '../../test/support/scriptedProvider';
import { CONTEXT_TRAJECTORY } from '../lib/scripts';
import { ensureSynthRepo, removeSynthRepo } from '../lib/synthRepo';
import { median, ratio, within, type Row } from '../lib/stats';
import type { BenchContext, MeasurementResult } from '../lib/context';

export const CONTEXT_SIZES = [100, 10_000, 100_000] as const;
const TARGET = 1.1;

interface SizeRun {
  tokens: number[];
  chars: number[];
  runMs: number;
  summaryFiles: number;
}

export async function measureContext(ctx: BenchContext): Promise<MeasurementResult> {
  const roots: Record<number, string> = {};
  const generation: Record<number, { created: boolean; ms: number }> = {};
  if (!ctx.keepTemp) ctx.defer(() => CONTEXT_SIZES.forEach((n) => removeSynthRepo(n)));
  for (const n of CONTEXT_SIZES) {
    const made = ensureSynthRepo(n);
    roots[n] = made.root;
    generation[n] = { created: made.created, ms: made.ms };
    ctx.log(`context: ${n.toLocaleString('en-US')} files ${made.created ? `written in ${(made.ms / 1000).toFixed(1)} s` : 'reused'} at ${made.root}`);
  }

  // The prompts are deterministic; a few runs confirm it and give run times.
  const runs = Math.min(ctx.runs, 3);
  const bySize: Record<number, SizeRun[]> = {};
  for (let run = 0; run < runs; run++) {
    for (const n of CONTEXT_SIZES) {
      const provider = new ScriptedProvider(
        ({ turn }) => js(CONTEXT_TRAJECTORY[Math.min(turn, CONTEXT_TRAJECTORY.length - 1)]!),
        () => 'The file defines one handler that trims its input; the TODO asks for input validation.',
      );
      // One name at every size (the directory name carries the size, which would leak into the prompt).
      const repo = new WorkspaceRepo(roots[n]!, { name: 'synthetic' });
      const t0 = performance.now();
      const result = await runRlm({ repo, query: 'Where are the TODOs and what do they ask for?', root: { provider } });
      const runMs = performance.now() - t0;
      if (!result.ready) throw new Error(`context run over ${n} files did not finish: ${result.note}`);
      const errors = result.trace.root.steps.flatMap((s) => s.cells.map((c) => c.error).filter(Boolean));
      if (errors.length) throw new Error(`context run over ${n} files: a cell failed: ${errors[0]}`);
      const steps = result.trace.root.steps;
      (bySize[n] ??= []).push({
        tokens: steps.map((s) => s.usage?.inputTokens ?? Number.NaN),
        chars: steps.map((s) => s.promptChars),
        runMs,
        summaryFiles: (await repo.files()).length,
      });
    }
  }

  // A follow-up in the same conversation: the first step of the second question carries the
  // first question and its answer and the REPL's variables, on top of what any first step has.
  const followUpSize = CONTEXT_SIZES[1];
  const followUpProvider = new ScriptedProvider(
    ({ turn }) => js(CONTEXT_TRAJECTORY[Math.min(turn, CONTEXT_TRAJECTORY.length - 1)]!),
    () => 'The file defines one handler that trims its input; the TODO asks for input validation.',
  );
  const session = new RlmSession({ repo: new WorkspaceRepo(roots[followUpSize]!, { name: 'synthetic' }), root: { provider: followUpProvider } });
  let followUp: { first: number; followUp: number; followUpFinal: number; firstFinal: number };
  try {
    const a = await session.ask('Where are the TODOs and what do they ask for?');
    const b = await session.ask('Which of those TODOs are in the api folder?');
    const tokens = (r: typeof a) => r.trace.root.steps.map((st) => st.usage?.inputTokens ?? Number.NaN);
    followUp = { first: tokens(a)[0]!, followUp: tokens(b)[0]!, firstFinal: tokens(a).at(-1)!, followUpFinal: tokens(b).at(-1)! };
  } finally {
    await session.dispose();
  }

  const first = (n: number) => bySize[n]![0]!;
  const deterministic = CONTEXT_SIZES.every((n) => bySize[n]!.every((r) => r.tokens.join() === first(n).tokens.join()));
  const small = first(CONTEXT_SIZES[0]);
  const large = first(CONTEXT_SIZES[CONTEXT_SIZES.length - 1]);
  const stepRatios = large.tokens.map((t, i) => t / small.tokens[i]!);
  const worst = stepRatios.reduce((w, r, i) => (r > stepRatios[w]! ? i : w), 0);
  const last = large.tokens.length - 1;

  const rows: Row[] = [
    {
      group: 'context',
      name: `root prompt, final step (${last + 1}), 100,000 files`,
      unit: 'tokens',
      value: large.tokens[last]!,
      reference: small.tokens[last]!,
      referenceLabel: '100 files',
      ratio: ratio(large.tokens[last]!, small.tokens[last]!),
      target: `≤ ${TARGET}× (flat)`,
      met: within(ratio(large.tokens[last]!, small.tokens[last]!), TARGET),
    },
    {
      group: 'context',
      name: `root prompt, step with the most growth (${worst + 1}), 100,000 files`,
      unit: 'tokens',
      value: large.tokens[worst]!,
      reference: small.tokens[worst]!,
      referenceLabel: '100 files',
      ratio: stepRatios[worst]!,
      target: `≤ ${TARGET}× (flat)`,
      met: within(stepRatios[worst]!, TARGET),
      note: deterministic ? `identical prompts in all ${runs} runs.` : 'prompt sizes differed between runs (see JSON).',
    },
    {
      group: 'context',
      name: `root prompt, first step of a follow-up question, ${followUpSize.toLocaleString('en-US')} files`,
      unit: 'tokens',
      value: followUp.followUp,
      reference: followUp.first,
      referenceLabel: 'first step of the first question',
      ratio: ratio(followUp.followUp, followUp.first),
      target: 'reported (history is bounded: 6 exchanges, answers cut at 3,000 chars)',
      met: null,
      note: `final steps: follow-up ${followUp.followUpFinal.toLocaleString('en-US')} vs first ${followUp.firstFinal.toLocaleString('en-US')} tokens.`,
    },
  ];

  const header = `  step  ${CONTEXT_SIZES.map((n) => `${n.toLocaleString('en-US').padStart(8)} files`).join('  ')}   ratio ${CONTEXT_SIZES[CONTEXT_SIZES.length - 1]!.toLocaleString('en-US')}/${CONTEXT_SIZES[0]}   what the step's prompt adds`;
  const what = ['system prompt + question + repository description', ...CONTEXT_TRAJECTORY.map((c) => `output of: ${c.split('\n')[0]!.slice(0, 60)}`)];
  const details = [
    'Root prompt per step (tokens = ceil(chars / 4), as the provider reports):',
    header,
    ...small.tokens.map(
      (_, i) =>
        `  ${String(i + 1).padStart(4)}  ${CONTEXT_SIZES.map((n) => `${first(n).tokens[i]!.toLocaleString('en-US').padStart(14)}`).join('  ')}   ${stepRatios[i]!.toFixed(3).padStart(15)}   ${what[i] ?? ''}`,
    ),
    `  run time (median): ${CONTEXT_SIZES.map((n) => `${n.toLocaleString('en-US')} files ${(median(bySize[n]!.map((r) => r.runMs)) / 1000).toFixed(2)} s`).join(', ')}`,
  ];
  return { rows, details, raw: { sizes: CONTEXT_SIZES, roots, generation, runs: bySize, stepRatios, deterministic, followUp } };
}
