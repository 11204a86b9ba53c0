/**
 * No import cycles among the project's sources (src/ and the eval/ harness the CLI uses).
 * Type-only imports count too: a circle of types still ties the modules together, and it is
 * one edit away from a runtime circle, where a module sees another half-initialised.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { ROOT, findCycles, importGraph, sourceFiles } from '../support/imports';

const show = (cycle: string[], root: string) => cycle.map((f) => path.relative(root, f)).join(' -> ');

test('the cycle check finds circles through any import form and passes a graph without one', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'rlm-cycles-'));
  try {
    const files: Record<string, string> = {
      'a.ts': "import { b } from './b';\nimport 'lodash';\n",
      'b.ts': "export type { C } from './sub/c.js';\n",
      'sub/c.ts': "const a = require('../a');\n",
      'sub/index.ts': "export const d = import('./d');\n",
      'sub/d.ts': "import type { I } from '.';\n// import './e';\n",
      'sub/e.ts': "import { a } from '../a';\n",
      'f.ts': "import './sub/e';\n",
    };
    for (const [name, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), text);
    }
    const graph = importGraph(sourceFiles(dir));
    assert.deepEqual(
      findCycles(graph).map((c) => show(c, dir)),
      ['a.ts -> b.ts -> sub/c.ts -> a.ts', 'sub/d.ts -> sub/index.ts -> sub/d.ts'],
      'import, export type ... from (a .js specifier naming .ts), require, dynamic import, a folder index; not comments',
    );
    // Cut both circles: what is left (f -> e -> a -> b -> c) has none.
    writeFileSync(path.join(dir, 'sub/c.ts'), 'export type C = 1;\n');
    writeFileSync(path.join(dir, 'sub/d.ts'), 'export const d = 1;\n');
    assert.deepEqual(findCycles(importGraph(sourceFiles(dir))), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('no module of src/ or eval/ imports itself through others', () => {
  const files = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'eval'))];
  const graph = importGraph(files);
  const edges = [...graph.values()].reduce((n, t) => n + t.length, 0);
  assert.ok(files.length > 40 && edges > 80, `the sources and their imports were found (${files.length} files, ${edges} imports)`);
  const cycles = findCycles(graph).map((c) => show(c, ROOT));
  assert.deepEqual(cycles, [], `import cycles (move what both sides need into a module of its own):\n${cycles.join('\n')}`);
});
