/** Entry point of the `rlm` executable (dist/cli.js). */
import { runCli } from './run';

const controller = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  // First Ctrl+C stops the run and prints what it has; a second one quits at once.
  if (interrupted) process.exit(130);
  interrupted = true;
  process.stderr.write('\nrlm: stopping (Ctrl+C again to quit at once)…\n');
  controller.abort();
});

runCli(process.argv.slice(2), { env: process.env, cwd: process.cwd(), stdout: process.stdout, stderr: process.stderr, signal: controller.signal }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`rlm: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
