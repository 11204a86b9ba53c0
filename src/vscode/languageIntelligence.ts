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

  /** A position to ask about: the one given, or where the workspace's symbol of that name is. */
  const positionsOf = async (target: CodePosition | { name: string }): Promise<Array<{ uri: vscode.Uri; position: vscode.Position }>> => {
    if (!('name' in target)) return [{ uri: uriOf(target.path), position: new vscode.Position(target.line - 1, Math.max(0, target.column - 1)) }];
    const found = (await vscode.commands.executeCommand<vscode.SymbolInformation[] | undefined>('vscode.executeWorkspaceSymbolProvider', target.name)) ?? [];
    const exact = found.filter((s) => s.name === target.name || s.name.endsWith(`.${target.name}`));
    return exact.slice(0, 20).map((s) => ({ uri: s.location.uri, position: s.location.range.start }));
  };

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
    async definitions(target) {
      if ('name' in target) {
        const found = (await vscode.commands.executeCommand<vscode.SymbolInformation[] | undefined>('vscode.executeWorkspaceSymbolProvider', target.name)) ?? null;
        if (found === null) return null;
        return found.filter((s) => s.name === target.name || s.name.endsWith(`.${target.name}`)).map((s) => location(s.location.uri, s.location.range));
      }
      const [at] = await positionsOf(target);
      const result = await vscode.commands.executeCommand<Array<vscode.Location | vscode.LocationLink> | undefined>('vscode.executeDefinitionProvider', at!.uri, at!.position);
      return result === undefined ? null : toLocations(result);
    },
    async references(target) {
      const positions = await positionsOf(target);
      if (positions.length === 0) return 'name' in target ? null : [];
      const seen = new Set<string>();
      const out: CodeLocation[] = [];
      let answered = false;
      for (const at of positions) {
        const result = await vscode.commands.executeCommand<vscode.Location[] | undefined>('vscode.executeReferenceProvider', at.uri, at.position);
        if (result === undefined) continue;
        answered = true;
        for (const loc of toLocations(result)) {
          const key = `${loc.path ?? loc.outside}:${loc.line}:${loc.column}`;
          if (!seen.has(key)) {
            seen.add(key);
            out.push(loc);
          }
        }
      }
      return answered ? out : null;
    },
  };
}
