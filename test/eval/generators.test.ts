/**
 * The generators: the same seed gives the same set; the needle generator plants its fact
 * in a copy and never writes to the repository; the aggregate and pairs truths, computed
 * with the TypeScript compiler API (and a lexical scan for Python), are right on small
 * repositories whose answers are known.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { functionFacts, generateAggregate } from '../../eval/generators/aggregate';
import { generateNeedle } from '../../eval/generators/needle';
import { generatePairs, importGraph, mutualPairs } from '../../eval/generators/pairs';
import { logicalLines, publicFunctions } from '../../eval/generators/pyFacts';
import { MissingTypeScriptError, loadTypeScript, requireTypeScript } from '../../eval/generators/tsFacts';
import { serialiseQuestion } from '../../eval/questionSet';
import { makeTempRepo, type TempRepo } from '../support/tempRepo';

let work: string;
before(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'rlm-gen-'));
});
after(() => rm(work, { recursive: true, force: true }));

async function tree(root: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (dir: string): Promise<void> => {
    for (const e of await readdir(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else out[path.relative(root, full).split(path.sep).join('/')] = await readFile(full, 'utf8');
    }
  };
  await walk(root);
  return out;
}

const TS_REPO: Record<string, string> = {
  'src/math.ts': [
    '/** Adds. */',
    'export function add(a: number, b: number) { return a + b; }',
    '',
    'export function sub(a: number, b: number) { return a - b; }',
    '',
    '/** Overloaded parse. */',
    'export function parse(x: string): number;',
    'export function parse(x: number): number;',
    'export function parse(x: any): number { return Number(x); }',
    '',
    'export declare function ambient(): void;',
    '',
    '/** Not directly above. */',
    '',
    'export function gap() {}',
    '',
    '/* a plain block comment */',
    'export function plain() {}',
    '',
    '// a line comment',
    'export function lined() {}',
    '',
    '/**',
    ' * Doubles.',
    ' */',
    'export const arrow = (n: number) => n * 2;',
    '',
    'export const fnExpr = function () {};',
    'export const notFn = 42;',
    'function internal() {}',
    'export { internal };',
    'export default function () {}',
    '',
  ].join('\n'),
  'src/util/strings.js': ['/** Upper. */', 'export function upper(s) { return s.toUpperCase(); }', 'export async function fetchIt() {}', 'export const lower = async (s) => s.toLowerCase();', ''].join('\n'),
  'src/types.d.ts': 'export declare function x(): void;\nexport function y(): void;\n',
  'lib/index.mjs': '/** Doc. */\n// eslint-disable-next-line\nexport function mixed() {}\n',
  'build/out.js': 'export function ghost() {}\n',
  '.gitignore': 'build/\n',
  'README.md': 'A small library.\n',
};

describe('aggregate truth (TypeScript compiler API)', () => {
  let repo: TempRepo;
  before(() => {
    repo = makeTempRepo(TS_REPO);
  });
  after(() => repo.cleanup());

  test('finds exported functions and their doc comments as defined in the question', async () => {
    const facts = await functionFacts(repo.root, 'ts');
    assert.deepEqual(
      facts.map((f) => `${f.file}:${f.line} ${f.name}${f.documented ? ' (doc)' : ''}`),
      [
        'lib/index.mjs:3 mixed',
        'src/math.ts:2 add (doc)',
        'src/math.ts:4 sub',
        'src/math.ts:9 parse (doc)',
        'src/math.ts:15 gap',
        'src/math.ts:18 plain',
        'src/math.ts:21 lined',
        'src/math.ts:26 arrow (doc)',
        'src/math.ts:28 fnExpr',
        'src/math.ts:32 default',
        'src/util/strings.js:2 upper (doc)',
        'src/util/strings.js:3 fetchIt',
        'src/util/strings.js:4 lower',
      ],
    );
  });

  test('every question kind carries the truth computed from those facts', async () => {
    const { questions, language, functions } = await generateAggregate({ repo: repo.root, seed: 5, count: 4, tolerance: 0.2 });
    assert.equal(language, 'ts');
    assert.equal(functions, 13);
    const byKind = Object.fromEntries(questions.map((q) => [q.meta!.kind, q]));
    assert.deepEqual(byKind['undocumented-per-dir']!.expected, { lib: 1, src: 6, 'src/util': 2 });
    assert.equal(byKind['undocumented-total']!.expected, 9);
    assert.equal(byKind['documented-total']!.expected, 4);
    assert.deepEqual(byKind['functions-per-top-dir']!.expected, { lib: 1, src: 12 });
    assert.ok(questions.every((q) => q.check.type === 'number' && q.check.rel === 0.2 && q.repo === repo.root));
    assert.match(byKind['undocumented-total']!.question, /JSDoc block comment \(one starting with \/\*\*\) is the last comment before the declaration and ends on the line directly above it/);
  });

  test('the seed picks and orders the kinds; the same seed gives the same set', async () => {
    const a = await generateAggregate({ repo: repo.root, seed: 11 });
    const b = await generateAggregate({ repo: repo.root, seed: 11 });
    assert.equal(a.questions.length, 2);
    assert.deepEqual(a.questions.map((q) => serialiseQuestion(q, work)), b.questions.map((q) => serialiseQuestion(q, work)));
    const kinds = new Set<string>();
    for (let seed = 0; seed < 12; seed++) kinds.add(((await generateAggregate({ repo: repo.root, seed, count: 1 })).questions[0]!.meta!.kind as string));
    assert.ok(kinds.size > 1, 'different seeds choose different kinds');
  });

  test('a repository without source files is refused with a reason', async () => {
    const docs = makeTempRepo({ 'notes.md': 'hello\n' });
    try {
      await assert.rejects(generateAggregate({ repo: docs.root, seed: 1 }), /has no TypeScript\/JavaScript or Python source files/);
    } finally {
      await docs.cleanup();
    }
  });
});

