/**
 * `LanguageIntelligence` over VS Code's language features: document symbols, workspace
 * symbols, definitions and references, through the `vscode.execute*Provider` commands, so
 * whatever language servers the user has running answer.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorkspacePaths } from './editorWorkspace';
import type { CodeLocation, CodePosition, LanguageIntelligence, SymbolInfo } from './languageApi';

export function editorLanguageIntelligence(paths: WorkspacePaths): LanguageIntelligence {
  const uriOf = (p: string): vscode.Uri => {
    const uri = paths.toUri(p);
    if (!uri) throw new Error(`No folder of the workspace holds "${p}".`);
    return uri;
  };
  const location = (uri: vscode.Uri, range: vscode.Range): CodeLocation => {
    const repoPath = paths.toRepoPath(uri) ?? null;
    return {
      path: repoPath,
      ...(repoPath === null ? { outside: path.basename(uri.path) } : {}),
      line: range.start.line + 1,
      column: range.start.character + 1,
      endLine: range.end.line + 1,
    };
  };
  const toLocations = (items: Array<vscode.Location | vscode.LocationLink> | undefined): CodeLocation[] =>
    (items ?? []).map((l) => ('targetUri' in l ? location(l.targetUri, l.targetSelectionRange ?? l.targetRange) : location(l.uri, l.range)));

  const positionOf = (at: CodePosition) => ({ uri: uriOf(at.path), position: new vscode.Position(at.line - 1, Math.max(0, at.column - 1)) });

  return {
    async symbols(p) {
      const result = await vscode.commands.executeCommand<Array<vscode.DocumentSymbol | vscode.SymbolInformation> | undefined>(
        'vscode.executeDocumentSymbolProvider',
        uriOf(p),
      );
      if (!result) return null;
      const out: SymbolInfo[] = [];
      const walk = (items: Array<vscode.DocumentSymbol | vscode.SymbolInformation>, container?: string) => {
        for (const s of items) {
          const range = 'range' in s ? s.range : s.location.range;
          out.push({ name: s.name, kind: vscode.SymbolKind[s.kind] ?? String(s.kind), line: range.start.line + 1, endLine: range.end.line + 1, ...(container ? { container } : {}) });
          if ('children' in s && s.children.length) walk(s.children, s.name);
        }
      };
      walk(result);
      return out.sort((a, b) => a.line - b.line);
    },
    async workspaceSymbols(name) {
      const found = await vscode.commands.executeCommand<vscode.SymbolInformation[] | undefined>('vscode.executeWorkspaceSymbolProvider', name);
      if (found === undefined) return null;
      return found.filter((s) => s.name === name || s.name.endsWith(`.${name}`)).map((s) => location(s.location.uri, s.location.range));
    },
    async definitions(at) {
      const { uri, position } = positionOf(at);
      const result = await vscode.commands.executeCommand<Array<vscode.Location | vscode.LocationLink> | undefined>('vscode.executeDefinitionProvider', uri, position);
      return result === undefined ? null : toLocations(result);
    },
    async references(at) {
      const { uri, position } = positionOf(at);
      const result = await vscode.commands.executeCommand<vscode.Location[] | undefined>('vscode.executeReferenceProvider', uri, position);
      return result === undefined ? null : toLocations(result);
    },
  };
}
