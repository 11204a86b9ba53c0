/**
 * The world a CLI command runs in: environment, working directory, output streams and a
 * cancellation signal. Passed in rather than taken from `process`, so that tests can run
 * the commands in-process; in a module of its own so that commands need not import run.ts.
 */
export interface CliIo {
  env: Record<string, string | undefined>;
  cwd: string;
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  signal?: AbortSignal;
}
