/**
 * Drives a real VS Code workbench (code-server 4.139.1 = VS Code 1.139.1) in Debian's
 * Chromium through playwright-core, for the extension's end-to-end tests.
 *
 *   const wb = await startWorkbench({ workspace: dir, extensions: [vsix], modelScript });
 *   try {
 *     await wb.openChat();
 *     const reply = await wb.sendChat('@rlm where is X?');
 *     await wb.waitForResponseDone(reply);
 *   } finally {
 *     await wb.stop();
 *   }
 *
 * Rules the helpers follow: they wait on DOM conditions or on the fixture model's event log,
 * never on fixed sleeps; every wait has a generous timeout (scaled by RLM_E2E_TIMEOUT_SCALE);
 * when a helper fails it saves a screenshot, code-server's log, the extension host logs'
 * tails, the model log and the browser console into the run's artifacts folder.
 * See README.md beside this file.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Frame, type Locator, type Page } from 'playwright-core';
import { closedPort } from '../support/loopback';
import {
  ARTIFACTS_DIR,
  CHROMIUM_BIN,
  CODE_SERVER_ENTRY,
  CODE_SERVER_MARKER,
  FIXTURE_LM_DIR,
  NODE24_BIN,
  REPO_ROOT,
} from './paths';

// ---------------------------------------------------------------------------------------
// Options and public types

export interface StartWorkbenchOptions {
  /** A folder, a `.code-workspace` file, or several folders (opened as a multi-root workspace). */
  workspace: string | string[];
  /** Extensions to install: `.vsix` files (installed with `--install-extension`) or extension folders (copied). */
  extensions?: string[];
  /** Extra environment for code-server (and so for the extension host). */
  env?: Record<string, string | undefined>;
  /**
   * true (default): the workspace is trusted (`--disable-workspace-trust`).
   * false: Workspace Trust is on and the workspace is NOT trusted (Restricted Mode, no prompt).
   */
  trust?: boolean;
  /** true (default): the fixture provides the default chat model. false: no chat model at all. */
  withModel?: boolean;
  /** CommonJS module scripting the fixture model's replies (see fixture-lm/extension.js). */
  modelScript?: string;
  /** User settings merged over the harness defaults. */
  settings?: Record<string, unknown>;
  /**
   * Extension ids to wait for until they are active, besides those waited for anyway: every
   * installed extension activated `*` or `onStartupFinished` (and allowed in the workspace's trust).
   */
  waitForActivation?: string[];
  /** Name of the artifacts folder under test-results/vscode-e2e/ (default: "workbench"). It is emptied first. */
  name?: string;
  viewport?: { width: number; height: number };
}

/** One line of the fixture model's JSON-lines event log. */
export interface ModelEvent {
  time: string;
  event: 'activated' | 'extensions' | 'extensionActivated' | 'request' | 'reply' | 'hanging' | 'cancelled' | 'error' | string;
  requestIndex?: number;
  [key: string]: unknown;
}

export interface ModelRequest extends ModelEvent {
  event: 'request';
  requestIndex: number;
  modelId: string;
  extensionId?: string;
  messages: { role: string; content: string }[];
}

/**
 * A chat response in the chat view, by its row in the chat list (`data-index` of its
 * `.monaco-list-row`: the list is virtualised, so a response's position among the rendered
 * responses is not stable, its row index is). Requests and responses alternate: row 1 is a
 * new chat's first response.
 */
export interface ChatResponse {
  row: number;
}

export interface WaitOptions {
  timeoutMs?: number;
}

// ---------------------------------------------------------------------------------------
// Timeouts (the machine is slow and shared: be generous)

const SCALE = Number(process.env.RLM_E2E_TIMEOUT_SCALE) > 0 ? Number(process.env.RLM_E2E_TIMEOUT_SCALE) : 1;
export const TIMEOUTS = {
  /** code-server listening, the workbench rendered, the extension host up. */
  startup: 180_000 * SCALE,
  /** A chat response from send to done. */
  response: 120_000 * SCALE,
  /** A UI element after an action (palette, editor, view). */
  ui: 30_000 * SCALE,
  /** Code lenses (the TypeScript server must start first). */
  codeLens: 90_000 * SCALE,
};

const FIXTURE_ID = 'rlm-e2e.fixture-lm';

const SELECTORS = {
  workbench: '.monaco-workbench',
  quickInput: '.quick-input-widget',
  quickInputBox: '.quick-input-widget .quick-input-box input',
  quickInputRows: '.quick-input-widget .quick-input-list .monaco-list-row',
  chatInputPart: '.interactive-input-part',
  // Inside the (visible) .interactive-input-part:
  /** The only element that edits the chat input when focused (not textarea.ime-text-area). */
  chatInput: '.monaco-editor .native-edit-context',
  chatInputLines: '.monaco-editor .view-lines',
  /** Send: the input toolbar's arrow (aria-label "Send", with an [Alt] "Send to New Chat" hint). */
  chatSend: 'a.action-label[aria-label^="Send"]:not([aria-label^="Send to"])',
  /** Shown instead of Send while a request runs (workbench.action.chat.cancel). */
  chatStop: 'a.action-label.codicon-stop-circle, a.action-label[aria-label^="Cancel"]',
  chatNew: 'a.action-label.codicon-plus[aria-label^="New Chat"]',
  response: '.interactive-item-container.interactive-response',
  responseLoading: 'chat-response-loading',
  anchor: '.chat-inline-anchor-widget',
  codeLens: '.codelens-decoration a',
  notification: '.notifications-toasts .notification-list-item',
};

