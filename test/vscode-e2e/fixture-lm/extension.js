// Test-only fixture: the default chat model of the e2e workbench, answered by a script.
//
// Configuration (read at activation; see ../README.md):
//   RLM_E2E_MODEL_SCRIPT  path of a CommonJS module exporting
//                           reply(messages, info) => string | Reply | Promise<...>
//                         and optionally `model` (overrides of the model's information).
//                         The module is re-required on every request, so a test may rewrite
//                         it between requests. Without it the model echoes the last message.
//   RLM_E2E_MODEL_LOG     path of a JSON-lines file this fixture appends events to:
//                         activated, extensions, extensionActivated, activeEditor, request,
//                         reply, hanging, cancelled, error.
//   RLM_E2E_MODEL_DISABLED=1  register no model (the fixture still logs activation events:
//                         the driver's signal that the extension host is up).
// When neither variable reaches the extension host, the same settings are read from
// <user-data-dir>/rlm-e2e-fixture.json ({ "script": ..., "log": ..., "disabled": bool }).
//
// A Reply object: { text?: string, chunks?: string[], delayMs?: number,
//                   chunkDelayMs?: number, hang?: boolean, error?: string }
//   delayMs       wait before the first chunk (cancellable)
//   hang          after the chunks, keep the request open until it is cancelled
//   error         fail the request with this message (after delayMs)
'use strict';

const vscode = require('vscode');
const fs = require('node:fs');
const path = require('node:path');

const VENDOR = 'copilot';
const MODEL_ID = 'rlm-e2e-scripted';

let config = { channel: 'none', script: undefined, log: undefined, disabled: false };
let requestCount = 0;

function readConfig(context) {
  const script = process.env.RLM_E2E_MODEL_SCRIPT;
  const log = process.env.RLM_E2E_MODEL_LOG;
  const disabled = process.env.RLM_E2E_MODEL_DISABLED === '1';
  if (script || log) return { channel: 'env', script: script || undefined, log: log || undefined, disabled };
  // Fallback channel: globalStorageUri is <user-data-dir>/User/globalStorage/<extension id>.
  const file = path.resolve(context.globalStorageUri.fsPath, '..', '..', '..', 'rlm-e2e-fixture.json');
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
    return { channel: 'file', script: parsed.script || undefined, log: parsed.log || undefined, disabled: parsed.disabled === true };
  } catch {
    return { channel: 'none', script: undefined, log: undefined, disabled };
  }
}

function logEvent(event) {
  if (!config.log) return;
  try {
    fs.appendFileSync(config.log, JSON.stringify({ time: new Date().toISOString(), ...event }) + '\n');
  } catch (err) {
    console.error('[rlm-e2e fixture-lm] cannot write log', err);
  }
}

function loadScript() {
  if (!config.script) return undefined;
  const resolved = require.resolve(config.script);
  delete require.cache[resolved];
  return require(resolved);
}

function roleName(role) {
  if (role === vscode.LanguageModelChatMessageRole.User) return 'user';
  if (role === vscode.LanguageModelChatMessageRole.Assistant) return 'assistant';
  return role === 3 ? 'system' : String(role);
}

/** Flattens a message's parts to text (text parts verbatim, other parts as short tags). */
function partText(part) {
  if (part == null) return '';
  if (typeof part === 'string') return part;
  if (typeof part.value === 'string') return part.value; // LanguageModelTextPart
  if (typeof part.callId === 'string' && typeof part.name === 'string') {
    return `[tool call ${part.name} ${JSON.stringify(part.input)}]`; // LanguageModelToolCallPart
  }
  if (typeof part.callId === 'string' && Array.isArray(part.content)) {
    return `[tool result ${part.callId}: ${part.content.map(partText).join('')}]`; // LanguageModelToolResultPart
  }
  if (part.data instanceof Uint8Array && typeof part.mimeType === 'string') {
    return part.mimeType.startsWith('text/') || part.mimeType.includes('json')
      ? Buffer.from(part.data).toString('utf8')
      : `[data ${part.mimeType} ${part.data.byteLength} bytes]`;
  }
  if (part.value !== undefined) return JSON.stringify(part.value); // LanguageModelPromptTsxPart
  return JSON.stringify(part);
}

function flatten(messages) {
  return messages.map((message) => ({
    role: roleName(message.role),
    content: Array.isArray(message.content) ? message.content.map(partText).join('') : partText(message.content),
  }));
}

function messageText(text) {
  if (typeof text === 'string') return text;
  return (Array.isArray(text.content) ? text.content : [text.content]).map(partText).join('');
}

/** Splits text into up to `count` chunks at spaces, so the reply streams in a few parts. */
function chunksOf(text, count) {
  if (text.length === 0) return [];
  const size = Math.ceil(text.length / count);
  const chunks = [];
  let start = 0;
  while (start < text.length) {
    let end = Math.min(text.length, start + size);
    const space = text.indexOf(' ', end);
    if (end < text.length && space !== -1 && space - end < 20) end = space + 1;
    chunks.push(text.slice(start, end));
    start = end;
  }
  return chunks;
}

/** Resolves after `ms`, or at once when the token is cancelled. */
function sleep(ms, token) {
  return new Promise((resolve) => {
    if (token.isCancellationRequested) return resolve();
    const timer = setTimeout(() => {
      sub.dispose();
      resolve();
    }, ms);
    const sub = token.onCancellationRequested(() => {
      clearTimeout(timer);
      sub.dispose();
      resolve();
    });
  });
}

