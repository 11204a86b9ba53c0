/**
 * Smoke test of the VS Code e2e harness, with the throwaway probe extension (installed from
 * a .vsix built by vsce) and the scripted fixture model: chat with an anchor, the stop
 * button on a hanging request, a palette command, a code lens and a webview.
 *
 *   npm run test:e2e          (setup, then every test/vscode-e2e/*.e2e.ts)
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeTempRepo, type TempRepo } from '../support/tempRepo';
import { packageVsix, startWorkbench, TIMEOUTS, type Workbench } from './driver';
import { PROBE_EXT_DIR } from './paths';

const PROBE_ID = 'rlm-e2e.probe-ext';

const MODEL_SCRIPT = `
// Scripted replies of the fixture model for smoke.e2e.ts.
exports.reply = (messages, info) => {
  const prompt = messages[messages.length - 1].content;
  if (prompt.includes('hang')) return { text: 'Working on it, please wait. ', hang: true };
  return 'Scripted reply ' + info.requestIndex + ': you said "' + prompt + '".';
};
`;

describe('vscode e2e harness smoke test (probe extension)', { timeout: 15 * 60_000 }, () => {
  let repo: TempRepo;
  let tmp: string;
  let wb: Workbench;

  before(
    async () => {
      repo = makeTempRepo(
        {
          'src/hello.ts': 'export function hello(name: string): string {\n  return `Hello, ${name}`;\n}\n',
          'README.md': '# Smoke workspace\n',
        },
        'rlm-e2e-ws-',
      );
      tmp = await mkdtemp(path.join(tmpdir(), 'rlm-e2e-smoke-'));
      const script = path.join(tmp, 'model-script.cjs');
      await writeFile(script, MODEL_SCRIPT);
      const vsix = await packageVsix(PROBE_EXT_DIR, tmp);
      wb = await startWorkbench({ name: 'smoke', workspace: repo.root, extensions: [vsix], modelScript: script });
      console.log(`workbench ready in ${wb.startupMs} ms (${wb.url})`);
    },
    { timeout: TIMEOUTS.startup + 120_000 },
  );

  after(async () => {
    await wb?.stop();
    await repo?.cleanup();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  test('the fixture gets its settings from the environment; the probe is installed from its vsix and active', async () => {
    await wb.screenshot('workbench');
    const activated = wb.model.events().find((e) => e.event === 'activated');
    assert.equal(activated?.channel, 'env');
    assert.equal(activated?.vscodeVersion, '1.139.1');
    assert.equal(activated?.workspaceTrusted, true);
    const extensions = wb.model.events().find((e) => e.event === 'extensions');
    assert.deepEqual([...(extensions?.ids as string[])].sort(), ['rlm-e2e.fixture-lm', PROBE_ID]);
    await wb.waitForExtensionActive(PROBE_ID);
  });

  test('@e2eprobe hello: the scripted reply streams into the response, with an inline anchor', async (t) => {
    await wb.openChat();
    const sent = Date.now();
    const response = await wb.sendChat('@e2eprobe hello');
    await wb.waitForResponseDone(response);
    t.diagnostic(`chat round trip (type, send, response done): ${Date.now() - sent} ms`);
    const text = await wb.waitForResponseText('Scripted reply 0: you said "hello".', response);
    assert.match(text, /E2E Probe/);
    // The probe appends request.model.countTokens(prompt): the fixture counts ceil(chars / 4).
    assert.match(text, /\(prompt: 2 tokens\)/);
    const anchor = wb.response(response).locator('.chat-inline-anchor-widget');
    await anchor.first().waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
    assert.match(await anchor.first().innerText(), /hello\.ts/);

    const requests = wb.model.requests();
    assert.equal(requests.length, 1);
    assert.deepEqual(requests[0]!.messages, [{ role: 'user', content: 'hello' }]);
    assert.equal(requests[0]!.extensionId, PROBE_ID);
    await wb.screenshot('chat-hello');
  });

  test('in a new chat, the stop button ends a request the model never finishes', async (t) => {
    await wb.newChat();
    assert.equal(await wb.responses().count(), 0);
    const response = await wb.sendChat('@e2eprobe please hang');
    assert.equal(response.row, 1, 'the first response of a new chat is row 1');
    await wb.model.waitFor('request 1 hanging', (e) => e.event === 'hanging' && e.requestIndex === 1);
    await wb.waitForResponseText('Working on it, please wait.', response);
    await wb.screenshot('chat-hanging');

    const clicked = Date.now();
    await wb.clickStop();
    await wb.waitForResponseDone(response, { timeoutMs: 30_000 });
    await wb.model.waitFor('request 1 cancelled', (e) => e.event === 'cancelled' && e.requestIndex === 1, { timeoutMs: 30_000 });
    t.diagnostic(`stop to response done and model cancelled: ${Date.now() - clicked} ms`);
    assert.equal(wb.model.events().filter((e) => e.event === 'reply' && e.requestIndex === 1).length, 0);
    await wb.screenshot('chat-stopped');
  });

  test('"Probe: Open Doc" from the command palette opens the markdown document', async () => {
    await wb.runCommand('Probe: Open Doc');
    await wb.page
      .locator('.editor-instance .monaco-editor .view-lines')
      .filter({ hasText: 'Probe document' })
      .first()
      .waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
    assert.match(await wb.page.locator('.tabs-container .tab.active').first().innerText(), /Untitled/);
    await wb.screenshot('open-doc');
  });

  test('a code lens on a file opened by quick open runs a command that opens a webview', async () => {
    await wb.openFile('src/hello.ts');
    await wb.clickCodeLens('Probe lens');
    const frame = await wb.waitForWebview('#probe-heading');
    assert.equal(await frame.locator('#probe-heading').innerText(), 'Hello from the probe webview');
    await wb.waitForNotification('Probe webview opened');
    await wb.screenshot('codelens-webview');
  });
});
