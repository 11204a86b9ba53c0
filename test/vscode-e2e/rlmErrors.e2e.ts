/**
 * What a user sees when RLM cannot run: an untrusted workspace, and no chat model at all.
 * Each is its own workbench (the conditions are set at start).
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeTempRepo } from '../support/tempRepo';
import { packageVsix, startWorkbench, TIMEOUTS, type Workbench } from './driver';
import { REPO_ROOT } from './paths';
import { MODEL_SCRIPT, WORKSPACE_FILES } from './rlmScenario';

const repo = makeTempRepo(WORKSPACE_FILES, 'rlm-e2e-ws-');
const tmp = mkdtempSync(path.join(tmpdir(), 'rlm-e2e-'));
let vsix: Promise<string> | undefined;
const packaged = () => (vsix ??= packageVsix(REPO_ROOT, tmp));

after(async () => {
  await repo.cleanup();
  rmSync(tmp, { recursive: true, force: true });
});

describe('when RLM cannot run', { timeout: 10 * 60_000 }, () => {
  test('an untrusted workspace: RLM runs nothing and says how to trust the folder', async () => {
    const wb: Workbench = await startWorkbench({ name: 'rlm-untrusted', workspace: repo.root, extensions: [await packaged()], trust: false, modelScript: MODEL_SCRIPT });
    try {
      await wb.runCommand('RLM: Ask About Workspace', { opensQuickInput: true });
      await wb.page.keyboard.type('Where is MAX_RETRIES set?');
      await wb.page.keyboard.press('Enter');
      const toast = await wb.waitForNotification('not trusted');
      assert.match(toast, /This workspace is not trusted, so RLM runs no model-written code in it\./);
      assert.match(toast, /Manage Workspace Trust/);
      assert.equal(wb.model.requests().length, 0, 'no model was asked anything');
      await wb.screenshot('untrusted-workspace-command');
      // The chat participant says the same, with a button (the toast would cover the chat input).
      await wb.runCommand('Notifications: Clear All Notifications');
      const response = await wb.sendChat('@rlm Where is MAX_RETRIES set?');
      await wb.waitForResponseDone(response);
      await wb.waitForResponseText(/This workspace is not trusted, so RLM runs no model-written code in it/, response);
      await wb.response(response).getByText('Manage Workspace Trust').first().waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
      assert.equal(wb.model.requests().filter((r) => r.extensionId === 'rlm-team.rlm').length, 0, 'RLM asked no model anything');
      await wb.screenshot('untrusted-workspace-chat');
    } finally {
      await wb.stop();
    }
  });

  test('no chat model: the message says to sign in to a chat model or configure Ollama or OpenAI', async () => {
    const wb: Workbench = await startWorkbench({ name: 'rlm-no-model', workspace: repo.root, extensions: [await packaged()], withModel: false });
    try {
      await wb.runCommand('RLM: Ask About Workspace', { opensQuickInput: true });
      await wb.page.keyboard.type('Where is MAX_RETRIES set?');
      await wb.page.keyboard.press('Enter');
      const toast = await wb.waitForNotification('No chat model is available', { timeoutMs: TIMEOUTS.response });
      assert.match(toast, /Sign in to GitHub Copilot \(or install an extension that provides chat models\), or set rlm\.provider to "ollama" or "openai"/);
      assert.match(toast, /Open RLM Settings/);
      await wb.screenshot('no-model');
    } finally {
      await wb.stop();
    }
  });
});