function untilCancelled(token) {
  return new Promise((resolve) => {
    if (token.isCancellationRequested) return resolve();
    const sub = token.onCancellationRequested(() => {
      sub.dispose();
      resolve();
    });
  });
}

function modelInformation() {
  let overrides = {};
  try {
    const script = loadScript();
    if (script && script.model && typeof script.model === 'object') overrides = script.model;
  } catch (err) {
    logEvent({ event: 'error', where: 'model', message: String(err && err.stack ? err.stack : err) });
  }
  return {
    id: MODEL_ID,
    name: 'E2E Scripted Model',
    family: 'rlm-e2e',
    version: '1',
    tooltip: 'Test-only model whose replies are scripted by the e2e test',
    detail: 'scripted',
    maxInputTokens: 128000,
    maxOutputTokens: 16000,
    capabilities: { imageInput: false, toolCalling: false },
    ...overrides,
    isDefault: true,
    isUserSelectable: true,
  };
}

const provider = {
  provideLanguageModelChatInformation(_options, _token) {
    return [modelInformation()];
  },

  async provideLanguageModelChatResponse(model, messages, options, progress, token) {
    const requestIndex = requestCount++;
    const flat = flatten(messages);
    const info = {
      requestIndex,
      modelId: model.id,
      // The requesting extension's id (or "core"); older builds called it extensionId.
      extensionId: options && (options.requestInitiator || options.extensionId),
      modelOptions: (options && options.modelOptions) || {},
      tools: ((options && options.tools) || []).map((tool) => tool.name),
    };
    logEvent({ event: 'request', ...info, messages: flat });
    const cancelled = (afterChunks) => {
      logEvent({ event: 'cancelled', requestIndex, afterChunks });
      throw new vscode.CancellationError();
    };

    let reply;
    try {
      const script = loadScript();
      if (script && typeof script.reply === 'function') {
        reply = await script.reply(flat, info);
      } else {
        const lastUser = [...flat].reverse().find((m) => m.role === 'user');
        reply = `Echo: ${lastUser ? lastUser.content : ''}`;
      }
    } catch (err) {
      logEvent({ event: 'error', requestIndex, where: 'reply', message: String(err && err.stack ? err.stack : err) });
      throw err;
    }
    if (typeof reply === 'string') reply = { text: reply };
    if (reply == null || typeof reply !== 'object') reply = { text: String(reply) };

    if (reply.delayMs) await sleep(reply.delayMs, token);
    if (token.isCancellationRequested) cancelled(0);
    if (reply.error) {
      logEvent({ event: 'error', requestIndex, where: 'scripted', message: reply.error });
      throw new Error(reply.error);
    }
    const chunks = Array.isArray(reply.chunks) ? reply.chunks.map(String) : chunksOf(String(reply.text ?? ''), 3);
    const chunkDelayMs = typeof reply.chunkDelayMs === 'number' ? reply.chunkDelayMs : 20;
    let sent = 0;
    for (const chunk of chunks) {
      if (token.isCancellationRequested) cancelled(sent);
      progress.report(new vscode.LanguageModelTextPart(chunk));
      sent++;
      if (sent < chunks.length || reply.hang) await sleep(chunkDelayMs, token);
    }
    if (reply.hang) {
      logEvent({ event: 'hanging', requestIndex, afterChunks: sent });
      await untilCancelled(token);
      cancelled(sent);
    }
    logEvent({ event: 'reply', requestIndex, text: chunks.join(''), chunks: sent });
  },

  provideTokenCount(_model, text, _token) {
    return Math.ceil(messageText(text).length / 4);
  },
};

/** Logs each extension in the extensions dir when it becomes active (the driver waits on it). */
function watchActivation(context) {
  const extensionsDir = path.dirname(context.extensionPath);
  const ours = () => vscode.extensions.all.filter((ext) => path.dirname(ext.extensionPath) === extensionsDir);
  logEvent({ event: 'extensions', ids: ours().map((ext) => ext.id) });
  const seen = new Set();
  const check = () => {
    for (const ext of ours()) {
      if (ext.isActive && !seen.has(ext.id)) {
        seen.add(ext.id);
        logEvent({ event: 'extensionActivated', id: ext.id });
      }
    }
  };
  check();
  const timer = setInterval(check, 200);
  context.subscriptions.push({ dispose: () => clearInterval(timer) });
  context.subscriptions.push(vscode.extensions.onDidChange(check));
}

function activate(context) {
  config = readConfig(context);
  const modelEnabled = !config.disabled;
  if (modelEnabled) context.subscriptions.push(vscode.lm.registerLanguageModelChatProvider(VENDOR, provider));
  logEvent({
    event: 'activated',
    channel: config.channel,
    modelEnabled,
    script: config.script,
    pid: process.pid,
    vscodeVersion: vscode.version,
    workspaceTrusted: vscode.workspace.isTrusted,
    workspaceFolders: (vscode.workspace.workspaceFolders || []).map((f) => f.uri.fsPath),
  });
  watchActivation(context);
  // The active editor's document, so that the driver can tell that a file really opened.
  const logEditor = (editor) =>
    logEvent({ event: 'activeEditor', path: editor ? editor.document.uri.fsPath : null, uri: editor ? editor.document.uri.toString() : null });
  logEditor(vscode.window.activeTextEditor);
  context.subscriptions.push(vscode.window.onDidChangeActiveTextEditor(logEditor));
}

function deactivate() {}

module.exports = { activate, deactivate };
