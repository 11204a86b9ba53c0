/**
 * The harness's other modes, with the probe copied in as a folder: a multi-root workspace
 * that is NOT trusted (Workspace Trust on, Restricted Mode) and no chat model.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTempRepo, type TempRepo } from '../support/tempRepo';
import { startWorkbench, TIMEOUTS, type Workbench } from './driver';
import { PROBE_EXT_DIR } from './paths';

describe('vscode e2e harness: untrusted multi-root workspace, no model', { timeout: 10 * 60_000 }, () => {
  let first: TempRepo;
  let second: TempRepo;
  let wb: Workbench;

  before(
    async () => {
      first = makeTempRepo({ 'one.ts': 'export const one = 1;\n' }, 'rlm-e2e-root1-');
      second = makeTempRepo({ 'two.ts': 'export const two = 2;\n' }, 'rlm-e2e-root2-');
      wb = await startWorkbench({
        name: 'harness-untrusted',
        workspace: [first.root, second.root],
        extensions: [PROBE_EXT_DIR],
        trust: false,
        withModel: false,
      });
      console.log(`workbench ready in ${wb.startupMs} ms`);
    },
    { timeout: TIMEOUTS.startup + 60_000 },
  );

  after(async () => {
    await wb?.stop();
    await first?.cleanup();
    await second?.cleanup();
  });

  test('both folders are open, the workspace is untrusted, the fixture registered no model', async () => {
    const activated = wb.model.events().find((e) => e.event === 'activated');
    assert.equal(activated?.workspaceTrusted, false);
    assert.equal(activated?.modelEnabled, false);
    assert.deepEqual(activated?.workspaceFolders, [first.root, second.root]);
    assert.deepEqual(wb.workspaceFolders, [first.root, second.root]);
    await wb.page.locator('.statusbar').getByText('Restricted Mode').first().waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
    await wb.screenshot('restricted-mode');
  });

  test('files of both roots open by absolute path', async () => {
    await wb.openFile(second.abs('two.ts'));
    await wb.openFile(first.abs('one.ts'));
    await wb.page.locator('.editor-instance .view-lines').filter({ hasText: 'export const one' }).first().waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
  });

  test('Restricted Mode keeps the probe (untrustedWorkspaces.supported: false) out of the extension host', async () => {
    const extensions = wb.model.events().find((e) => e.event === 'extensions');
    assert.deepEqual(extensions?.ids, ['rlm-e2e.fixture-lm']);
  });
});