/** Settings that keep the workbench quiet, offline and deterministic. */
const DEFAULT_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.settings.enableNaturalLanguageSearch': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'github.gitAuthentication': false,
  'npm.autoDetect': 'off',
  'json.schemaDownload.enable': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  'typescript.tsserver.web.typeAcquisition.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.untrustedFiles': 'open',
};

// ---------------------------------------------------------------------------------------
// Small utilities

/** Waits until `check` returns a value other than undefined/false, polling; throws after the timeout. */
export async function waitUntil<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  options: { timeoutMs: number; intervalMs?: number },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
}

function isLoopbackUrl(url: string): boolean {
  if (!/^(https?|wss?):/.test(url)) return true; // data:, blob:, about: never leave the machine
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}

async function tailLines(file: string, lines: number): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const all = text.split('\n');
  return all.slice(Math.max(0, all.length - lines - 1)).join('\n');
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else out.push(full);
  }
  return out;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'unnamed';
}

interface ExtensionManifest {
  id: string;
  dir: string;
  activationEvents: string[];
  untrustedSupported: boolean;
}

async function readManifest(dir: string): Promise<ExtensionManifest | undefined> {
  try {
    const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8')) as {
      publisher?: string;
      name?: string;
      activationEvents?: string[];
      capabilities?: { untrustedWorkspaces?: { supported?: boolean | string } };
    };
    if (!pkg.publisher || !pkg.name) return undefined;
    return {
      id: `${pkg.publisher}.${pkg.name}`,
      dir,
      activationEvents: pkg.activationEvents ?? [],
      untrustedSupported: pkg.capabilities?.untrustedWorkspaces?.supported !== false,
    };
  } catch {
    return undefined;
  }
}

// Process groups of workbenches still running: killed if the test process exits early.
const liveGroups = new Set<number>();
let exitHooksInstalled = false;
function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const killAll = () => {
    for (const pgid of liveGroups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    liveGroups.clear();
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

// ---------------------------------------------------------------------------------------
// The fixture model's log

export class ModelLog {
  constructor(readonly file: string) {}

  events(): ModelEvent[] {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch {
      return [];
    }
    const events: ModelEvent[] = [];
    for (const line of text.split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line) as ModelEvent);
      } catch {
        // a line being written right now; it is complete on the next read
      }
    }
    return events;
  }

  /** Every request the model received, in order. */
  requests(): ModelRequest[] {
    return this.events().filter((e): e is ModelRequest => e.event === 'request');
  }

  /** Waits for the first event matching `match` (checked against all events so far). */
  waitFor(what: string, match: (event: ModelEvent) => boolean, options: WaitOptions = {}): Promise<ModelEvent> {
    return waitUntil(`model event: ${what}`, () => this.events().find(match), {
      timeoutMs: options.timeoutMs ?? TIMEOUTS.response,
    });
  }
}

// ---------------------------------------------------------------------------------------
// The workbench

export class Workbench {
  /** Chromium's page showing the workbench: use it for anything the helpers do not cover. */
  readonly page: Page;
  readonly model: ModelLog;
  readonly artifactsDir: string;
  readonly url: string;
  readonly port: number;
  /** Milliseconds from startWorkbench() until the workbench and its extensions were ready. */
  startupMs = 0;
  /** Numbers screenshots and diagnostics folders in the order they were made. */
  private artifactCount = 0;
  private stopped = false;
  private readonly consoleLines: string[] = [];

  constructor(
    private readonly state: {
      page: Page;
      browser: Browser;
      context: BrowserContext;
      server: ChildProcess;
      serverExited: Promise<void>;
      tmpDir: string;
      userDataDir: string;
      serverLog: string;
      model: ModelLog;
      artifactsDir: string;
      url: string;
      port: number;
      workspaceFolders: string[];
      blocked: string[];
    },
  ) {
    this.page = state.page;
    this.model = state.model;
    this.artifactsDir = state.artifactsDir;
    this.url = state.url;
    this.port = state.port;
    this.page.on('console', (msg: ConsoleMessage) => this.consoleLine(`[console.${msg.type()}] ${msg.text()}`));
    this.page.on('pageerror', (err: Error) => this.consoleLine(`[pageerror] ${err.stack ?? err.message}`));
  }

  private consoleLine(line: string): void {
    this.consoleLines.push(`${new Date().toISOString()} ${line}`);
    if (this.consoleLines.length > 2000) this.consoleLines.splice(0, this.consoleLines.length - 2000);
  }

  /** Requests from the page to anything but loopback, which the harness aborted. */
  blockedRequests(): string[] {
    return [...this.state.blocked];
  }

