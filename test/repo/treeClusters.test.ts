import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { WorkspaceRepo, nodeRepoFs, comparePaths, type RepoFs } from '../../src/core/repo';
import { makeTempRepo, expectRepoError, type TempRepo } from '../support/tempRepo';

describe('tree', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo({
      'src/index.ts': '',
      'src/core/a.ts': '',
      'src/core/b.ts': '',
      'src/core/deep/c.ts': '',
      'README.md': '',
      'docs/guide.md': '',
      '.gitignore': 'dist/\n',
      'dist/out.js': '',
    });
    for (let i = 0; i < 250; i++) tmp.write(`many/f${String(i).padStart(3, '0')}.txt`, '');
  });
  after(() => tmp.cleanup());

  it('prints directories with file counts, then files, two spaces per level, to depth 2 by default', async () => {
    const repo = new WorkspaceRepo(tmp.root, { name: 'proj' });
    // 258 entries within depth 2 do not fit in 200: the top level is shown whole, then
    // the second level in order until the budget runs out.
    assert.equal(
      await repo.tree(),
      [
        'proj/ (257 files)',
        '  docs/ (1 file)',
        '    guide.md',
        '  many/ (250 files)',
        ...Array.from({ length: 194 }, (_, i) => `    f${String(i).padStart(3, '0')}.txt`),
        '    … 56 more',
        '  src/ (4 files)',
        '  .gitignore',
        '  README.md',
        '  … 58 more entries not shown; use repo.tree("<subdirectory>") or repo.files("**/*.ext") to see more.',
      ].join('\n'),
    );
  });

  it('shows a subdirectory at the requested depth', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    assert.equal(await repo.tree('src', { depth: 1 }), 'src/ (4 files)\n  core/ (3 files)\n  index.ts');
    assert.equal(
      await repo.tree('src/'),
      'src/ (4 files)\n  core/ (3 files)\n    deep/ (1 file)\n    a.ts\n    b.ts\n  index.ts',
    );
    assert.equal(await repo.tree('src', { depth: 0 }), 'src/ (4 files)');
  });

  it('caps the output at 200 entries and says how many were left out', async () => {
    const text = await new WorkspaceRepo(tmp.root).tree('many');
    const lines = text.split('\n');
    assert.equal(lines.length, 1 + 200 + 1);
    assert.equal(lines[0], 'many/ (250 files)');
    assert.equal(lines[200], '  f199.txt');
    assert.match(lines[201], /^ {2}… 50 more entries not shown; use repo\.tree\("<subdirectory>"\) or repo\.files\("many\/\*\*\/\*\.ext"\)/);
  });

  it('explains bad arguments', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    await expectRepoError(() => repo.tree('nope'), /^No directory "nope" in the workspace/);
    await expectRepoError(() => repo.tree('dist'), /No directory "dist"/); // ignored
    await expectRepoError(() => repo.tree('README.md'), /"README\.md" is a file, not a directory; use repo\.read\("README\.md"\)/);
  });
});

