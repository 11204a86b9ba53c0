/**
 * The rg binary the CLI hands to the repo: the one bundled with the optional dependency
 * @vscode/ripgrep-universal for this platform, or null when the package is not installed
 * (or its binary is missing or not executable), in which case grep runs in JavaScript
 * with the same results. The core never looks for a binary; the editor passes its own.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const RIPGREP_PACKAGE = '@vscode/ripgrep-universal';

/** Resolves a module specifier to a file, like `require.resolve`; throws when it cannot. */
export type ModuleResolver = (specifier: string) => string;

let cached: string | null | undefined;

/**
 * The bundled rg binary, or null. The package is ESM-only, so its `rgPath` export is not
 * used; the binary's path is computed from where the package resolves. That happens at
 * run time (the specifier is not a literal esbuild would try to bundle), from the
 * bundle's node_modules when running from dist/. `resolve` is for tests; the default
 * resolver's answer is remembered.
 */
export function findRipgrep(resolve?: ModuleResolver): string | null {
  if (resolve === undefined && cached !== undefined) return cached;
  const packageDir = resolvePackageDir(resolve ?? ((specifier) => require.resolve(specifier)));
  let found: string | null = null;
  if (packageDir !== null) {
    const exe = process.platform === 'win32' ? 'rg.exe' : 'rg';
    const candidate = path.join(packageDir, 'bin', `${process.platform}-${process.arch}`, exe);
    if (isExecutableFile(candidate)) found = candidate;
  }
  if (resolve === undefined) cached = found;
  return found;
}

function resolvePackageDir(resolve: ModuleResolver): string | null {
  const specifier = RIPGREP_PACKAGE;
  try {
    return path.dirname(resolve(`${specifier}/package.json`));
  } catch {
    // Its "exports" map does not expose package.json; resolve the entry point instead
    // (lib/index.js) and go up to the package directory.
  }
  try {
    return path.dirname(path.dirname(resolve(specifier)));
  } catch {
    return null;
  }
}

function isExecutableFile(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) return false;
    fs.accessSync(file, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
