// Throwaway probe extension for the e2e harness (test only): a chat participant @e2eprobe
// that forwards the prompt to request.model, a command "Probe: Open Doc", and a code lens
// "Probe lens: open webview" on TypeScript files that opens a webview panel.
'use strict';

const vscode = require('vscode');

async function handler(request, _context, stream, token) {
  stream.progress('Asking the model…');
  const messages = [vscode.LanguageModelChatMessage.User(request.prompt)];
  const response = await request.model.sendRequest(messages, {}, token);
  for await (const chunk of response.text) {
    if (token.isCancellationRequested) break;
    stream.markdown(chunk);
  }
  if (!token.isCancellationRequested) {
    const tokens = await request.model.countTokens(request.prompt, token);
    stream.markdown(` _(prompt: ${tokens} tokens)_`);
  }
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  if (folder && !token.isCancellationRequested) {
    const files = await vscode.workspace.findFiles('**/*.ts', '**/node_modules/**', 1);
    if (files.length > 0) {
      stream.markdown('\n\nSee ');
      stream.anchor(new vscode.Location(files[0], new vscode.Range(0, 0, 0, 0)), vscode.workspace.asRelativePath(files[0]));
      stream.markdown('.');
    }
  }
  return { metadata: { model: request.model.id } };
}

function activate(context) {
  const participant = vscode.chat.createChatParticipant('rlm-e2e.probe', handler);
  context.subscriptions.push(participant);
  context.subscriptions.push(
    vscode.commands.registerCommand('rlmE2eProbe.openDoc', async () => {
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: '# Probe document\n\nOpened by the e2e probe.\n' });
      await vscode.window.showTextDocument(doc);
    }),
    vscode.commands.registerCommand('rlmE2eProbe.openWebview', () => {
      const panel = vscode.window.createWebviewPanel('rlmE2eProbe.webview', 'Probe Webview', vscode.ViewColumn.Beside, {});
      panel.webview.html = '<!DOCTYPE html><html><body><h1 id="probe-heading">Hello from the probe webview</h1></body></html>';
      vscode.window.showInformationMessage('Probe webview opened');
    }),
    vscode.languages.registerCodeLensProvider(
      { language: 'typescript' },
      {
        provideCodeLenses() {
          return [new vscode.CodeLens(new vscode.Range(0, 0, 0, 0), { title: 'Probe lens: open webview', command: 'rlmE2eProbe.openWebview' })];
        },
      },
    ),
  );
}

function deactivate() {}

module.exports = { activate, deactivate };
