/** Command-line flags of `npm run bench` (pure, so it can be tested). */

export const MEASUREMENTS = ['sandbox', 'search', 'memory', 'fanout', 'context', 'soak', 'editor', 'hostload'] as const;
export type Measurement = (typeof MEASUREMENTS)[number];

export interface BenchArgs {
  /** Tree for search and memory; null means the project's node_modules. */
  repo: string | null;
  runs: number;
  only: Measurement[];
  out: string;
  /** Keep the synthetic repositories in the temp dir for the next invocation. */
  keepTemp: boolean;
  /** Soak length (the issue fixes 200; smaller values help while developing). */
  soakRuns: number;
  help: boolean;
}

export const DEFAULT_RUNS = 5;
export const DEFAULT_OUT = 'bench/results/latest.json';
export const DEFAULT_SOAK_RUNS = 200;

export const USAGE = `npm run bench -- [--repo PATH] [--runs N] [--only a,b] [--out FILE] [--keep-temp] [--soak-runs N]

  --repo PATH     tree searched by the search, memory and hostload measurements (default: ./node_modules)
  --runs N        samples per measurement, medians are reported (default ${DEFAULT_RUNS})
  --only a,b      any of ${MEASUREMENTS.join(', ')} (default: all)
  --out FILE      JSON with every raw sample (default ${DEFAULT_OUT})
  --keep-temp     keep the synthetic repositories in the temp dir for the next run
  --soak-runs N   sequential runs of the soak (default ${DEFAULT_SOAK_RUNS})`;

export class ArgsError extends Error {}

export function parseArgs(argv: readonly string[]): BenchArgs {
  const args: BenchArgs = {
    repo: null,
    runs: DEFAULT_RUNS,
    only: [...MEASUREMENTS],
    out: DEFAULT_OUT,
    keepTemp: false,
    soakRuns: DEFAULT_SOAK_RUNS,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const raw = argv[i]!;
    const eq = raw.indexOf('=');
    const flag = raw.startsWith('--') && eq > 0 ? raw.slice(0, eq) : raw;
    const inline = raw.startsWith('--') && eq > 0 ? raw.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new ArgsError(`${flag} needs a value.`);
      return v;
    };
    const count = (min: number): number => {
      const v = value();
      const n = Number(v);
      if (!Number.isInteger(n) || n < min) throw new ArgsError(`${flag} must be an integer of at least ${min}; got "${v}".`);
      return n;
    };
    switch (flag) {
      case '--repo':
        args.repo = value();
        break;
      case '--runs':
        args.runs = count(1);
        break;
      case '--soak-runs':
        args.soakRuns = count(11);
        break;
      case '--out':
        args.out = value();
        break;
      case '--only': {
        const names = value().split(',').map((s) => s.trim()).filter(Boolean);
        const unknown = names.filter((n) => !(MEASUREMENTS as readonly string[]).includes(n));
        if (unknown.length > 0 || names.length === 0) {
          throw new ArgsError(`--only takes a comma-separated list of ${MEASUREMENTS.join(', ')}; unknown: ${unknown.join(', ') || '(empty)'}.`);
        }
        // Keep the canonical order whatever order they were given in.
        args.only = MEASUREMENTS.filter((m) => names.includes(m));
        break;
      }
      case '--keep-temp':
        args.keepTemp = true;
        break;
      case '-h':
      case '--help':
        args.help = true;
        break;
      default:
        throw new ArgsError(`Unknown argument "${raw}".`);
    }
  }
  return args;
}
