/** What every measurement gets and gives back. */
import type { Row } from './stats';

export interface BenchContext {
  /** The project root (where package.json is). */
  projectRoot: string;
  /** Tree for search and memory. */
  repo: string;
  runs: number;
  soakRuns: number;
  keepTemp: boolean;
  /** The bundled rg binary, or null when none runs here. */
  rgPath: string | null;
  /** Progress lines go to stderr so that stdout stays the table. */
  log(message: string): void;
  /** Registers a cleanup that runs at the end, also on failure or Ctrl+C. */
  defer(cleanup: () => void | Promise<void>): void;
}

export interface MeasurementResult {
  rows: Row[];
  /** Raw samples and any detail worth keeping, saved to the JSON file. */
  raw: Record<string, unknown>;
  /** Extra lines printed after the table (breakdowns, per-step figures). */
  details?: string[];
}

export function elapsed(since: number): number {
  return performance.now() - since;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}
