/**
 * RLM for VS Code, end to end: the packaged `.vsix` in a real VS Code (code-server), driven
 * through Chromium like a user would, with a scripted chat model (the only test double).
 * Each scenario saves screenshots under test-results/vscode-e2e/rlm/.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { makeTempRepo } from '../support/tempRepo';
import { packageVsix, startWorkbench, TIMEOUTS, waitUntil, type Workbench } from './driver';
import { REPO_ROOT } from './paths';
import { MODEL_SCRIPT, WORKSPACE_FILES } from './rlmScenario';

const repo = makeTempRepo(WORKSPACE_FILES, 'rlm-e2e-ws-');
const tmp = mkdtempSync(path.join(tmpdir(), 'rlm-e2e-'));
/** Files the scripted model waits for before some replies (see rlmModel.cjs). */
const gates = mkdtempSync(path.join(tmpdir(), 'rlm-e2e-gates-'));
let wb: Workbench;

before(
  async () => {
    const vsix = await packageVsix(REPO_ROOT, tmp);
    wb = await startWorkbench({
      name: 'rlm',
      workspace: repo.root,
      extensions: [vsix],
      modelScript: MODEL_SCRIPT,
      env: { RLM_E2E_GATE: gates },
      // VS Code saves all files before a chat request unless chat.saveBeforeSend is off; off
      // here, so that a question can see unsaved text (commands and code lenses always do).
      settings: { 'rlm.limits.concurrency': 2, 'files.autoSave': 'off', 'chat.saveBeforeSend': false },
    });
  },
  { timeout: TIMEOUTS.startup + 120_000 },
);