  /**
   * The workbench's log files so far (code-server's user-data logs: the extension host's
   * `exthost1/remoteexthost.log`, and one file per extension log output channel, e.g.
   * `exthost1/<publisher.name>/<channel>.log`).
   */
  async logFiles(): Promise<string[]> {
    return (await listFiles(path.join(this.state.userDataDir, 'logs'))).sort();
  }

  /** The workspace's folders (absolute paths), in order. */
  get workspaceFolders(): string[] {
    return this.state.workspaceFolders;
  }

  /**
   * Runs `action`; when it throws, saves diagnostics (screenshot, logs) named after `label`
   * and rethrows. Every helper below runs inside one; tests may wrap their own steps too.
   */
  async step<T>(label: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (err) {
      const marked = err as { __rlmE2eCaptured?: boolean };
      if (err && typeof err === 'object' && !marked.__rlmE2eCaptured) {
        marked.__rlmE2eCaptured = true;
        const where = await this.captureDiagnostics(`FAILED-${label}`).catch((e: unknown) => `(diagnostics failed: ${String(e)})`);
        if (err instanceof Error) err.message += `\n  e2e artifacts: ${where}`;
      }
      throw err;
    }
  }

  // --- generic ------------------------------------------------------------------------

  /** Saves `<artifacts>/NN-<name>.png` and returns its path. */
  async screenshot(name: string): Promise<string> {
    const file = path.join(this.artifactsDir, `${String(++this.artifactCount).padStart(2, '0')}-${safeName(name)}.png`);
    await this.page.screenshot({ path: file, timeout: TIMEOUTS.ui });
    return file;
  }

  /**
   * Runs a command from the palette by its title as shown there (e.g. "Chat: Open Chat").
   * `opensQuickInput`: the command shows a quick pick or input box of its own, so the widget
   * stays open (with new content) instead of closing.
   */
  runCommand(title: string, options: { opensQuickInput?: boolean } = {}): Promise<void> {
    return this.step(`runCommand-${title}`, async () => {
      await this.openQuickInput('Control+Shift+P');
      await this.page.locator(SELECTORS.quickInputBox).fill(`>${title}`);
      // Rows are labelled "<title>" or "<title>, <keybinding>"; a stale row of the unfiltered
      // list is still the right command, and it is clicked by its exact label.
      await this.pickQuickInputRow(title, (label) => label === title || label.startsWith(`${title},`), undefined, !options.opensQuickInput);
    });
  }

  /**
   * Opens a file in an editor with Quick Open (a path relative to the first workspace folder,
   * or absolute) and waits until the extension host reports it as the active editor.
   */
  openFile(file: string): Promise<void> {
    return this.step(`openFile-${path.basename(file)}`, async () => {
      const absolute = path.isAbsolute(file) ? file : path.join(this.workspaceFolders[0] ?? '', file);
      const base = path.basename(absolute);
      const isTarget = (label: string) => label === base || label.startsWith(`${base} `) || label.startsWith(`${base},`);
      await this.openQuickInput('Control+P');
      await this.page.locator(SELECTORS.quickInputBox).fill(absolute);
      // An absolute path lists that one file: wait until the list shows nothing else (the
      // recently-opened list shown first may hold another file of the same name).
      await this.pickQuickInputRow(absolute, isTarget, (labels) => labels.length > 0 && labels.every(isTarget));
      await waitUntil(
        `${absolute} to be the active editor`,
        () => this.model.events().filter((e) => e.event === 'activeEditor').pop()?.path === absolute,
        { timeoutMs: TIMEOUTS.ui },
      );
    });
  }

  /** Picks the entry of an open quick pick whose label (as read aloud) contains `text`. */
  chooseQuickPick(text: string): Promise<void> {
    return this.step(`quickPick-${text}`, async () => {
      await this.page.locator(SELECTORS.quickInput).waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
      await this.pickQuickInputRow(text, (label) => label.includes(text));
    });
  }

  /** Waits for a code lens whose text starts with `textStartsWith` and clicks it. */
  clickCodeLens(textStartsWith: string, options: WaitOptions = {}): Promise<void> {
    return this.step(`clickCodeLens-${textStartsWith}`, async () => {
      const lens = this.page.locator(SELECTORS.codeLens).filter({ hasText: new RegExp(`^\\s*${escapeRegExp(textStartsWith)}`) }).first();
      await lens.waitFor({ state: 'visible', timeout: options.timeoutMs ?? TIMEOUTS.codeLens });
      await lens.click();
      await this.moveMouseAway();
    });
  }

  /** Waits for a notification toast whose text contains `text`; returns its text. */
  waitForNotification(text: string, options: WaitOptions = {}): Promise<string> {
    return this.step(`notification-${text}`, async () => {
      const toast = this.page.locator(SELECTORS.notification).filter({ hasText: text }).first();
      await toast.waitFor({ state: 'visible', timeout: options.timeoutMs ?? TIMEOUTS.ui });
      // Toasts fade in: wait for the animation to end, so a screenshot shows what a user reads.
      await waitUntil(
        'the notification to finish appearing',
        () => toast.evaluate((el) => !(el.closest('.notification-toast') ?? el).getAnimations({ subtree: true }).some((a: { playState: string }) => a.playState === 'running')),
        { timeoutMs: TIMEOUTS.ui },
      );
      return toast.innerText();
    });
  }

