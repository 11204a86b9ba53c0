/**
 * Project rules that keep the layers honest: src/core (the engine an editor embeds) imports
 * neither the command line (src/cli), the evaluation harness (eval/) nor the editor
 * (vscode); the harness does not import the command line; and the README documents the
 * sandbox API exactly as the definition renders it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { updateReadme } from '../../scripts/generate-api-docs';
import { ROOT, importSpecifiers, resolveSpecifier, sourceFiles } from '../support/imports';

const CORE = path.join(ROOT, 'src', 'core');
const CLI = path.join(ROOT, 'src', 'cli');
const EVAL = path.join(ROOT, 'eval');

interface Rule {
  /** The files the rule is about. */
  from: string;
  /** What they may not import: a project folder, or a package name. */
  forbidden: Array<{ folder: string } | { pkg: string }>;
  why: string;
}

const RULES: Rule[] = [
  { from: CORE, forbidden: [{ folder: CLI }, { folder: EVAL }, { pkg: 'vscode' }], why: 'src/core is the engine without a front end: it must not reach into the CLI, the evaluation harness or the editor' },
  { from: EVAL, forbidden: [{ folder: CLI }], why: 'the evaluation harness is a library the CLI calls, not the other way round' },
];

const inside = (file: string, folder: string) => file === folder || file.startsWith(folder + path.sep);

/** The forbidden imports of one file's text under the rule for `file`, as "specifier" strings. */
function violations(file: string, text: string): string[] {
  const rule = RULES.find((r) => inside(file, r.from));
  if (!rule) return [];
  return importSpecifiers(text).filter((specifier) => {
    const target = resolveSpecifier(file, specifier);
    return rule.forbidden.some((f) =>
      'folder' in f ? target !== null && inside(target, f.folder) : specifier === f.pkg || specifier.startsWith(`${f.pkg}/`),
    );
  });
}

test('the import check recognises every form of import, resolved to the real path', () => {
  const coreFile = path.join(CORE, 'engine', 'rlm.ts');
  const evalFile = path.join(EVAL, 'generators', 'pairs.ts');
  const forms = (spec: string) => [
    `import * as x from '${spec}';`,
    `import type { X } from "${spec}";`,
    `import '${spec}';`,
    `import {\n  a,\n  b,\n} from '${spec}';`,
    `export { y } from '${spec}';`,
    `export * from '${spec}';`,
    `export type { Z } from '${spec}';`,
    `const r = require('${spec}');`,
    `const m = await import('${spec}');`,
    `import q = require('${spec}');`,
    `let t: import('${spec}').T;`,
  ];
  for (const [file, spec] of [
    [coreFile, 'vscode'],
    [coreFile, '../../cli/run'],
    [coreFile, '../../cli/run.js'],
    [coreFile, './../../cli'], // a folder: named by its path even without an index file
    [coreFile, '../../../eval/runner'],
    [coreFile, `${ROOT}/eval/types`],
    [evalFile, '../../src/cli/options'],
  ] as const) {
    for (const line of forms(spec)) assert.deepEqual(violations(file, line), [spec], `${path.relative(ROOT, file)}: ${line}`);
  }
  // Comments, strings and look-alike names are not imports of those layers.
  for (const text of [
    "// import { runCli } from '../../cli/run';",
    "/* require('vscode') */",
    'const s = "import x from \'../../cli/run\'";',
    "import { x } from './vscode-like';",
    "import { y } from '../../cli-helpers';",
    "import { z } from '../limits';",
  ]) {
    assert.deepEqual(violations(coreFile, text), [], text);
  }
  assert.deepEqual(violations(path.join(CLI, 'run.ts'), "import { runEval } from '../../eval/runner';"), [], 'the CLI may use the harness');
});

test('src/core imports neither src/cli, eval/ nor vscode; eval/ does not import src/cli', () => {
  for (const rule of RULES) {
    const files = sourceFiles(rule.from);
    assert.ok(files.length >= 10, `the sources under ${path.relative(ROOT, rule.from)} were found`);
    const offenders = files.flatMap((f) => violations(f, readFileSync(f, 'utf8')).map((s) => `${path.relative(ROOT, f)} imports ${s}`));
    assert.deepEqual(offenders, [], `${rule.why}:\n${offenders.join('\n')}`);
  }
});

test('the README sandbox API section is generated from the API definition', () => {
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  assert.equal(updateReadme(readme), readme, 'README.md is stale: run `npm run docs`');
});
