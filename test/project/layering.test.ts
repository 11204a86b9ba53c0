/**
 * Project rules that keep the layers honest: src/core never imports the editor, and the
 * README documents the sandbox API exactly as the definition renders it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { updateReadme } from '../../scripts/generate-api-docs';

const root = path.join(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) return sourceFiles(full);
    return /\.(ts|js|mjs|cjs)$/.test(name) ? [full] : [];
  });
}

const IMPORTS_VSCODE = /(?:from\s+|require\s*\(\s*|import\s*\(\s*|import\s+)['"]vscode['"]/;

test('the import check recognises every way of importing vscode', () => {
  for (const line of ["import * as vscode from 'vscode';", 'const v = require("vscode")', "import 'vscode';", "import type { X } from 'vscode'"]) {
    assert.match(line, IMPORTS_VSCODE, line);
  }
  assert.doesNotMatch("import { x } from './vscode-like';", IMPORTS_VSCODE);
});

test('nothing under src/core imports vscode', () => {
  const files = sourceFiles(path.join(root, 'src', 'core'));
  assert.ok(files.length > 10, 'the core sources were found');
  const offenders = files.filter((f) => IMPORTS_VSCODE.test(readFileSync(f, 'utf8'))).map((f) => path.relative(root, f));
  assert.deepEqual(offenders, [], `src/core must stay editor-free; move these to src/vscode: ${offenders.join(', ')}`);
});

test('the README sandbox API section is generated from the API definition', () => {
  const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
  assert.equal(updateReadme(readme), readme, 'README.md is stale: run `npm run docs`');
});
