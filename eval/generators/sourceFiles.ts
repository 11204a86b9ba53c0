/**
 * The files a generator works from: the repository's text files as `WorkspaceRepo` lists
 * them (.gitignore honoured, .git and node_modules excluded), so generated truths are
 * about exactly the files the modes under test can see.
 */
import * as path from 'node:path';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';

/** Bad generator input; the message says what to change. */
export class GeneratorError extends Error {
  override readonly name = 'GeneratorError';
}

export interface TextFile {
  path: string;
  bytes: number;
}

export async function listTextFiles(root: string, useGitignore = true): Promise<{ repo: WorkspaceRepo; files: TextFile[] }> {
  const repo = new WorkspaceRepo(root, { useGitignore });
  const out: TextFile[] = [];
  for (const file of await repo.files()) {
    const info = await repo.info(file);
    if (!info.binary) out.push({ path: file, bytes: info.bytes });
  }
  return { repo, files: out };
}

export type SourceLanguage = 'ts' | 'py';

const TS_EXTENSIONS = new Set(['.ts', '.tsx', '.mts', '.cts', '.js', '.jsx', '.mjs', '.cjs']);

export function isTsJsSource(file: string): boolean {
  return TS_EXTENSIONS.has(path.posix.extname(file).toLowerCase()) && !/\.d\.[mc]?ts$/i.test(file);
}

export function isPythonSource(file: string): boolean {
  return path.posix.extname(file).toLowerCase() === '.py';
}

export function isSource(file: string, language: SourceLanguage): boolean {
  return language === 'ts' ? isTsJsSource(file) : isPythonSource(file);
}

/** The supported language with the most files, or null when there are none. */
export function mainLanguage(files: readonly string[]): SourceLanguage | null {
  const ts = files.filter(isTsJsSource).length;
  const py = files.filter(isPythonSource).length;
  if (ts === 0 && py === 0) return null;
  return ts >= py ? 'ts' : 'py';
}

export const LANGUAGE_NAMES: Record<SourceLanguage, string> = {
  ts: 'TypeScript/JavaScript (.ts, .tsx, .mts, .cts, .js, .jsx, .mjs, .cjs; not .d.ts)',
  py: 'Python (.py)',
};

/** The directory of a file as a question names it: "src/util", or "." for the root. */
export function dirOf(file: string): string {
  const dir = path.posix.dirname(file);
  return dir === '' ? '.' : dir;
}

/** The first path segment of a file's directory, or "." for files at the root. */
export function topDirOf(file: string): string {
  const i = file.indexOf('/');
  return i === -1 ? '.' : file.slice(0, i);
}