/** A small deterministic PRNG, so the generated tree is the same on every run. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('clusters', () => {
  let tmp: TempRepo;
  const sizes = new Map<string, number>();
  const binaries = ['assets/logo.png', 'lib/blob.dat2'];

  before(() => {
    tmp = makeTempRepo();
    const rand = prng(42);
    const dirs = ['', 'src', 'src/core', 'src/core/engine', 'src/ui', 'src/ui/widgets', 'test', 'docs', 'lib/a/b/c'];
    for (let p = 0; p < 30; p++) dirs.push(`packages/p${p}`, `packages/p${p}/src`);
    for (let i = 0; i < 300; i++) {
      const dir = dirs[Math.floor(rand() * dirs.length)];
      const rel = `${dir ? `${dir}/` : ''}file${i}.ts`;
      const bytes = i % 97 === 5 ? 70_000 : Math.floor(rand() * 12_000);
      tmp.write(rel, 'x'.repeat(bytes));
      sizes.set(rel, bytes);
    }
    tmp.write('assets/logo.png', Buffer.alloc(5000, 1));
    tmp.write('lib/blob.dat2', Buffer.concat([Buffer.from('abc'), Buffer.alloc(10, 0)]));
  });
  after(() => tmp.cleanup());

  it('puts every non-binary file in exactly one cluster, in path order, within maxChars', async () => {
    const maxChars = 50_000;
    const clusters = await new WorkspaceRepo(tmp.root).clusters(undefined, { maxChars });
    const files = clusters.flatMap((c) => c.files);
    assert.deepEqual(files, [...sizes.keys()].sort(comparePaths));
    for (const b of binaries) assert.ok(!files.includes(b));
    for (const c of clusters) {
      assert.equal(c.chars, c.files.reduce((n, f) => n + sizes.get(f)!, 0));
      assert.ok(c.chars <= maxChars || c.files.length === 1, `cluster of ${c.chars} chars`);
    }
    assert.ok(clusters.some((c) => c.chars > maxChars), 'the 70,000-byte files stand alone');
    assert.ok(clusters.length > 1 && clusters.length < sizes.size / 3, 'files are packed together');
  });

  it('keeps a directory that fits in one cluster', async () => {
    const maxChars = 50_000;
    const clusters = await new WorkspaceRepo(tmp.root).clusters(undefined, { maxChars });
    const clusterOf = new Map<string, number>();
    clusters.forEach((c, i) => c.files.forEach((f) => clusterOf.set(f, i)));
    const dirTotals = new Map<string, number>();
    for (const [file, bytes] of sizes) {
      const parts = file.split('/');
      for (let k = 1; k < parts.length; k++) {
        const dir = parts.slice(0, k).join('/');
        dirTotals.set(dir, (dirTotals.get(dir) ?? 0) + bytes);
      }
    }
    let checked = 0;
    for (const [dir, total] of dirTotals) {
      if (total > maxChars) continue;
      const ids = new Set([...sizes.keys()].filter((f) => f.startsWith(`${dir}/`)).map((f) => clusterOf.get(f)));
      assert.equal(ids.size, 1, `${dir} is split`);
      checked++;
    }
    assert.ok(checked > 10, `only ${checked} directories fit`);
    assert.ok(
      [...dirTotals.values()].some((t) => t > maxChars),
      'some directories do not fit and must be split',
    );
  });

  it('packs neighbouring clusters greedily, splitting only directories that do not fit', async () => {
    const small = makeTempRepo({
      'a/1.txt': 'x'.repeat(40),
      'a/2.txt': 'x'.repeat(40),
      'a/3.txt': 'x'.repeat(40),
      'b/1.txt': 'x'.repeat(30),
      'big.txt': 'x'.repeat(150),
      'c.txt': 'x'.repeat(10),
      'd/x.txt': 'x'.repeat(20),
      'd/y.txt': 'x'.repeat(20),
    });
    try {
      const repo = new WorkspaceRepo(small.root);
      assert.deepEqual(await repo.clusters(undefined, { maxChars: 100 }), [
        { files: ['a/1.txt', 'a/2.txt'], chars: 80 },
        { files: ['a/3.txt', 'b/1.txt'], chars: 70 },
        { files: ['big.txt'], chars: 150 },
        { files: ['c.txt', 'd/x.txt', 'd/y.txt'], chars: 50 },
      ]);
      assert.deepEqual(await repo.clusters('d/**', { maxChars: 100 }), [{ files: ['d/x.txt', 'd/y.txt'], chars: 40 }]);
      assert.deepEqual(await repo.clusters(), [
        { files: ['a/1.txt', 'a/2.txt', 'a/3.txt', 'b/1.txt', 'big.txt', 'c.txt', 'd/x.txt', 'd/y.txt'], chars: 350 },
      ]);
      assert.deepEqual(await repo.clusters('none/**'), []);
    } finally {
      await small.cleanup();
    }
  });
});

describe('summary', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo({
      'src/a.ts': 'a'.repeat(100),
      'src/b.ts': 'b'.repeat(50),
      'src/c.tsx': 'c'.repeat(10),
      'tools/x.py': 'x'.repeat(30),
      'tools/y.py': 'y'.repeat(30),
      'README.md': 'r'.repeat(7),
      'Dockerfile': 'FROM node\n',
      'LICENSE': 'l'.repeat(5),
      'logo.png': Buffer.alloc(64),
      '.gitignore': 'out/\n',
      'out/ignored.js': 'ignored',
    });
  });
  after(() => tmp.cleanup());

  it('reports name, counts, bytes, languages and a top-level tree without reading contents', async () => {
    const contentReads: string[] = [];
    const spy: RepoFs = {
      ...nodeRepoFs,
      open: (file, purpose) => (purpose === 'size' ? undefined : contentReads.push(file), nodeRepoFs.open(file, purpose)),
    };
    const summary = await new WorkspaceRepo(tmp.root, { name: 'demo', fs: spy }).summary();
    assert.deepEqual(contentReads.map((f) => path.basename(f)), ['.gitignore']);
    assert.equal(summary.name, 'demo');
    assert.equal(summary.fileCount, 10);
    assert.equal(summary.totalBytes, 100 + 50 + 10 + 30 + 30 + 7 + 10 + 5 + 64 + 5);
    assert.deepEqual(summary.languages, [
      { language: 'TypeScript', files: 3, bytes: 160 },
      { language: 'Python', files: 2, bytes: 60 },
      { language: '(no extension)', files: 2, bytes: 10 }, // LICENSE, .gitignore
      { language: '.png', files: 1, bytes: 64 },
      { language: 'Dockerfile', files: 1, bytes: 10 },
      { language: 'Markdown', files: 1, bytes: 7 },
    ]);
    assert.equal(
      summary.topLevelTree,
      [
        'demo/ (10 files)',
        '  src/ (3 files)',
        '    a.ts',
        '    b.ts',
        '    c.tsx',
        '  tools/ (2 files)',
        '    x.py',
        '    y.py',
        '  .gitignore',
        '  Dockerfile',
        '  LICENSE',
        '  README.md',
        '  logo.png',
      ].join('\n'),
    );
  });

  it('keeps the top-level tree to about 40 lines and the languages to 10', async () => {
    const wide = makeTempRepo();
    try {
      for (let i = 0; i < 60; i++) wide.write(`pkg${String(i).padStart(2, '0')}/index.ts`, 'x');
      for (let i = 0; i < 12; i++) wide.write(`misc/file.ext${i}`, 'y');
      const summary = await new WorkspaceRepo(wide.root, { name: 'wide' }).summary();
      const lines = summary.topLevelTree.split('\n');
      assert.equal(lines.length, 42);
      assert.equal(lines[0], 'wide/ (72 files)');
      assert.equal(lines[1], '  misc/ (12 files)', 'the top level comes first when two levels do not fit');
      assert.equal(lines[40], '  pkg38/ (1 file)');
      assert.match(lines[41], /^ {2}… 93 more entries not shown/);
      assert.equal(summary.languages.length, 10);
      assert.deepEqual(summary.languages[0], { language: 'TypeScript', files: 60, bytes: 60 });
    } finally {
      await wide.cleanup();
    }
  });
});