  /**
   * The frames that hold webview content (the inner frame of each webview; the outer one
   * only hosts it). Webviews are iframes served by code-server.
   */
  webviewFrames(): Frame[] {
    return this.page.frames().filter((frame) => {
      const parent = frame.parentFrame();
      return parent !== null && parent !== this.page.mainFrame() && /\/webview\//.test(parent.url());
    });
  }

  /** Waits for a webview frame in which `selector` is visible; returns that frame. */
  waitForWebview(selector: string, options: WaitOptions = {}): Promise<Frame> {
    return this.step(`webview-${selector}`, () =>
      waitUntil(
        `a webview showing ${selector}`,
        async () => {
          for (const frame of this.webviewFrames()) {
            if (await frame.locator(selector).first().isVisible().catch(() => false)) return frame;
          }
          return undefined;
        },
        { timeoutMs: options.timeoutMs ?? TIMEOUTS.ui, intervalMs: 250 },
      ),
    );
  }

  /** Waits until the installed extension `id` is active (reported by the fixture extension). */
  waitForExtensionActive(id: string, options: WaitOptions = {}): Promise<void> {
    return this.step(`activate-${id}`, async () => {
      await this.model.waitFor(`${id} active`, (e) => e.event === 'extensionActivated' && e.id === id, {
        timeoutMs: options.timeoutMs ?? TIMEOUTS.startup,
      });
    });
  }

  // --- chat -----------------------------------------------------------------------------

  /** Opens the chat view (Chat: Open Chat) unless its input is already shown. */
  openChat(): Promise<void> {
    return this.step('openChat', async () => {
      if (!(await this.chatInputPart().isVisible())) {
        await this.runCommand('Chat: Open Chat');
      }
      await this.chatInputPart().waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
      await this.chatInputPart().locator(SELECTORS.chatInput).first().waitFor({ state: 'attached', timeout: TIMEOUTS.ui });
    });
  }

  /** Starts a new, empty chat session (the chat view's "New Chat" button). */
  newChat(): Promise<void> {
    return this.step('newChat', async () => {
      await this.openChat();
      await this.visible(SELECTORS.chatNew).click({ timeout: TIMEOUTS.ui });
      await this.moveMouseAway();
      await waitUntil('an empty chat', async () => (await this.page.locator(SELECTORS.response).count()) === 0, {
        timeoutMs: TIMEOUTS.ui,
      });
      await this.chatInputPart().locator(SELECTORS.chatInput).first().waitFor({ state: 'attached', timeout: TIMEOUTS.ui });
    });
  }

  /** The responses rendered in the chat view, oldest first (the list is virtualised: rows far out of view are not rendered). */
  responses(): Locator {
    return this.page.locator(SELECTORS.response);
  }

  /** One response (default: the newest rendered). */
  response(response?: ChatResponse): Locator {
    return response ? this.page.locator(responseSelector(response.row)) : this.responses().last();
  }

  /** The row of the newest rendered response, or -1. */
  private async lastResponseRow(): Promise<number> {
    const rows = await this.page
      .locator(`.monaco-list-row:has(${SELECTORS.response})`)
      .evaluateAll((els) => els.map((el) => Number(el.getAttribute('data-index'))));
    return rows.filter((n) => Number.isFinite(n)).reduce((a, b) => Math.max(a, b), -1);
  }

  /**
   * Types `text` into the chat input (focusing the element that edits it; a click would hit
   * an overlay), submits it, and waits until its response appears. Returns that response.
   */
  sendChat(text: string): Promise<ChatResponse> {
    return this.step(`sendChat-${text.slice(0, 30)}`, async () => {
      await this.openChat();
      const before = await this.lastResponseRow();
      const input = this.chatInputPart().locator(SELECTORS.chatInput).first();
      await input.focus();
      await this.page.keyboard.press('Control+A');
      await this.page.keyboard.press('Delete');
      await this.page.keyboard.type(text);
      const normalize = (s: string) => s.replace(/\u00a0/g, ' ').replace(/\s+/g, ' ').trim();
      await waitUntil(
        `the chat input to read ${JSON.stringify(text)}`,
        async () => normalize(await this.chatInputPart().locator(SELECTORS.chatInputLines).first().innerText()) === normalize(text),
        { timeoutMs: TIMEOUTS.ui },
      );
      // Submit with the Send button: Enter could be taken by an open suggestion list.
      await this.chatInputPart().locator(SELECTORS.chatSend).filter({ visible: true }).first().click({ timeout: TIMEOUTS.ui });
      await this.moveMouseAway();
      const row = await waitUntil(
        `a new chat response (after row ${before})`,
        async () => {
          const last = await this.lastResponseRow();
          return last > before ? last : undefined;
        },
        { timeoutMs: TIMEOUTS.ui },
      );
      return { row };
    });
  }

