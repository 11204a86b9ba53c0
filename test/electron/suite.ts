/**
 * Runs inside VS Code's extension host (test/electron/runTests.ts): the extension activates,
 * contributes what it says, and answers an untrusted-free workspace's basic calls. The chat
 * and model scenarios are in test/vscode-e2e, which scripts a chat model.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';

const tests: Array<[string, () => Promise<void>]> = [
  [
    'the extension activates and registers its commands',
    async () => {
      const ext = vscode.extensions.getExtension('rlm-team.rlm');
      assert.ok(ext, 'the extension is installed');
      await ext.activate();
      const commands = await vscode.commands.getCommands(true);
      for (const id of ['rlm.summarizeFolder', 'rlm.askWorkspace', 'rlm.showTrace', 'rlm.setOpenAIKey', 'rlm.explainSymbol']) assert.ok(commands.includes(id), id);
    },
  ],
  [
    'the agent tool is registered',
    async () => {
      assert.ok(vscode.lm.tools.some((t) => t.name === 'rlm_askCodebase'));
    },
  ],
  [
    'the trace view opens with no runs yet',
    async () => {
      await vscode.commands.executeCommand('rlm.showTrace');
    },
  ],
];

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, fn] of tests) {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (error) {
      failures.push(name);
      console.error(`not ok - ${name}: ${error instanceof Error ? error.stack : String(error)}`);
    }
  }
  if (failures.length) throw new Error(`${failures.length} of ${tests.length} tests failed: ${failures.join('; ')}`);
}
