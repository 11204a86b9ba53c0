/**
 * Child process of the host-load measurement (bundled, run with plain node): one scripted
 * runRlm over a big tree that lists, greps (72 greps at once, then hostile patterns and a
 * hostile glob), reads 900 files and fans out, watched by the attack suites' own monitor
 * (test/support/hostHealth.ts `underWatch`: event-loop delay, the part of it the host held
 * itself, host RSS and the sandbox processes' memory). The model is an in-process script,
 * so everything measured is the engine's own work: the sandbox, the repo, grep.
 *
 *   node hostLoadChild.js REPO_DIR RG_PATH|-
 * Prints one JSON line (HostLoadChildResult).
 */
import { runRlm } from '../../src/core/engine/rlm';
import { SUBCALL_SYSTEM_PROMPT } from '../../src/core/engine/prompts';
import type { Completion, CompletionRequest, ModelProvider } from '../../src/core/providers/types';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { hostLoadRootCode } from '../lib/scripts';
import { describeHealth, underWatch, type HostHealth } from '../../test/support/hostHealth';

const MiB = 2 ** 20;

export interface HostLoadChildResult {
  health: HostHealth;
  healthText: string;
  startRssMiB: number;
  /** resourceUsage().maxRSS at the end (includes the start), MiB. */
  maxRssMiB: number;
  runMs: number;
  summary: Record<string, number>;
  cellErrors: string[];
  ready: boolean;
}

class ScriptedRoot implements ModelProvider {
  readonly id = 'bench-script';
  readonly defaultModel = 'bench-script';
  private turn = 0;
  maxInputTokens(): number {
    return 400_000;
  }
  async complete(request: CompletionRequest): Promise<Completion> {
    const sub = request.messages[0]?.content === SUBCALL_SYSTEM_PROMPT;
    const text = sub ? 'A short summary.' : `Next.\n\n\`\`\`js\n${hostLoadRootCode(this.turn++)}\n\`\`\``;
    return { text, usage: { inputTokens: 1000, outputTokens: 100 }, model: this.defaultModel, finishReason: 'stop' };
  }
}

async function main(): Promise<void> {
  const [repoDir, rgArg] = process.argv.slice(2);
  if (!repoDir) throw new Error('usage: hostLoadChild REPO_DIR RG_PATH|-');
  const repo = new WorkspaceRepo(repoDir, { ripgrepPath: rgArg && rgArg !== '-' ? rgArg : null });
  const startRss = process.memoryUsage.rss();
  const t0 = performance.now();
  const { result, health } = await underWatch(() =>
    runRlm({ repo, query: 'How is this tree organised?', root: { provider: new ScriptedRoot() }, limits: { maxIterations: 10 } }),
  );
  const runMs = performance.now() - t0;
  let summary: Record<string, number> = {};
  try {
    summary = JSON.parse(result.answer) as Record<string, number>;
  } catch {
    // not ready: reported as such
  }
  const out: HostLoadChildResult = {
    health,
    healthText: describeHealth(health),
    startRssMiB: round(startRss / MiB),
    maxRssMiB: round((process.resourceUsage().maxRSS * 1024) / MiB),
    runMs: Math.round(runMs),
    summary,
    cellErrors: result.trace.root.steps.flatMap((s) => s.cells).map((c) => c.error ?? '').filter((e) => e !== '').slice(0, 10),
    ready: result.ready,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