after(async () => {
  await wb?.stop();
  await repo.cleanup();
  rmSync(gates, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
});

/** The texts of the user requests the model was sent (the question lines), in order. */
function questionsAsked(): string[] {
  return wb.model
    .requests()
    .map((r) => /^Question: (.*)$/m.exec(r.messages[0]?.content ?? '')?.[1] ?? '')
    .filter(Boolean);
}

describe('@rlm in the chat panel', { timeout: 10 * 60_000 }, () => {
  test('answers a question whose answer needs a file found by grep, with progress, the answer and an inline reference', async () => {
    const response = await wb.sendChat('@rlm What is MAX_RETRIES set to?');
    // The model holds its second reply until the test has seen the progress of the first step.
    // Markdown renders the pattern's backticks as code: the text reads without them.
    await wb.waitForResponseText(/grep MAX_RETRIES = → 1 hit in 1 file/, response);
    await wb.waitForResponseText(/Turn 2 of 30 · ~[\d,.k]+ tokens/, response);
    await wb.screenshot('progress-while-running');
    writeFileSync(path.join(gates, 'first-answer'), '');
    await wb.waitForResponseDone(response);
    const text = await wb.waitForResponseText(/MAX_RETRIES is 5, set in retry\.ts:3\./, response);
    // The citation is an inline anchor to the file that was read, visible without a click.
    const anchors = wb.response(response).locator('.chat-inline-anchor-widget');
    await anchors.first().waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
    assert.match(await anchors.first().innerText(), /retry\.ts:3/);
    assert.match(text, /2 turns · 0 sub-calls · ~[\d,.k]+ tokens · 1 file read/);
    assert.match(text, /Used 1 reference/, 'the range read is attached as a reference too');
    await wb.screenshot('answer-with-reference');
    const asked = questionsAsked();
    assert.equal(asked[0], 'What is MAX_RETRIES set to?');
    // The model was given the repository's description, never its contents, in the first message.
    const first = wb.model.requests()[0]!.messages[0]!.content;
    assert.match(first, /await repo\.grep\(pattern/, 'the system prompt (folded into the first user message) has the API');
    assert.match(first, /await repo\.references\(name/, 'the editor adds its language functions');
    assert.doesNotMatch(first, /export const MAX_RETRIES = 5/);
  });

  test('a follow-up in the same conversation uses the first answer and the REPL variables it left', async () => {
    const before = wb.model.requests().length;
    const response = await wb.sendChat('@rlm Which files use it?');
    await wb.waitForResponseDone(response);
    // Both file names are inline anchors: the answer used the variable `hits` the first question left.
    await wb.waitForResponseText(/It is used in http\.ts and defined at retry\.ts:3\./, response);
    const opening = wb.model.requests()[before]!.messages[0]!.content;
    assert.match(opening, /This is a follow-up/);
    assert.match(opening, /Q1: What is MAX_RETRIES set to\?\nA1: MAX_RETRIES is 5/);
    assert.match(opening, /- hits: array of 1/);
    // Follow-up suggestions are offered after an answer.
    await wb.page.getByText('Where is this tested?', { exact: true }).first().waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
    await wb.screenshot('follow-up');
  });

  test('the stop button ends a long run at once, and the next question works', async () => {
    await wb.newChat();
    const long = await wb.sendChat('@rlm STOP-TEST: survey everything slowly');
    await wb.model.waitFor('the model to be asked and hang', (e) => e.event === 'hanging', { timeoutMs: TIMEOUTS.response });
    await wb.screenshot('long-run-in-progress');
    await wb.clickStop();
    await wb.waitForResponseDone(long, { timeoutMs: 30_000 });
    await wb.model.waitFor('the model request to be cancelled', (e) => e.event === 'cancelled', { timeoutMs: 30_000 });
    await wb.screenshot('long-run-stopped');
    const next = await wb.sendChat('@rlm What is MAX_RETRIES set to?');
    await wb.waitForResponseDone(next);
    await wb.waitForResponseText(/MAX_RETRIES is 5/, next);
  });

  test('the trace view shows the run as a tree', async () => {
    await wb.runCommand('RLM: Show Trace');
    const frame = await wb.waitForWebview('li.run');
    await frame.locator('li.run.selected details.node summary').first().waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
    const text = await frame.locator('body').innerText();
    assert.match(text, /RLM runs/);
    assert.match(text, /What is MAX_RETRIES set to\?/);
    assert.match(text, /root/);
    assert.match(text, /step 1/);
    assert.match(text, /files read/);
    await wb.screenshot('trace-view');
  });
});

describe('what the user sees in the editor', { timeout: 10 * 60_000 }, () => {
  test('unsaved changes are what the run reads, and the answer says so', async () => {
    await wb.openFile('src/config/retry.ts');
    await wb.page.locator('.editor-group-container.active .monaco-editor .view-lines').first().click();
    await wb.page.keyboard.press('Control+End');
    await wb.page.keyboard.type('export const UNSAVED_MARK = 42;');
    // The tab shows the file as modified, and it is not saved.
    await wb.step('file-modified', () => wb.page.locator('.tab.dirty', { hasText: 'retry.ts' }).first().waitFor({ state: 'visible', timeout: TIMEOUTS.ui }));
    await wb.newChat();
    const response = await wb.sendChat('@rlm What is UNSAVED_MARK?');
    await wb.waitForResponseDone(response);
    await wb.waitForResponseText(/UNSAVED_MARK is 42 \(retry\.ts:5\)\./, response);
    await wb.waitForResponseText(/Read unsaved changes in src\/config\/retry\.ts\./, response);
    assert.doesNotMatch(readFileSync(path.join(repo.root, 'src/config/retry.ts'), 'utf8'), /UNSAVED_MARK/, 'the disk never had it');
    await wb.screenshot('unsaved-changes');
    // Leave the file as it was on disk for the scenarios after this one.
    await wb.runCommand('File: Revert File');
    await wb.page.locator('.tab.dirty', { hasText: 'retry.ts' }).first().waitFor({ state: 'detached', timeout: TIMEOUTS.ui });
  });
});

describe('commands and code lenses', { timeout: 10 * 60_000 }, () => {
  test('RLM: Summarize Folder on a folder opens the summary document with links to files', async () => {
    await wb.runCommand('RLM: Summarize Folder', { opensQuickInput: true });
    await wb.chooseQuickPick('src');
    const editor = wb.page.locator('.editor-instance .view-lines', { hasText: 'Summary of src' }).first();
    await editor.waitFor({ state: 'visible', timeout: TIMEOUTS.response });
    // The editor renders spaces as non-breaking ones, and wraps long lines.
    const content = (await editor.innerText()).replace(/\u00a0/g, ' ').replace(/\n(?!#|-|\n)/g, '');
    assert.match(content, /# Summary of src/);
    assert.match(content, /Structure/);
    assert.match(content, /\[src\/index\.ts:1\]\(file:\/\/\/.*\/src\/index\.ts#L1\)/, 'citations are links to the lines');
    // Links in a Markdown editor are document links: underlined, Ctrl+click opens them.
    await editor.locator('.detected-link, .detected-link-active').first().waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
    await wb.screenshot('summary-document');
  });

  test('clicking an "Explain" code lens explains the function in the chat panel', async () => {
    await wb.openFile('src/server/http.ts');
    await wb.clickCodeLens('Explain');
    await waitUntil('the explanation question to reach the model', () => questionsAsked().find((q) => q.startsWith('Explain the function `createServer` at src/server/http.ts:3-7')), {
      timeoutMs: TIMEOUTS.response,
    });
    await wb.waitForResponseText(/createServer starts the HTTP server on a port \(http\.ts:3-7\); it is called from index\.ts:2\./);
    await wb.screenshot('explain-code-lens');
  });

  test('the model finds every call site through the language server (repo.references), and they are cited', async () => {
    // Opened, so the TypeScript server knows the file even before it has loaded the whole project.
    await wb.openFile('src/index.ts');
    await wb.newChat();
    const response = await wb.sendChat('@rlm Every call site of createServer?');
    await wb.waitForResponseDone(response);
    // The TypeScript server answered: the import and the call in index.ts, as anchors.
    await wb.waitForResponseText(/Call sites \(from the language server\): index\.ts:1, index\.ts:2\./, response);
    await wb.screenshot('references-from-language-server');
  });
});