describe('Python facts (lexical scan)', () => {
  const PY = [
    '"""Module doc.',
    'def fake(): this is inside the module docstring',
    '"""',
    'import os',
    '',
    'def documented(a,',
    '               b):',
    '    """Doc."""',
    '    return a',
    '',
    'async def adoc():',
    "    r'''raw doc'''",
    '',
    'def undocumented():',
    '    x = "not a docstring"',
    '',
    '@decorator',
    'def decorated():',
    '    # a comment first',
    '    """Still the docstring."""',
    '',
    'def _private():',
    '    """Doc."""',
    '',
    'def oneliner(): return 1',
    '',
    'def oneliner_doc(): "doc"',
    '',
    'class K:',
    '    def method(self):',
    '        pass',
    '',
    'def fstring():',
    '    f"""not a docstring"""',
    '',
  ].join('\n');

  test('public top-level functions and their docstrings', () => {
    assert.deepEqual(
      publicFunctions(PY).map((f) => `${f.line} ${f.name}${f.documented ? ' (doc)' : ''}`),
      ['6 documented (doc)', '11 adoc (doc)', '14 undocumented', '18 decorated (doc)', '25 oneliner', '27 oneliner_doc (doc)', '33 fstring'],
    );
  });

  test('logical lines join brackets and backslashes and neutralise strings and comments', () => {
    const lines = logicalLines('x = f(1,\n      "a#b")  # note\ny = 1 + \\\n    2\n');
    assert.deepEqual(lines, [
      { line: 1, indent: 0, code: 'x = f(1,       "")' },
      { line: 3, indent: 0, code: 'y = 1 +      2' },
    ]);
  });
});

