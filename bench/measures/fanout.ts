/**
 * 4. Sub-call fan-out: one cell calls llm.batch with 200 prompts; every sub-call goes
 * through OpenAIProvider (the real openai SDK, streaming, over real sockets) to a local
 * server, in a process of its own, that answers each after a fixed delay. The figure is
 * the cell's wall time, against the ideal ceil(200 / concurrency) × delay. Root turns
 * are answered at once by the same server.
 */
import * as os from 'node:os';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runRlm } from '../../src/core/engine/rlm';
import { OpenAIProvider } from '../../src/core/providers/openaiProvider';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { startServerChild } from '../lib/proc';
import { idealFanoutMs, median, ratio, within, type Row } from '../lib/stats';
import type { BenchContext, MeasurementResult } from '../lib/context';

export const FANOUT_CALLS = 200;
export const FANOUT_DELAY_MS = 100;
const CONCURRENCIES = [8, 32];
const TARGET = 1.15;

interface Samples {
  cellMs: number[];
  maxInFlight: number[];
  errors: number;
  warnings: string[];
}

export async function measureFanout(ctx: BenchContext): Promise<MeasurementResult> {
  const server = await startServerChild(ctx.projectRoot, ['fanout', String(FANOUT_DELAY_MS), String(FANOUT_CALLS)]);
  ctx.defer(() => server.close());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-bench-fanout-'));
  ctx.defer(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'README.md'), '# fan-out bench\n');

  // Process warnings raised while the batches run (Node prints them too).
  let current: Samples | null = null;
  const onWarning = (w: Error) => current?.warnings.push(`${w.name}: ${w.message}`);
  process.on('warning', onWarning);

  const samples: Record<number, Samples> = {};
  try {
    for (const concurrency of CONCURRENCIES) {
      const s: Samples = (samples[concurrency] = { cellMs: [], maxInFlight: [], errors: 0, warnings: [] });
      current = s;
      const provider = new OpenAIProvider({ baseURL: server.url, model: 'bench-model', maxRetries: 0 });
      for (let run = -1; run < ctx.runs; run++) {
        await server.stats(true);
        const result = await runRlm({
          repo: new WorkspaceRepo(dir),
          query: 'Summarise every part.',
          root: { provider },
          limits: { subCallConcurrency: concurrency, maxSubCalls: FANOUT_CALLS },
        });
        const cell = result.trace.root.steps[0]?.cells[0];
        if (!result.ready || !cell || cell.error) throw new Error(`fan-out run failed: ${cell?.error ?? result.note ?? 'no cell'}`);
        const [count, errors] = cell.output.trim().split(/\s+/).map(Number);
        if (count !== FANOUT_CALLS) throw new Error(`llm.batch returned ${count} replies, expected ${FANOUT_CALLS}`);
        const stats = await server.stats();
        if (run < 0) continue; // warm-up: connections, JIT
        s.errors += errors ?? 0;
        s.cellMs.push(cell.durationMs);
        s.maxInFlight.push(stats.maxInFlight);
      }
      ctx.log(`fanout: concurrency ${concurrency}: median cell ${median(s.cellMs).toFixed(0)} ms`);
    }
  } finally {
    current = null;
    process.off('warning', onWarning);
    await server.close();
  }

  const rows: Row[] = CONCURRENCIES.map((c) => {
    const s = samples[c]!;
    const ideal = idealFanoutMs(FANOUT_CALLS, c, FANOUT_DELAY_MS);
    const value = median(s.cellMs);
    const q = ratio(value, ideal);
    const waves = Math.ceil(FANOUT_CALLS / c);
    const warned = s.warnings.length > 0 ? ` ${s.warnings.length} process warning(s) during these runs: "${s.warnings[0]}".` : '';
    return {
      group: 'fanout',
      name: `llm.batch × ${FANOUT_CALLS}, concurrency ${c}, delay ${FANOUT_DELAY_MS} ms`,
      unit: 'ms',
      value,
      reference: ideal,
      referenceLabel: `ideal ⌈${FANOUT_CALLS}/${c}⌉×${FANOUT_DELAY_MS}`,
      ratio: q,
      target: `≤ ${TARGET}× ideal`,
      met: s.errors === 0 ? within(q, TARGET) : false,
      note: `max in flight at the server ${Math.max(...s.maxInFlight)}; ${s.errors} failed sub-calls; overhead ${((value - ideal) / waves).toFixed(1)} ms per wave of ${c}.${warned}`,
    };
  });
  return { rows, raw: { calls: FANOUT_CALLS, delayMs: FANOUT_DELAY_MS, samples } };
}
