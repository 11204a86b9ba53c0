/**
 * "Explain" code lenses above functions, methods and classes, from the language's document
 * symbols, for the languages `rlm.codeLens.languages` lists. Nothing runs until one is
 * clicked; then the explanation (what it does, where it is used, what it calls across the
 * repository) appears in the chat panel, or in a document beside the editor when there is no
 * chat panel.
 */
import * as vscode from 'vscode';
import type { ExplainTarget } from './questions';
import { readSettings } from './settings';
import type { WorkspacePaths } from './editorWorkspace';

const EXPLAINED_KINDS = new Set([vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Class, vscode.SymbolKind.Constructor, vscode.SymbolKind.Interface]);
/** Lenses per document, at most: a generated file can have thousands of symbols. */
const MAX_LENSES = 300;

export class ExplainLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly paths: () => WorkspacePaths | undefined) {
    this.subscription = vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('rlm.codeLens')) this.changed.fire();
    });
  }

  async provideCodeLenses(document: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!readSettings(document.uri).codeLensLanguages.includes(document.languageId)) return [];
    const repoPath = this.paths()?.toRepoPath(document.uri);
    if (repoPath === undefined) return [];
    const symbols = await vscode.commands.executeCommand<Array<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined>('vscode.executeDocumentSymbolProvider', document.uri);
    if (!symbols || token.isCancellationRequested) return [];
    const lenses: vscode.CodeLens[] = [];
    const visit = (items: Array<vscode.DocumentSymbol | vscode.SymbolInformation>) => {
      for (const s of items) {
        if (lenses.length >= MAX_LENSES) return;
        const range = 'range' in s ? s.range : s.location.range;
        if (EXPLAINED_KINDS.has(s.kind)) {
          const target: ExplainTarget = { path: repoPath, symbol: s.name, kind: vscode.SymbolKind[s.kind], startLine: range.start.line + 1, endLine: range.end.line + 1 };
          lenses.push(new vscode.CodeLens(new vscode.Range(range.start, range.start), { title: 'Explain', tooltip: `RLM: explain ${s.name}, with where it is used across the workspace`, command: 'rlm.explainSymbol', arguments: [target] }));
        }
        if ('children' in s && s.children.length) visit(s.children);
      }
    };
    visit(symbols);
    return lenses;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** Registers the provider for the configured languages (activation reads settings only). */
export function registerCodeLens(paths: () => WorkspacePaths | undefined): vscode.Disposable {
  const provider = new ExplainLensProvider(paths);
  const languages = readSettings().codeLensLanguages;
  const registration = vscode.languages.registerCodeLensProvider(
    languages.map((language) => ({ language, scheme: 'file' })),
    provider,
  );
  return vscode.Disposable.from(registration, provider);
}