describe('pairs truth', () => {
  test('TypeScript/JavaScript: relative imports resolved as TypeScript does, comments ignored', async () => {
    const repo = makeTempRepo({
      'src/a.ts': "import { b } from './b.js';\n",
      'src/b.ts': "import type { A } from './a';\n",
      'src/c/index.ts': "export * from '../d';\n",
      'src/d.ts': "const c = require('./c');\n",
      'src/e.ts': "// import { f } from './f';\nexport const e = 1;\n",
      'src/f.ts': "import './e';\n",
      'src/g.ts': "export async function g() { return import('./h'); }\n",
      'src/h.ts': "import { g } from './g';\nimport lodash from 'lodash';\n",
    });
    try {
      const graph = await importGraph(repo.root, 'ts');
      assert.deepEqual([...graph.get('src/f.ts')!], ['src/e.ts']);
      assert.deepEqual([...graph.get('src/e.ts')!], []);
      assert.deepEqual(mutualPairs(graph), ['src/a.ts <-> src/b.ts', 'src/c/index.ts <-> src/d.ts', 'src/g.ts <-> src/h.ts']);
      const { questions } = await generatePairs({ repo: repo.root, seed: 3, count: 2 });
      assert.deepEqual(questions[0]!.expected, ['src/a.ts <-> src/b.ts', 'src/c/index.ts <-> src/d.ts', 'src/g.ts <-> src/h.ts']);
      assert.deepEqual(questions[0]!.check, { type: 'set-f1', pairs: true });
      // The second question is scoped to a folder the seed picked; its truth is the pairs inside it.
      const scope = questions[1]!.meta!.scope as string;
      assert.ok(scope === 'src' || scope === 'src/c', scope);
      assert.deepEqual(questions[1]!.expected, scope === 'src' ? questions[0]!.expected : []);
      assert.doesNotMatch(questions[0]!.question, /import\(/, 'no text the sandbox refuses, should a model paste the question into code');
    } finally {
      await repo.cleanup();
    }
  });

  test('Python: relative, absolute and src-layout imports; strings and comments ignored', async () => {
    const repo = makeTempRepo({
      'pkg/__init__.py': 'from . import a\n',
      'pkg/a.py': 'from .b import thing\nimport os\n# from .e import z\n',
      'pkg/b.py': 'from pkg import a\n',
      'pkg/c.py': 'import pkg.d as d\n',
      'pkg/d.py': 'from .c import (\n    x,\n    y,\n)\n',
      'pkg/e.py': 'from .a import q\ns = "from .e import nothing"\n',
      'src/mylib/__init__.py': '',
      'src/mylib/x.py': 'from mylib import y\n',
      'src/mylib/y.py': 'from mylib.x import f\n',
    });
    try {
      const { questions, language, pairs } = await generatePairs({ repo: repo.root, seed: 1 });
      assert.equal(language, 'py');
      assert.equal(pairs, 3);
      assert.deepEqual(questions[0]!.expected, ['pkg/a.py <-> pkg/b.py', 'pkg/c.py <-> pkg/d.py', 'src/mylib/x.py <-> src/mylib/y.py']);
    } finally {
      await repo.cleanup();
    }
  });
});

describe('the TypeScript compiler is loaded on demand', () => {
  /** A loader that fails as require() does when no typescript package can be resolved. */
  const absent = () => {
    throw Object.assign(new Error("Cannot find module 'typescript'\nRequire stack:\n- /opt/rlm/dist/cli.js"), { code: 'MODULE_NOT_FOUND' });
  };

  test('absent: both TS generators fail before reading files, saying what to install', async () => {
    const repo = makeTempRepo({ 'src/a.ts': "import './b';\nexport function a() {}\n", 'src/b.ts': "import './a';\n" });
    try {
      for (const [name, run] of [
        ['aggregate', () => generateAggregate({ repo: repo.root, seed: 1, loadTypeScript: absent })],
        ['pairs', () => generatePairs({ repo: repo.root, seed: 1, loadTypeScript: absent })],
      ] as const) {
        await assert.rejects(run(), (error: unknown) => {
          assert.ok(error instanceof MissingTypeScriptError, String(error));
          assert.match(error.message, new RegExp(`^The ${name} generator reads TypeScript/JavaScript files with the TypeScript compiler, which is not installed`));
          assert.match(error.message, /"npm install -g typescript" when rlm is installed globally, otherwise "npm install typescript"/);
          assert.match(error.message, new RegExp(`then run rlm eval generate ${name} again`));
          assert.match(error.message, /--language py, do not need it/);
          assert.equal((error.cause as Error).message.split('\n')[0], "Cannot find module 'typescript'");
          return true;
        });
      }
    } finally {
      await repo.cleanup();
    }
  });

  test('Python repositories never load it', async () => {
    const repo = makeTempRepo({ 'pkg/__init__.py': '', 'pkg/a.py': 'from . import b\n\ndef f():\n    pass\n', 'pkg/b.py': 'from . import a\n' });
    let calls = 0;
    const counting = () => {
      calls++;
      return absent();
    };
    try {
      assert.equal((await generateAggregate({ repo: repo.root, seed: 1, loadTypeScript: counting })).functions, 1);
      assert.equal((await generatePairs({ repo: repo.root, seed: 1, loadTypeScript: counting })).pairs, 1);
      assert.equal(calls, 0);
    } finally {
      await repo.cleanup();
    }
  });

  test('a broken install or a too old compiler is reported as such, not as absent', () => {
    const broken = () => {
      throw Object.assign(new Error("Cannot find module './lib/typescript.js'"), { code: 'MODULE_NOT_FOUND' });
    };
    assert.throws(() => loadTypeScript('pairs', broken), /^MissingTypeScriptError: The TypeScript compiler is installed but failed to load \(Cannot find module '\.\/lib\/typescript\.js'\)\. Reinstall it: /);
    assert.throws(() => loadTypeScript('aggregate', () => ({ version: '4.8.4', createSourceFile() {} })), /needs TypeScript 4\.9 or later; the one Node found is version 4\.8\.4\. Install it/);
    assert.throws(() => loadTypeScript('aggregate', () => ({})), /the one Node found is not a TypeScript compiler/);
  });

  test('the default loader finds the devDependency', () => {
    const ts = loadTypeScript('aggregate', requireTypeScript);
    assert.match(ts.version, /^\d+\.\d+/);
  });
});

describe('needle generator', () => {
  let repo: TempRepo;
  const files: Record<string, string> = {};
  before(() => {
    for (let i = 0; i < 30; i++) {
      files[`src/mod${String(i).padStart(2, '0')}.ts`] = Array.from({ length: 20 }, (_, j) => `export const value${i}_${j} = ${i * 100 + j}; // module ${i}, line ${j}`).join('\n') + '\n';
    }
    files['docs/notes.md'] = Array.from({ length: 200 }, (_, j) => `Note ${j}: remember to keep the build green.`).join('\n') + '\n';
    files['assets/logo.png'] = '\u0000PNG';
    repo = makeTempRepo(files);
  });
  after(() => repo.cleanup());

  test('plants one fact per slice in a copy, at the file and line it records; the repository is untouched', async () => {
    const before = await tree(repo.root);
    const slicesDir = path.join(work, 'n1.slices');
    const { questions, skippedSizes, repoTokens } = await generateNeedle({ repo: repo.root, seed: 42, sizes: [1000, 4000, 1_000_000], slicesDir });
    assert.deepEqual(await tree(repo.root), before);
    assert.deepEqual(skippedSizes, [1_000_000]);
    assert.ok(repoTokens > 4000 && repoTokens < 10_000, String(repoTokens));
    assert.deepEqual(questions.map((q) => [q.id, q.group]), [['needle-1k', 'needle-1k'], ['needle-4k', 'needle-4k']]);
    const sizes = questions.map((q) => q.meta!.sliceTokens as number);
    assert.ok(sizes[0]! > 800 && sizes[0]! <= 1050 && sizes[1]! > 3600 && sizes[1]! <= 4050, `slices near their targets: ${sizes}`);
    for (const q of questions) {
      assert.equal(q.check.type, 'exact');
      assert.match(q.expected as string, /^[a-z]+-[a-z]+-\d{4}$/);
      const slice = await tree(q.repo);
      const lines = slice[q.meta!.file as string]!.split('\n');
      const planted = lines[(q.meta!.line as number) - 1]!;
      assert.match(planted, new RegExp(`^// Note: the access code for the .* is ${q.expected}\\.$`));
      const hits = Object.values(slice).join('\n').split(q.expected as string).length - 1;
      assert.equal(hits, 1, 'the fact is unique in its slice');
      assert.match(q.question, /^Somewhere in this repository a comment states the access code for the [a-z]+-[a-z]+ [a-z]+\. What is that access code\?$/);
      assert.equal(Object.keys(slice).some((p) => p.endsWith('.png')), false, 'binary files are not part of a slice');
      // Every other file of the slice is a verbatim copy (or the head of one, for the file that tops it up).
      for (const [p, text] of Object.entries(slice)) {
        if (p === q.meta!.file) continue;
        assert.ok(files[p]!.startsWith(text), p);
      }
    }
  });

  test('the same seed gives the same questions and slices; another seed does not', async () => {
    const run = async (seed: number, name: string) => {
      const slicesDir = path.join(work, name);
      const { questions } = await generateNeedle({ repo: repo.root, seed, sizes: [1000, 3000], perSize: 2, slicesDir });
      return { lines: questions.map((q) => serialiseQuestion({ ...q, repo: path.relative(slicesDir, q.repo) }, work)), slices: await tree(slicesDir) };
    };
    const a = await run(9, 'same-a');
    const b = await run(9, 'same-b');
    assert.equal(a.lines.length, 4);
    assert.deepEqual(a.lines, b.lines);
    assert.deepEqual(a.slices, b.slices);
    const c = await run(10, 'other');
    assert.notDeepEqual(c.lines, a.lines);
  });

  test('refuses to write slices inside the repository, or over files it did not write', async () => {
    await assert.rejects(generateNeedle({ repo: repo.root, seed: 1, sizes: [1000], slicesDir: path.join(repo.root, 'slices') }), /overlaps the repository .*; the repository is never modified\. Choose --slices-dir outside it/);
    assert.equal(existsSync(path.join(repo.root, 'slices')), false);
    const foreign = path.join(work, 'foreign');
    await mkdir(foreign);
    await writeFile(path.join(foreign, 'keep.txt'), 'mine');
    await assert.rejects(generateNeedle({ repo: repo.root, seed: 1, sizes: [1000], slicesDir: foreign }), /already holds files that the generator did not write/);
    assert.equal(await readFile(path.join(foreign, 'keep.txt'), 'utf8'), 'mine');
    // Its own folder is replaced on the next run.
    const own = path.join(work, 'own');
    await generateNeedle({ repo: repo.root, seed: 1, sizes: [1000, 2000], slicesDir: own });
    await generateNeedle({ repo: repo.root, seed: 1, sizes: [1000], slicesDir: own });
    assert.deepEqual((await readdir(own)).sort(), ['.rlm-eval-slices', 'needle-1k']);
  });

  test('a repository smaller than every slice is refused with a size that would work', async () => {
    await assert.rejects(generateNeedle({ repo: repo.root, seed: 1, sizes: [500_000], slicesDir: path.join(work, 'big') }), /has about [\d,]+ tokens of text \(31 files\), less than the smallest slice asked for \(500k\)\. Pass smaller --sizes, e\.g\. --sizes \dk/);
  });
});