  /** Waits until a response (default: the newest) is no longer loading. */
  waitForResponseDone(response?: ChatResponse, options: WaitOptions = {}): Promise<void> {
    return this.step('waitForResponseDone', async () => {
      const row = response?.row ?? (await this.lastResponseRow());
      if (row < 0) throw new Error('waitForResponseDone: the chat view has no response');
      await this.page.waitForFunction(
        ({ selector, loading }) => {
          const el = (globalThis as any).document.querySelector(selector);
          return el !== null && !el.classList.contains(loading);
        },
        { selector: responseSelector(row), loading: SELECTORS.responseLoading },
        { timeout: options.timeoutMs ?? TIMEOUTS.response, polling: 100 },
      );
    });
  }

  /** Waits until a response (default: the newest) shows text matching `pattern`; returns its text. */
  waitForResponseText(pattern: string | RegExp, response?: ChatResponse, options: WaitOptions = {}): Promise<string> {
    return this.step(`waitForResponseText-${String(pattern).slice(0, 30)}`, () =>
      waitUntil(
        `a chat response showing ${String(pattern)}`,
        async () => {
          const text = await this.response(response).innerText();
          const matches = typeof pattern === 'string' ? text.includes(pattern) : pattern.test(text);
          return matches ? text : undefined;
        },
        { timeoutMs: options.timeoutMs ?? TIMEOUTS.response },
      ),
    );
  }

  /** The visible text of the newest response (header, progress, markdown and anchors). */
  async lastResponseText(): Promise<string> {
    return this.step('lastResponseText', () => this.response().innerText({ timeout: TIMEOUTS.ui }));
  }

  /** Clicks the chat input's Stop button (shown while a request runs). */
  clickStop(): Promise<void> {
    return this.step('clickStop', async () => {
      await this.chatInputPart().locator(SELECTORS.chatStop).filter({ visible: true }).first().click({ timeout: TIMEOUTS.ui });
      await this.moveMouseAway();
    });
  }

  // --- diagnostics and shutdown ---------------------------------------------------------

  /**
   * Saves a screenshot and the logs into `<artifacts>/<label>/`: code-server's log, the last
   * lines of the extension host's logs, the model log, the browser console, and the
   * workbench's visible text. Returns the folder.
   */
  async captureDiagnostics(label: string): Promise<string> {
    const dir = path.join(this.artifactsDir, `${String(++this.artifactCount).padStart(2, '0')}-${safeName(label)}`);
    await mkdir(dir, { recursive: true });
    if (!this.stopped) {
      await this.page.screenshot({ path: path.join(dir, 'screenshot.png'), timeout: 15_000 }).catch(() => undefined);
      const text = await this.page
        .locator(SELECTORS.workbench)
        .innerText({ timeout: 5_000 })
        .catch((e: unknown) => `(no workbench text: ${String(e)})`);
      await writeFile(path.join(dir, 'workbench.txt'), text);
    }
    await this.saveLogs(dir, 300);
    return dir;
  }

  private async saveLogs(dir: string, lines: number): Promise<void> {
    await cp(this.state.serverLog, path.join(dir, 'code-server.log')).catch(() => undefined);
    await cp(this.model.file, path.join(dir, 'model-log.jsonl')).catch(() => undefined);
    await writeFile(path.join(dir, 'browser-console.log'), this.consoleLines.join('\n') + '\n');
    await writeFile(path.join(dir, 'blocked-requests.log'), this.state.blocked.join('\n') + '\n');
    const logFiles = (await listFiles(path.join(this.state.userDataDir, 'logs'))).filter((f) => f.endsWith('.log')).sort();
    const parts: string[] = [];
    for (const file of logFiles) {
      const rel = path.relative(path.join(this.state.userDataDir, 'logs'), file);
      const important = /exthost|remoteagent/i.test(rel);
      if (!important) continue;
      parts.push(`===== ${rel} (last ${lines} lines) =====\n${await tailLines(file, lines)}`);
    }
    await writeFile(path.join(dir, 'exthost-tail.log'), parts.join('\n\n') + '\n');
  }

  /** Closes Chromium, kills code-server's process group, keeps the logs in the artifacts folder, removes temp dirs. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    await this.saveLogs(path.join(this.artifactsDir, 'logs'), 2000)
      .catch(() => undefined);
    this.stopped = true;
    await Promise.race([this.state.browser.close(), new Promise((resolve) => setTimeout(resolve, 15_000))]).catch(() => undefined);
    await killGroup(this.state.server, this.state.serverExited);
    await rm(this.state.tmpDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
  }

  // --- internals -------------------------------------------------------------------------

  /** The chat input part that is shown (the chat view's). */
  private chatInputPart(): Locator {
    return this.visible(SELECTORS.chatInputPart);
  }

  /** Moves the mouse off the toolbars, so that no hover tooltip covers the next screenshot. */
  private async moveMouseAway(): Promise<void> {
    await this.page.mouse.move(1, 1);
  }

  /** The first visible element matching `selector`. */
  private visible(selector: string): Locator {
    return this.page.locator(selector).filter({ visible: true }).first();
  }

