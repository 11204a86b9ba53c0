// A host process for the orphan tests: starts a sandbox, makes it spin, prints its pid, then
// either waits to be killed ("kill-me") or exits on its own ("exit").
//   node --import tsx orphanHost.ts kill-me|exit [workerPath]
import { Sandbox } from '../../../src/core/sandbox/sandbox';

const [mode, workerPath] = process.argv.slice(2);
const sandbox = new Sandbox({ repoName: 'orphan', workerPath, cellTimeoutMs: 600_000 });
void (async () => {
  await sandbox.warm();
  void sandbox.runCell(workerPath ? 'spin' : 'while (true) {}');
  // Give the cell time to reach the sandbox before reporting.
  setTimeout(async () => {
    process.stdout.write(`${await sandbox.pid()}\n`);
    if (mode === 'exit') process.exit(0);
  }, 300);
})();
setInterval(() => {}, 1 << 30);
