/**
 * The commands: RLM: Summarize Folder (palette and Explorer), RLM: Ask About Workspace,
 * RLM: Set/Clear OpenAI API Key, RLM: Stop All Runs, and the Explain command behind the
 * code lenses. Work outside the chat panel runs under a cancellable progress notification
 * and opens its answer as a Markdown document.
 */
import * as vscode from 'vscode';
import { answerDocument, openMarkdown } from './answerView';
import { adviseOn, untrustedAdvice, type Advice } from './errorAdvice';
import { OPENAI_KEY_SECRET } from './models';
import { explainQuestion, summarizeQuestion, type ExplainTarget } from './questions';
import { UntrustedWorkspaceError, type Outcome, type Runner } from './runner';
import type { RunOrigin, Runs } from './runs';

export interface CommandServices {
  runner: Runner;
  runs: Runs;
  secrets: vscode.SecretStorage;
  log: vscode.LogOutputChannel;
}

export function registerCommands(s: CommandServices): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('rlm.summarizeFolder', (uri?: vscode.Uri) => summarizeFolder(s, uri)),
    vscode.commands.registerCommand('rlm.askWorkspace', () => askWorkspace(s)),
    vscode.commands.registerCommand('rlm.setOpenAIKey', () => setKey(s)),
    vscode.commands.registerCommand('rlm.clearOpenAIKey', async () => {
      await s.secrets.delete(OPENAI_KEY_SECRET);
      void vscode.window.showInformationMessage('RLM: the OpenAI API key was removed from this machine\'s secret storage.');
    }),
    vscode.commands.registerCommand('rlm.cancelRuns', () => s.runs.cancelAll()),
    vscode.commands.registerCommand('rlm.showLog', () => s.log.show()),
    vscode.commands.registerCommand('rlm.explainSymbol', (target: ExplainTarget) => explainSymbol(s, target)),
  ];
}

async function summarizeFolder(s: CommandServices, uri?: vscode.Uri): Promise<void> {
  let paths;
  try {
    paths = s.runner.currentPaths();
  } catch (error) {
    return showAdvice(adviseOn(error));
  }
  let folder: string | null;
  if (uri) {
    const p = paths.toRepoPath(uri);
    if (p === undefined) return void vscode.window.showWarningMessage('RLM: that folder is not part of the workspace.');
    folder = p === '' ? null : p;
  } else {
    const picked = await pickFolder();
    if (picked === undefined) return;
    folder = picked === null ? null : (paths.toRepoPath(picked) ?? null);
  }
  const title = folder ? `Summary of ${folder}` : `Summary of ${vscode.workspace.name ?? 'the workspace'}`;
  await runToDocument(s, title, summarizeQuestion(folder), 'command', folder ? [folder] : undefined);
}

/** A quick pick of the workspace's folders and their top-level subfolders; null = the whole workspace. */
async function pickFolder(): Promise<vscode.Uri | null | undefined> {
  const roots = vscode.workspace.workspaceFolders ?? [];
  const items: Array<vscode.QuickPickItem & { uri: vscode.Uri | null }> = [{ label: '$(root-folder) Whole workspace', uri: null }];
  for (const root of roots) {
    items.push({ label: `$(folder) ${root.name}`, description: roots.length > 1 ? 'workspace folder' : '', uri: root.uri });
    try {
      const entries = await vscode.workspace.fs.readDirectory(root.uri);
      for (const [name, type] of entries.sort((a, b) => a[0].localeCompare(b[0]))) {
        if (type === vscode.FileType.Directory && !name.startsWith('.') && name !== 'node_modules') {
          items.push({ label: `$(folder) ${roots.length > 1 ? `${root.name}/` : ''}${name}`, uri: vscode.Uri.joinPath(root.uri, name) });
        }
      }
    } catch {
      // unreadable folder: offer the root only
    }
  }
  const picked = await vscode.window.showQuickPick(items, { title: 'RLM: Summarize Folder', placeHolder: 'Which folder?' });
  return picked === undefined ? undefined : picked.uri;
}