  private async openQuickInput(key: string): Promise<void> {
    const widget = this.page.locator(SELECTORS.quickInput);
    if (await widget.isVisible()) {
      await this.page.keyboard.press('Escape');
      await widget.waitFor({ state: 'hidden', timeout: TIMEOUTS.ui });
    }
    await this.page.keyboard.press(key);
    await widget.waitFor({ state: 'visible', timeout: TIMEOUTS.ui });
  }

  /**
   * Waits until the quick-input list is `settled` (default: it has a row that `accepts` takes,
   * by aria-label), then clicks the first such row by its exact label (a click re-finds the
   * row, so a list re-rendered in between cannot redirect it). Waits for the widget to close.
   */
  private async pickQuickInputRow(
    what: string,
    accepts: (label: string) => boolean,
    settled: (labels: string[]) => boolean = (labels) => labels.some(accepts),
    waitHidden = true,
  ): Promise<void> {
    const rows = this.page.locator(SELECTORS.quickInputRows);
    const label = await waitUntil(
      `a quick-input entry for ${JSON.stringify(what)}`,
      async () => {
        const labels = await rows.evaluateAll((els) => els.map((el) => el.getAttribute('aria-label') ?? ''));
        return settled(labels) ? labels.find(accepts) : undefined;
      },
      { timeoutMs: TIMEOUTS.ui },
    );
    await this.page.locator(`${SELECTORS.quickInputRows}[aria-label=${JSON.stringify(label)}]`).first().click({ timeout: TIMEOUTS.ui });
    if (!waitHidden) {
      // The widget is reused for the command's own quick input: wait for that list instead.
      await waitUntil('the command\'s own quick input', async () => !(await this.page.locator(`${SELECTORS.quickInputRows}[aria-label=${JSON.stringify(label)}]`).count()), { timeoutMs: TIMEOUTS.ui });
      return;
    }
    await this.page.locator(SELECTORS.quickInput).waitFor({ state: 'hidden', timeout: TIMEOUTS.ui });
    await this.moveMouseAway();
  }
}

function responseSelector(row: number): string {
  return `.monaco-list-row[data-index="${row}"] ${SELECTORS.response}`;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

async function killGroup(server: ChildProcess, exited: Promise<void>): Promise<void> {
  const pgid = server.pid;
  if (pgid === undefined) return;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-pgid, signal);
    } catch {
      // the group is gone
    }
  };
  if (server.exitCode === null && server.signalCode === null) {
    signalGroup('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 10_000))]);
    if (timedOut) signalGroup('SIGKILL');
  }
  // The extension host and other children share the group: make sure none survives.
  signalGroup('SIGKILL');
  liveGroups.delete(pgid);
}

// ---------------------------------------------------------------------------------------
// Starting

function assertInstalled(): void {
  const missing = [CODE_SERVER_MARKER, CODE_SERVER_ENTRY, NODE24_BIN, CHROMIUM_BIN].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new Error(`The VS Code e2e environment is not installed (missing ${missing.join(', ')}). Run: npx tsx test/vscode-e2e/setup.ts`);
  }
}

/** The environment of code-server: ours, minus anything that would tie it to another VS Code. */
function serverEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(VSCODE_|ELECTRON_)/.test(key)) continue;
    env[key] = value;
  }
  for (const [key, value] of Object.entries(extra)) {
    if (value === undefined) delete env[key];
    else env[key] = value;
  }
  return env;
}

