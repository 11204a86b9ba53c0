// Builds the entry points into dist/: the VS Code extension bundle, the `rlm` CLI, the
// sandbox process, the zygote that starts sandbox processes, the listing worker and the grep
// worker. Each is a self-contained CommonJS bundle for Node 20; only `vscode` (provided by the
// editor) stays external, and `typescript` for the CLI.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const entries = [
  // typescript is only a devDependency: the aggregate and pairs generators (eval/) load it
  // on first use from wherever Node resolves it, and say what to install when it is absent.
  // Bundling it would add ~10 MB to the CLI for a path most runs never take.
  { in: 'src/cli/main.ts', out: 'cli', banner: '#!/usr/bin/env node', external: ['typescript'] },
  { in: 'src/core/sandbox/worker.ts', out: 'sandbox-worker' },
  // The workspace walk runs in a worker thread of its own (src/core/repo/listingPool.ts).
  { in: 'src/core/repo/listingWorker.ts', out: 'listing-worker' },
  // The small process that starts sandbox processes for the host (no guest code).
  { in: 'src/core/sandbox/zygote.ts', out: 'sandbox-zygote' },
  // The thread where grep compiles and runs the guest's regexes and globs (grepWorkerPool.ts).
  { in: 'src/core/repo/grepWorker.ts', out: 'grep-worker' },
  { in: 'src/vscode/extension.ts', out: 'extension' },
].filter((e) => existsSync(e.in));

const contexts = await Promise.all(
  entries.map((e) =>
    esbuild.context({
      entryPoints: { [e.out]: e.in },
      outdir: 'dist',
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      sourcemap: !production,
      minify: production,
      external: ['vscode', ...(e.external ?? [])],
      banner: e.banner ? { js: e.banner } : undefined,
      logLevel: 'warning',
    }),
  ),
);

if (watch) {
  await Promise.all(contexts.map((c) => c.watch()));
} else {
  await Promise.all(contexts.map((c) => c.rebuild()));
  await Promise.all(contexts.map((c) => c.dispose()));
}
