/**
 * RLM for VS Code: every contribution is registered here, so what the extension does reads
 * in one file. Activation only reads settings and registers; nothing touches the workspace
 * or starts a sandbox until the user asks something.
 *
 * - the chat participant `@rlm` (participant.ts), with /summarize, /explain, /trace
 * - commands: Summarize Folder, Ask About Workspace, Set/Clear OpenAI API Key, Stop All Runs (commands.ts)
 * - RLM: Show Trace, a webview of recent runs (traceView.ts)
 * - "Explain" code lenses for the configured languages (codeLens.ts)
 * - the `rlm_askCodebase` tool for agent mode (tool.ts)
 * - a status bar item while runs go (statusBar.ts)
 * - the "RLM" log (a LogOutputChannel: questions, models, limits hit, usage; never secrets)
 */
import * as vscode from 'vscode';
import { registerCodeLens } from './codeLens';
import { registerCommands } from './commands';
import { Models } from './models';
import { registerParticipant } from './participant';
import { Runner } from './runner';
import { Runs } from './runs';
import { registerStatusBar } from './statusBar';
import { registerTool } from './tool';
import { TraceView } from './traceView';

export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('RLM', { log: true });
  const runs = new Runs();
  const models = new Models(context.secrets);
  const runner = new Runner(models, runs, log);
  const traceView = new TraceView(context.extensionUri, runs);
  const paths = () => {
    try {
      return runner.currentPaths();
    } catch {
      return undefined;
    }
  };

  let codeLens = registerCodeLens(paths);
  context.subscriptions.push(
    log,
    runs,
    runner,
    traceView,
    registerParticipant(runner, log),
    ...registerCommands({ runner, runs, secrets: context.secrets, log }),
    vscode.commands.registerCommand('rlm.showTrace', (runId?: string) => traceView.show(typeof runId === 'string' ? runId : undefined)),
    registerStatusBar(runs),
    registerTool(runner),
    { dispose: () => codeLens.dispose() },
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('rlm.codeLens.languages')) {
        codeLens.dispose();
        codeLens = registerCodeLens(paths);
      }
      // New limits and models apply to the next question; a changed sandbox limit needs new sessions.
      if (e.affectsConfiguration('rlm.limits.cellTimeoutSeconds') || e.affectsConfiguration('rlm.exclude')) void runner.conversations.reset();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => log.info('Workspace trusted: RLM can run.')),
  );
  log.info(`RLM activated (VS Code ${vscode.version}).`);
}

export function deactivate(): void {
  // Disposables registered on the context end every session and sandbox.
}