async function waitForListening(serverLog: string, server: ChildProcess, exited: Promise<void>): Promise<number> {
  let hasExited = false;
  void exited.then(() => (hasExited = true));
  const deadline = Date.now() + TIMEOUTS.startup;
  for (;;) {
    const text = await readFile(serverLog, 'utf8').catch(() => '');
    const match = /HTTP server listening on https?:\/\/127\.0\.0\.1:(\d+)/.exec(text);
    if (match) return Number(match[1]);
    if (hasExited) throw new Error(`code-server exited (${server.exitCode ?? server.signalCode}) before listening:\n${text}`);
    if (Date.now() > deadline) throw new Error(`Timed out after ${TIMEOUTS.startup} ms waiting for code-server to listen:\n${text}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Starts code-server on a free loopback port with fresh user-data and extensions dirs, opens
 * the workspace in Chromium and waits until the workbench is rendered and the extension host
 * has activated the fixture and every installed extension that activates at startup.
 */
export async function startWorkbench(options: StartWorkbenchOptions): Promise<Workbench> {
  assertInstalled();
  installExitHooks();
  const started = Date.now();
  const trust = options.trust ?? true;
  const withModel = options.withModel ?? true;
  const artifactsDir = path.join(ARTIFACTS_DIR, safeName(options.name ?? 'workbench'));
  await rm(artifactsDir, { recursive: true, force: true });
  await mkdir(artifactsDir, { recursive: true });

  const tmpDir = await mkdtemp(path.join(os.tmpdir(), 'rlm-vscode-e2e-'));
  const userDataDir = path.join(tmpDir, 'user-data');
  const extensionsDir = path.join(tmpDir, 'extensions');
  const xdgDir = path.join(tmpDir, 'xdg');
  await mkdir(path.join(userDataDir, 'User'), { recursive: true });
  await mkdir(extensionsDir, { recursive: true });
  await mkdir(xdgDir, { recursive: true });
  const serverLog = path.join(tmpDir, 'code-server.log');
  const modelLogFile = path.join(tmpDir, 'model-log.jsonl');
  await writeFile(modelLogFile, '');

  const fail = async (err: unknown): Promise<never> => {
    // Keep what explains the failure, then clean up.
    const dir = path.join(artifactsDir, 'FAILED-startup');
    await mkdir(dir, { recursive: true });
    await cp(serverLog, path.join(dir, 'code-server.log')).catch(() => undefined);
    await cp(modelLogFile, path.join(dir, 'model-log.jsonl')).catch(() => undefined);
    if (err instanceof Error) err.message += `\n  e2e artifacts: ${dir}`;
    throw err;
  };

  // Settings first, then the extensions: copied folders (the fixture first), then .vsix
  // installs (an install rewrites extensions.json; folders copied after it are deleted).
  const settings = {
    ...DEFAULT_SETTINGS,
    'security.workspace.trust.enabled': !trust,
    ...options.settings,
  };
  await writeFile(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  const modelScript = options.modelScript ? path.resolve(options.modelScript) : undefined;
  // The fallback channel to the fixture, should the extension host not get our environment.
  await writeFile(
    path.join(userDataDir, 'rlm-e2e-fixture.json'),
    JSON.stringify({ script: modelScript, log: modelLogFile, disabled: !withModel }, null, 2),
  );

  const folders = [FIXTURE_LM_DIR, ...(options.extensions ?? []).filter((e) => !e.endsWith('.vsix'))];
  const vsixes = (options.extensions ?? []).filter((e) => e.endsWith('.vsix')).map((e) => path.resolve(e));
  for (const folder of folders) {
    const manifest = await readManifest(folder);
    if (!manifest) throw new Error(`${folder} has no package.json with publisher and name`);
    const version = (JSON.parse(await readFile(path.join(folder, 'package.json'), 'utf8')) as { version: string }).version;
    await cp(folder, path.join(extensionsDir, `${manifest.id}-${version}`), {
      recursive: true,
      filter: (src) => !/[\\/](\.git|\.vscode-test)([\\/]|$)/.test(src),
    });
  }
  const cliArgs = ['--user-data-dir', userDataDir, '--extensions-dir', extensionsDir, '--config', path.join(tmpDir, 'config.yaml')];
  const galleryPort = await closedPort();
  const env = serverEnv({
    EXTENSIONS_GALLERY: JSON.stringify({
      serviceUrl: `http://127.0.0.1:${galleryPort}/gallery`,
      itemUrl: `http://127.0.0.1:${galleryPort}/item`,
      resourceUrlTemplate: `http://127.0.0.1:${galleryPort}/resource/{publisher}/{name}/{version}/{path}`,
    }),
    XDG_CONFIG_HOME: path.join(xdgDir, 'config'),
    XDG_DATA_HOME: path.join(xdgDir, 'data'),
    XDG_CACHE_HOME: path.join(xdgDir, 'cache'),
    RLM_E2E_MODEL_SCRIPT: modelScript,
    RLM_E2E_MODEL_LOG: modelLogFile,
    RLM_E2E_MODEL_DISABLED: withModel ? undefined : '1',
    ...options.env,
  });
  if (vsixes.length > 0) {
    const install = spawnSync(NODE24_BIN, [CODE_SERVER_ENTRY, ...cliArgs, ...vsixes.flatMap((v) => ['--install-extension', v]), '--force'], {
      env,
      encoding: 'utf8',
      timeout: TIMEOUTS.startup,
    });
    const out = `${install.stdout ?? ''}${install.stderr ?? ''}`;
    await writeFile(path.join(artifactsDir, 'install-extensions.log'), out);
    if (install.status !== 0) await fail(new Error(`--install-extension failed (${install.status}):\n${out}`));
  }

  // What is installed now, and which extensions to wait for.
  const installed: ExtensionManifest[] = [];
  for (const entry of await readdir(extensionsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const manifest = await readManifest(path.join(extensionsDir, entry.name));
    if (manifest) installed.push(manifest);
  }
  if (!installed.some((m) => m.id === FIXTURE_ID)) await fail(new Error(`${FIXTURE_ID} is missing from ${extensionsDir}`));
  const waitFor = new Set(
    installed
      .filter((m) => m.activationEvents.some((e) => e === '*' || e === 'onStartupFinished'))
      .filter((m) => trust || m.untrustedSupported)
      .map((m) => m.id),
  );
  for (const id of options.waitForActivation ?? []) waitFor.add(id);

  // Workspace: a folder, a .code-workspace file, or several folders.
  const workspaces = (Array.isArray(options.workspace) ? options.workspace : [options.workspace]).map((w) => path.resolve(w));
  let query: string;
  let workspaceFolders: string[];
  if (workspaces.length > 1) {
    const file = path.join(tmpDir, 'e2e.code-workspace');
    await writeFile(file, JSON.stringify({ folders: workspaces.map((p) => ({ path: p })), settings: {} }, null, 2));
    query = `workspace=${encodeURIComponent(file)}`;
    workspaceFolders = workspaces;
  } else if (workspaces[0]!.endsWith('.code-workspace')) {
    query = `workspace=${encodeURIComponent(workspaces[0]!)}`;
    const parsed = JSON.parse(await readFile(workspaces[0]!, 'utf8')) as { folders?: { path: string }[] };
    workspaceFolders = (parsed.folders ?? []).map((f) => path.resolve(path.dirname(workspaces[0]!), f.path));
  } else {
    if (!(await stat(workspaces[0]!).catch(() => undefined))?.isDirectory()) throw new Error(`workspace ${workspaces[0]} is not a folder`);
    query = `folder=${encodeURIComponent(workspaces[0]!)}`;
    workspaceFolders = [workspaces[0]!];
  }

  // code-server, detached in its own process group; its output goes to a file.
  const serverArgs = [
    CODE_SERVER_ENTRY,
    '--auth',
    'none',
    '--bind-addr',
    '127.0.0.1:0',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--enable-proposed-api',
    FIXTURE_ID,
    ...cliArgs,
    ...(trust ? ['--disable-workspace-trust'] : []),
  ];
  const logFd = openSync(serverLog, 'a');
  const server = spawn(NODE24_BIN, serverArgs, { detached: true, stdio: ['ignore', logFd, logFd], env, cwd: tmpDir });
  closeSync(logFd);
  if (server.pid !== undefined) liveGroups.add(server.pid);
  const serverExited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  server.unref();

  let browser: Browser | undefined;
  try {
    const port = await waitForListening(serverLog, server, serverExited);
    const url = `http://127.0.0.1:${port}/?${query}`;

    browser = await chromium.launch({
      executablePath: CHROMIUM_BIN,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-dev-shm-usage',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--disable-quic',
        '--no-first-run',
        '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
      ],
    });
    const context = await browser.newContext({ viewport: options.viewport ?? { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    const blocked: string[] = [];
    await context.route(
      (u) => !isLoopbackUrl(u.href),
      (route) => {
        blocked.push(route.request().url());
        return route.abort('blockedbyclient');
      },
    );
    const page = await context.newPage();
    // RLM_E2E_CPU_THROTTLE=4 runs the workbench's renderer 4x slower (CDP CPU throttling): a
    // cheap way to check that a scenario waits on conditions, not on luck, on a slow machine.
    const throttle = Number(process.env.RLM_E2E_CPU_THROTTLE);
    if (throttle > 1) {
      const cdp = await context.newCDPSession(page);
      await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
    }
    const workbench = new Workbench({
      page,
      browser,
      context,
      server,
      serverExited,
      tmpDir,
      userDataDir,
      serverLog,
      model: new ModelLog(modelLogFile),
      artifactsDir,
      url,
      port,
      workspaceFolders,
      blocked,
    });
    await workbench.step('startup', async () => {
      await page.goto(url, { timeout: TIMEOUTS.startup });
      await page.locator(SELECTORS.workbench).waitFor({ state: 'visible', timeout: TIMEOUTS.startup });
      const activated = await workbench.model.waitFor('fixture activated', (e) => e.event === 'activated', { timeoutMs: TIMEOUTS.startup });
      if (activated.channel !== 'env') {
        console.warn(`[vscode-e2e] the fixture read its settings through channel "${String(activated.channel)}", not the environment`);
      }
      for (const id of waitFor) {
        await workbench.model.waitFor(`${id} active`, (e) => e.event === 'extensionActivated' && e.id === id, { timeoutMs: TIMEOUTS.startup });
      }
    });
    workbench.startupMs = Date.now() - started;
    return workbench;
  } catch (err) {
    await browser?.close().catch(() => undefined);
    await killGroup(server, serverExited);
    await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
    return fail(err);
  }
}

/**
 * Packages an extension folder as a .vsix with @vscode/vsce (the way the product extension
 * ships) and returns the file's path. `dependencies: false` (default) packages no
 * node_modules, for bundled or dependency-free extensions.
 */
export async function packageVsix(extensionDir: string, outDir: string, options: { dependencies?: boolean } = {}): Promise<string> {
  const manifest = await readManifest(extensionDir);
  if (!manifest) throw new Error(`${extensionDir} has no package.json with publisher and name`);
  await mkdir(outDir, { recursive: true });
  const out = path.join(outDir, `${manifest.id}.vsix`);
  const vsce = path.join(REPO_ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
  const args = [vsce, 'package', '--skip-license', '--allow-missing-repository', '--out', out];
  if (!options.dependencies) args.push('--no-dependencies');
  const result = spawnSync(process.execPath, args, { cwd: extensionDir, encoding: 'utf8', timeout: TIMEOUTS.startup });
  if (result.status !== 0) throw new Error(`vsce package failed in ${extensionDir} (${result.status}):\n${result.stdout}${result.stderr}`);
  return out;
}
