/**
 * The summary of an evaluation: per mode, accuracy (the mean score, failed runs counting
 * 0), how many runs were fully right, errors, and mean and 95th-percentile cost and
 * latency; per group (e.g. needle slice size), accuracy per mode. Printed as a table and
 * saved as JSON.
 */
import type { EvalMode, RunRecord } from './types';

export interface Stat {
  mean: number;
  p95: number;
}

export interface ModeSummary {
  mode: EvalMode;
  runs: number;
  /** Mean score, 0 to 1. */
  accuracy: number;
  correct: number;
  errors: number;
  /** Null when some run has no cost (a model without a price). */
  costUsd: Stat | null;
  latencyMs: Stat;
  inputTokens: Stat;
  outputTokens: Stat;
  /** Runs whose rlm run ended at a limit before the answer was ready. */
  stoppedByLimit: number;
  /** Grading cost of judged questions, not part of costUsd. */
  judgeCostUsd: number | null;
}

export interface EvalSummary {
  version: 1;
  questions: number;
  modes: EvalMode[];
  perMode: ModeSummary[];
  /** group -> mode -> accuracy (0 to 1), for question sets with groups. */
  perGroup: Record<string, Partial<Record<EvalMode, number>>>;
}

/** The p-th percentile by the nearest-rank method (p in 0..100). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

function stat(values: readonly number[]): Stat {
  const mean = values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, p95: percentile(values, 95) };
}

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function summarise(records: readonly RunRecord[], modes: readonly EvalMode[], questions: number): EvalSummary {
  const perMode = modes.map((mode): ModeSummary => {
    const rs = records.filter((r) => r.mode === mode);
    const costs = rs.map((r) => r.usage.costUsd);
    const judgeCosts = rs.filter((r) => r.judgeUsage).map((r) => r.judgeUsage!.costUsd);
    const cost = rs.length > 0 && costs.every((c): c is number => c !== null) ? stat(costs) : null;
    return {
      mode,
      runs: rs.length,
      accuracy: rs.length === 0 ? 0 : round(rs.reduce((n, r) => n + r.score, 0) / rs.length, 6),
      correct: rs.filter((r) => r.correct).length,
      errors: rs.filter((r) => r.error !== null).length,
      costUsd: cost ? { mean: round(cost.mean, 6), p95: round(cost.p95, 6) } : null,
      latencyMs: mapStat(stat(rs.map((r) => r.latencyMs)), 0),
      inputTokens: mapStat(stat(rs.map((r) => r.usage.inputTokens)), 0),
      outputTokens: mapStat(stat(rs.map((r) => r.usage.outputTokens)), 0),
      stoppedByLimit: rs.filter((r) => r.stoppedBy !== null && r.stoppedBy !== 'cancelled').length,
      judgeCostUsd: judgeCosts.length === 0 ? 0 : judgeCosts.every((c): c is number => c !== null) ? round(judgeCosts.reduce((a, b) => a + b, 0), 6) : null,
    };
  });
  const perGroup: EvalSummary['perGroup'] = {};
  const groups = [...new Set(records.map((r) => r.group).filter((g): g is string => g !== null))];
  for (const group of groups) {
    perGroup[group] = {};
    for (const mode of modes) {
      const rs = records.filter((r) => r.group === group && r.mode === mode);
      if (rs.length > 0) perGroup[group]![mode] = round(rs.reduce((n, r) => n + r.score, 0) / rs.length, 6);
    }
  }
  return { version: 1, questions, modes: [...modes], perMode, perGroup };
}

function mapStat(s: Stat, digits: number): Stat {
  return { mean: round(s.mean, digits), p95: round(s.p95, digits) };
}

export function formatPercent(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}

export function formatUsd(x: number): string {
  return x >= 1 ? `$${x.toFixed(2)}` : `$${x.toFixed(4)}`;
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : ms < 120_000 ? `${(ms / 1000).toFixed(1)} s` : `${(ms / 60_000).toFixed(1)} min`;
}

function table(rows: string[][], rightAlignFrom = 1): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c >= rightAlignFrom ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('   ').trimEnd())
    .join('\n');
}

/** The report printed at the end of `rlm eval`. */
export function formatReport(summary: EvalSummary): string {
  const header = ['mode', 'accuracy', 'correct', 'errors', 'cost mean', 'cost p95', 'latency mean', 'latency p95', 'tokens in', 'tokens out'];
  const rows = summary.perMode.map((m) =>
    m.runs === 0
      ? [m.mode, '-', '0/0', '0', '-', '-', '-', '-', '-', '-']
      : [
          m.mode,
          formatPercent(m.accuracy),
          `${m.correct}/${m.runs}`,
          String(m.errors),
          m.costUsd ? formatUsd(m.costUsd.mean) : 'n/a',
          m.costUsd ? formatUsd(m.costUsd.p95) : 'n/a',
          formatDuration(m.latencyMs.mean),
          formatDuration(m.latencyMs.p95),
          Math.round(m.inputTokens.mean).toLocaleString('en-US'),
          Math.round(m.outputTokens.mean).toLocaleString('en-US'),
        ],
  );
  const parts = [table([header, ...rows])];
  const groups = Object.keys(summary.perGroup);
  if (groups.length > 1) {
    const groupRows = groups.map((g) => [g, ...summary.modes.map((mode) => (summary.perGroup[g]![mode] === undefined ? '-' : formatPercent(summary.perGroup[g]![mode]!)))]);
    parts.push(`Accuracy by group:\n${table([['group', ...summary.modes], ...groupRows])}`);
  }
  const notes: string[] = [];
  if (summary.perMode.some((m) => m.runs > 0 && m.costUsd === null)) notes.push('Cost is n/a where a model has no price: pass --price-in and --price-out (USD per million tokens).');
  const limited = summary.perMode.filter((m) => m.stoppedByLimit > 0);
  if (limited.length > 0) notes.push(`Runs that hit a limit before the answer was ready: ${limited.map((m) => `${m.mode} ${m.stoppedByLimit}`).join(', ')}.`);
  const judged = summary.perMode.filter((m) => m.judgeCostUsd !== 0);
  if (judged.length > 0) notes.push(`Judging cost (not included above): ${judged.map((m) => `${m.mode} ${m.judgeCostUsd === null ? 'n/a' : formatUsd(m.judgeCostUsd)}`).join(', ')}.`);
  if (notes.length > 0) parts.push(notes.join('\n'));
  return parts.join('\n\n');
}
