/**
 * Child process of the host-load measurement (bundled, run with plain node): one scripted
 * runRlm over a big tree that lists, greps (72 greps at once, then hostile patterns and a
 * hostile glob), reads 900 files and fans out, while the host's event loop delay
 * (perf_hooks.monitorEventLoopDelay) and memory (RSS, ArrayBuffers, heap; sampled every
 * 10 ms, and resourceUsage().maxRSS) are recorded. The model is an in-process script, so
 * everything measured is the engine's own work: the sandbox, the repo, grep.
 *
 *   node hostLoadChild.js REPO_DIR RG_PATH|-
 * Prints one JSON line (HostLoadChildResult).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { runRlm } from '../../src/core/engine/rlm';
import { SUBCALL_SYSTEM_PROMPT } from '../../src/core/engine/prompts';
import type { Completion, CompletionRequest, ModelProvider } from '../../src/core/providers/types';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { hostLoadRootCode } from '../lib/scripts';
import { ownDelayProbe } from '../../test/support/ownDelay';

const MiB = 2 ** 20;
const RESOLUTION_MS = 10;

export interface HostLoadChildResult {
  /** Longest and 99th-percentile event-loop delay during the run, ms (the histogram's resolution subtracted). */
  maxDelayMs: number;
  p99DelayMs: number;
  /** Longest time the loop was held by this process itself (gaps less waiting for a CPU; null off Linux), and its breakdown. */
  ownMaxDelayMs: number | null;
  ownWorst: string;
  startRssMiB: number;
  peakRssMiB: number;
  /** resourceUsage().maxRSS at the end (includes the start), MiB. */
  maxRssMiB: number;
  peakArrayBuffersMiB: number;
  peakHeapUsedMiB: number;
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
  const start = process.memoryUsage();
  const peak = { rss: start.rss, arrayBuffers: start.arrayBuffers, heapUsed: start.heapUsed };
  // RSS every 10 ms (cheap); the heap figures, which walk V8's spaces, every 100 ms.
  let ticks = 0;
  const sample = (): void => {
    peak.rss = Math.max(peak.rss, process.memoryUsage.rss());
    if (ticks++ % 10 !== 0) return;
    const m = process.memoryUsage();
    peak.arrayBuffers = Math.max(peak.arrayBuffers, m.arrayBuffers);
    peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
  };
  const histogram = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  histogram.enable();
  const own = ownDelayProbe();
  const sampler = setInterval(sample, 10);
  const t0 = performance.now();
  const result = await runRlm({ repo, query: 'How is this tree organised?', root: { provider: new ScriptedRoot() }, limits: { maxIterations: 10 } });
  const runMs = performance.now() - t0;
  sample();
  const ownMax = own.stop();
  clearInterval(sampler);
  histogram.disable();
  let summary: Record<string, number> = {};
  try {
    summary = JSON.parse(result.answer) as Record<string, number>;
  } catch {
    // not ready: reported as such
  }
  const out: HostLoadChildResult = {
    maxDelayMs: round(Math.max(0, histogram.max / 1e6 - RESOLUTION_MS)),
    p99DelayMs: round(Math.max(0, histogram.percentile(99) / 1e6 - RESOLUTION_MS)),
    ownMaxDelayMs: ownMax === null ? null : round(ownMax),
    ownWorst: own.worst(),
    startRssMiB: round(start.rss / MiB),
    peakRssMiB: round(peak.rss / MiB),
    maxRssMiB: round((process.resourceUsage().maxRSS * 1024) / MiB),
    peakArrayBuffersMiB: round(peak.arrayBuffers / MiB),
    peakHeapUsedMiB: round(peak.heapUsed / MiB),
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
