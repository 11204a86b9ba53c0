/**
 * Pure helpers of the benchmark: summary statistics, the result rows and the printed
 * table. Nothing here touches the clock, the disk or the network (test/bench covers it).
 */

export function median(samples: readonly number[]): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Nearest-rank quantile (q in [0, 1]). */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarize(samples: readonly number[]): { n: number; median: number; min: number; max: number; p90: number } {
  return {
    n: samples.length,
    median: median(samples),
    min: samples.length ? Math.min(...samples) : Number.NaN,
    max: samples.length ? Math.max(...samples) : Number.NaN,
    p90: quantile(samples, 0.9),
  };
}

/** `value / reference`, or null when either is missing or the reference is 0. */
export function ratio(value: number | null, reference: number | null): number | null {
  if (value === null || reference === null || !Number.isFinite(value) || !Number.isFinite(reference) || reference === 0) return null;
  return value / reference;
}

export type Unit = 'ms' | 'µs' | 'MiB' | 'tokens' | 'count' | 'x';

/** One line of the results table. */
export interface Row {
  /** Which measurement (sandbox, search, ...) produced it. */
  group: string;
  /** What was measured, e.g. `repo.grep "TODO"`. */
  name: string;
  unit: Unit;
  /** Median of the samples (or the single figure). */
  value: number | null;
  /** The reference measured in the same run, and what it is. */
  reference: number | null;
  referenceLabel: string;
  /** value / reference unless set otherwise. */
  ratio: number | null;
  /** Human-readable target, e.g. "≤ 1.5× rg"; "" when there is none. */
  target: string;
  /** Whether the target is met; null when there is no target or no figure. */
  met: boolean | null;
  note?: string;
}

/** Formats a figure in its unit with sensible precision. */
export function formatValue(value: number | null, unit: Unit): string {
  if (value === null || !Number.isFinite(value)) return '–';
  switch (unit) {
    case 'ms':
      return `${value < 10 ? value.toFixed(2) : value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')} ms`;
    case 'µs':
      return `${value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US')} µs`;
    case 'MiB':
      return `${value.toFixed(1)} MiB`;
    case 'tokens':
      return `${Math.round(value).toLocaleString('en-US')} tok`;
    case 'count':
      return Math.round(value).toLocaleString('en-US');
    case 'x':
      return `${value.toFixed(2)}×`;
  }
}

export function formatRatio(r: number | null): string {
  return r === null || !Number.isFinite(r) ? '–' : `${r.toFixed(2)}×`;
}

export function formatMet(met: boolean | null): string {
  return met === null ? '' : met ? 'yes' : 'NO';
}

/** Renders rows as an aligned plain-text table (no colours, so it pastes anywhere). */
export function renderTable(rows: readonly Row[]): string {
  const header = ['measurement', 'median', 'reference', 'ratio', 'target', 'met?'];
  const body = rows.map((r) => [
    `${r.group}: ${r.name}`,
    formatValue(r.value, r.unit),
    r.reference === null && r.referenceLabel === '' ? '' : `${formatValue(r.reference, r.unit)}${r.referenceLabel ? ` (${r.referenceLabel})` : ''}`,
    formatRatio(r.ratio),
    r.target,
    formatMet(r.met),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((cells) => cells[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 1 || i === 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const notes = rows
    .map((r, i) => (r.note ? `  [${i + 1}] ${r.group}: ${r.name}: ${r.note}` : null))
    .filter((n): n is string => n !== null);
  const numbered = body.map((cells, i) => line(cells) + (rows[i]!.note ? `  [${i + 1}]` : ''));
  return [line(header), rule, ...numbered, ...(notes.length ? ['', 'Notes:', ...notes] : [])].join('\n');
}

/** Whether `value` is within `limit` (inclusive); null when there is no value. */
export function within(value: number | null, limit: number): boolean | null {
  return value === null || !Number.isFinite(value) ? null : value <= limit;
}

/** The fan-out floor: `calls` requests, `concurrency` at a time, each taking `delayMs`. */
export function idealFanoutMs(calls: number, concurrency: number, delayMs: number): number {
  return Math.ceil(calls / concurrency) * delayMs;
}

/** Differences between two counts by kind, as "+2 Timeout, -1 TCPSocketWrap" (sorted by kind); "" when equal. */
export function resourceDiff(before: Record<string, number>, after: Record<string, number>): string {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .map((k) => [k, (after[k] ?? 0) - (before[k] ?? 0)] as const)
    .filter(([, d]) => d !== 0)
    .map(([k, d]) => `${d > 0 ? '+' : ''}${d} ${k}`)
    .join(', ');
}
