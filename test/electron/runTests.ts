/**
 * `npm run test:vscode`: the standard @vscode/test-electron set-up, for machines that can
 * download VS Code (CI here cannot: it runs the code-server suite in test/vscode-e2e instead).
 * It downloads the VS Code version `engines.vscode` names at least (or RLM_VSCODE_VERSION),
 * opens a temporary workspace and runs test/electron/suite.ts inside the extension host.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { runTests } from '@vscode/test-electron';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const out = mkdtempSync(path.join(tmpdir(), 'rlm-electron-'));
  const workspace = path.join(out, 'workspace');
  mkdirSync(path.join(workspace, 'src'), { recursive: true });
  writeFileSync(path.join(workspace, 'src', 'a.ts'), 'export function answer() {\n  return 42;\n}\n');
  // The suite runs in the extension host, where `vscode` is provided: bundle it with that external.
  await esbuild.build({ entryPoints: [path.join(__dirname, 'suite.ts')], outfile: path.join(out, 'suite.js'), bundle: true, platform: 'node', format: 'cjs', external: ['vscode'] });
  try {
    await runTests({
      version: process.env.RLM_VSCODE_VERSION ?? 'stable',
      extensionDevelopmentPath: root,
      extensionTestsPath: path.join(out, 'suite.js'),
      launchArgs: [workspace, '--disable-extensions', '--disable-workspace-trust'],
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`test:vscode failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