async function askWorkspace(s: CommandServices): Promise<void> {
  const query = await vscode.window.showInputBox({
    title: 'RLM: Ask About Workspace',
    prompt: 'A question about the whole workspace; the answer opens as a document with links to the files it read.',
    placeHolder: 'Where is the configuration loaded, and which modules read it?',
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim() ? null : 'Type a question.'),
  });
  if (!query?.trim()) return;
  await runToDocument(s, query.trim(), query.trim(), 'command');
}

async function explainSymbol(s: CommandServices, target: ExplainTarget): Promise<void> {
  if (!target?.path) return;
  // In the chat panel when there is one, so the explanation can be followed up.
  const where = `${target.path}${target.startLine ? `:${target.startLine}${target.endLine && target.endLine !== target.startLine ? `-${target.endLine}` : ''}` : ''}`;
  try {
    const symbol = target.symbol ? ` ${target.symbol}${target.kind ? ` (${target.kind.toLowerCase()})` : ''}` : '';
    await vscode.commands.executeCommand('workbench.action.chat.open', { query: `@rlm /explain ${where}${symbol}` });
    return;
  } catch (error) {
    s.log.info(`Chat panel unavailable for Explain (${error instanceof Error ? error.message : String(error)}); opening a document instead.`);
  }
  await runToDocument(s, `Explanation of ${target.symbol ?? target.path}`, explainQuestion(target), 'code lens');
}

async function setKey(s: CommandServices): Promise<void> {
  const key = await vscode.window.showInputBox({
    title: 'RLM: Set OpenAI API Key',
    prompt: 'Stored in VS Code\'s secret storage on this machine, never in settings. Used when rlm.provider is "openai".',
    password: true,
    ignoreFocusOut: true,
    validateInput: (v) => (v.trim().length >= 8 ? null : 'That does not look like an API key.'),
  });
  if (!key) return;
  await s.secrets.store(OPENAI_KEY_SECRET, key.trim());
  const provider = vscode.workspace.getConfiguration('rlm').get<string>('provider');
  const choice = await vscode.window.showInformationMessage(
    `RLM: the OpenAI API key is stored.${provider === 'openai' ? '' : ' RLM uses it when rlm.provider is "openai".'}`,
    ...(provider === 'openai' ? [] : ['Use OpenAI']),
  );
  if (choice === 'Use OpenAI') await vscode.workspace.getConfiguration('rlm').update('provider', 'openai', vscode.ConfigurationTarget.Global);
}

/** Runs a question under a progress notification and opens the answer as a document. */
export async function runToDocument(s: CommandServices, title: string, query: string, origin: RunOrigin, scope?: string[]): Promise<Outcome | undefined> {
  try {
    await s.runner.check(origin);
  } catch (error) {
    showAdvice(error instanceof UntrustedWorkspaceError ? untrustedAdvice() : adviseOn(error));
    return undefined;
  }
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `RLM: ${title.length > 60 ? `${title.slice(0, 60)}…` : title}`, cancellable: true },
    async (progress, token) => {
      try {
        return await s.runner.ask({ query, label: title, origin, token, ...(scope ? { scope } : {}), onProgress: (line) => progress.report({ message: line }) });
      } catch (error) {
        showAdvice(error instanceof UntrustedWorkspaceError ? untrustedAdvice() : adviseOn(error));
        return undefined;
      }
    },
  );
  if (!outcome) return undefined;
  if (outcome.failure) showAdvice(adviseOn(outcome.failure));
  if (outcome.result.answer.trim()) await openMarkdown(answerDocument(title, outcome.result, outcome.paths));
  return outcome;
}

function showAdvice(advice: Advice): void {
  void vscode.window.showErrorMessage(`RLM: ${advice.message}`, ...advice.actions.map((a) => a.title)).then((picked) => {
    const action = advice.actions.find((a) => a.title === picked);
    if (action) void vscode.commands.executeCommand(action.command, ...(action.arguments ?? []));
  });
}
