/**
 * The workspace as the core's `repo`, with the editor's conventions: every folder of a
 * multi-root workspace (paths prefixed by folder name), `files.exclude` and `search.exclude`
 * honoured like the Explorer and Search do, `.gitignore` as in the CLI, VS Code's own
 * ripgrep, and the text of open, modified documents instead of what is on disk.
 *
 * A new repo is built for every question, so each sees the workspace as it is then.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_EXCLUDE, DiskSource } from '../core/repo/diskSource';
import { workspaceOf } from '../core/repo/multiRoot';
import { OverlaySource, type UnsavedTexts } from '../core/repo/overlay';
import type { WorkspaceSource } from '../core/repo/source';
import type { Repo } from '../core/repo/types';
import { WorkspaceRepo } from '../core/repo/workspaceRepo';
import type { RlmSettings } from './settings';

/** Maps between the repo's paths and the editor's URIs, for one built workspace. */
export interface WorkspacePaths {
  /** The URI of a repo path, or undefined when it names no folder of the workspace. */
  toUri(repoPath: string): vscode.Uri | undefined;
  /** The repo path of a URI, or undefined when it is outside every folder. */
  toRepoPath(uri: vscode.Uri): string | undefined;
}

export interface EditorWorkspace {
  repo: Repo;
  paths: WorkspacePaths;
  /** VS Code's rg binary the repo greps with, or null for the JavaScript grep. */
  ripgrep: string | null;
  /** Folders that could not be included (not on disk), with why. */
  skipped: string[];
}

export class NoFolderError extends Error {
  override readonly name = 'NoFolderError';
}

/**
 * Builds the repo over the given folders (default: all of the workspace's). Throws
 * `NoFolderError` when no folder on disk is open.
 */
export function buildWorkspace(settings: RlmSettings, folders = vscode.workspace.workspaceFolders ?? []): EditorWorkspace {
  const onDisk = folders.filter((f) => f.uri.scheme === 'file');
  const skipped = folders.filter((f) => f.uri.scheme !== 'file').map((f) => `${f.name} (${f.uri.scheme}: folders are not on this machine's disk)`);
  if (onDisk.length === 0) {
    throw new NoFolderError(skipped.length ? `RLM reads folders on disk; ${skipped.join(', ')}.` : 'No folder is open. Open a folder or workspace to ask about it.');
  }
  const rg = findEditorRipgrep();
  const sources = onDisk.map(
    (folder) =>
      new DiskSource(folder.uri.fsPath, {
        name: folder.name,
        exclude: excludesFor(folder, settings),
        useGitignore: settings.exclude.useGitignore,
        ripgrepPath: rg,
      }),
  );
  const disk = workspaceOf(sources);
  const paths = pathsOf(disk);
  const source: WorkspaceSource = new OverlaySource(disk, unsavedTexts(paths));
  const name = vscode.workspace.name?.replace(/ \(Workspace\)$/, '') ?? onDisk[0]!.name;
  return { repo: new WorkspaceRepo(source, { name }), paths, skipped, ripgrep: rg };
}

/** The excludes of one folder: the core's defaults, the editor's (files/search.exclude) and RLM's own. */
export function excludesFor(folder: vscode.WorkspaceFolder, settings: RlmSettings): string[] {
  const globs = new Set<string>(DEFAULT_EXCLUDE);
  if (settings.exclude.useEditorExcludes) {
    for (const section of ['files', 'search']) {
      const value = vscode.workspace.getConfiguration(section, folder.uri).get<Record<string, unknown>>('exclude') ?? {};
      for (const glob of editorExcludeGlobs(value)) globs.add(glob);
    }
  }
  for (const g of settings.exclude.globs) globs.add(g);
  return [...globs];
}

/**
 * `files.exclude`-style settings as globs for the walker: only entries set to `true` (the
 * `{when: ...}` form depends on sibling files and is skipped), each as the entry itself and
 * everything below it, since the editor's `**\/node_modules` means the folder and its content.
 */
export function editorExcludeGlobs(setting: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const [glob, on] of Object.entries(setting)) {
    if (on !== true) continue;
    const g = glob.replace(/^\.\//, '').replace(/\/+$/, '');
    if (!g || g.startsWith('/') || g.split('/').includes('..')) continue;
    out.push(g, g.endsWith('/**') ? g : `${g}/**`);
  }
  return out;
}

function pathsOf(source: WorkspaceSource): WorkspacePaths {
  const folders = source.folders;
  const multi = folders.length > 1;
  return {
    toUri(repoPath) {
      const parts = repoPath.split('/');
      const folder = multi ? folders.find((f) => f.name === parts[0]) : folders[0];
      if (!folder) return undefined;
      const rest = multi ? parts.slice(1) : parts;
      return vscode.Uri.file(path.join(folder.root, ...rest));
    },
    toRepoPath(uri) {
      if (uri.scheme !== 'file' && uri.scheme !== 'untitled') return undefined;
      const file = uri.fsPath;
      for (const folder of folders) {
        const rel = path.relative(folder.root, file);
        if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) continue;
        const posix = rel.split(path.sep).join('/');
        return multi ? `${folder.name}/${posix}` : posix;
      }
      return undefined;
    },
  };
}

/** The text of open documents with unsaved changes, looked up live by repo path. */
function unsavedTexts(paths: WorkspacePaths): UnsavedTexts {
  const dirty = () => {
    const byPath = new Map<string, vscode.TextDocument>();
    for (const doc of vscode.workspace.textDocuments) {
      if (!doc.isDirty || doc.uri.scheme !== 'file') continue;
      const p = paths.toRepoPath(doc.uri);
      if (p !== undefined) byPath.set(p, doc);
    }
    return byPath;
  };
  return {
    get: (p) => dirty().get(p)?.getText(),
    keys: () => dirty().keys(),
  };
}

/**
 * VS Code's own ripgrep, so the extension ships none. Its place under the app root has moved
 * between releases (and differs in code-server), so the known places are tried in turn; none
 * found means the core's JavaScript grep, which gives the same results, slower.
 */
export function findEditorRipgrep(appRoot = vscode.env.appRoot): string | null {
  const exe = process.platform === 'win32' ? 'rg.exe' : 'rg';
  const arch = `${process.platform}-${process.arch}`;
  const candidates = [
    ['node_modules', '@vscode', 'ripgrep', 'bin', exe],
    ['node_modules.asar.unpacked', '@vscode', 'ripgrep', 'bin', exe],
    ['node_modules', '@vscode', 'ripgrep-universal', 'bin', arch, exe],
    ['node_modules.asar.unpacked', '@vscode', 'ripgrep-universal', 'bin', arch, exe],
    ['node_modules', 'vscode-ripgrep', 'bin', exe],
    ['node_modules.asar.unpacked', 'vscode-ripgrep', 'bin', exe],
  ].map((parts) => path.join(appRoot, ...parts));
  for (const candidate of candidates) {
    try {
      if (fs.statSync(candidate).isFile()) {
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return null;
}
