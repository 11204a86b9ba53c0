import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { WorkspaceRepo, nodeRepoFs, type GrepOptions, type RepoFs, type RepoOptions } from '../../src/core/repo';
import { findRipgrep } from '../../src/cli/ripgrep';
import { makeTempRepo, expectRepoError, type TempRepo } from '../support/tempRepo';
import { previewWindow } from '../../src/core/repo/ripgrep';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from(' TODO in an image\n')]);

function fixture(): TempRepo {
  return makeTempRepo({
    '.gitignore': '*.log\n',
    'src/a.ts': 'export function alpha() {\n  return 1; // TODO: tidy\n}\nfunction   Beta() {}\n',
    'src/a.test.ts': 'function alphaTest() {} // todo: lower case\n',
    'src/b/c.ts': 'const c = "TODO later";\n',
    'docs/readme.md': '# Docs\nTODO in docs\n',
    '.hidden/conf.ts': 'TODO hidden file\n',
    'assets/img.png': PNG,
    'data/raw': Buffer.concat([Buffer.from('TODO in a binary\n'), Buffer.from([0, 1, 2])]),
    'debug.log': 'TODO ignored by .gitignore\n',
    'node_modules/x/index.js': 'TODO in node_modules\n',
    'many.txt': Array.from({ length: 6000 }, (_, i) => `hit ${i + 1}`).join('\n') + '\n',
  });
}

const RG = findRipgrep();

const ENGINES: Array<{ label: string; options: RepoOptions; engine: 'ripgrep' | 'js' }> = [
  { label: 'ripgrep', options: { ripgrepPath: RG }, engine: 'ripgrep' },
  { label: 'JS fallback', options: { ripgrepPath: null }, engine: 'js' },
];

describe('grep', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = fixture();
  });
  after(() => tmp.cleanup());

  it('finds the bundled ripgrep on this machine (so the ripgrep cases below really use it)', () => {
    const rg = findRipgrep();
    assert.ok(rg !== null && path.isAbsolute(rg), 'bundled rg binary found');
  });

  for (const { label, options, engine } of ENGINES) {
    describe(label, () => {
      it('matches a JavaScript regex and reports path, line and text in path order', async () => {
        const repo = new WorkspaceRepo(tmp.root, options);
        assert.deepEqual(await repo.grep('function\\s+\\w+'), [
          { path: 'src/a.test.ts', line: 1, text: 'function alphaTest() {} // todo: lower case' },
          { path: 'src/a.ts', line: 1, text: 'export function alpha() {' },
          { path: 'src/a.ts', line: 4, text: 'function   Beta() {}' },
        ]);
        assert.equal(repo.lastGrepEngine, engine);
        // JavaScript-only syntax (look-behind) works with either engine.
        assert.deepEqual(await repo.grep('(?<=export )function'), [
          { path: 'src/a.ts', line: 1, text: 'export function alpha() {' },
        ]);
      });

      it('skips binary, ignored and excluded files but searches dotfiles', async () => {
        const repo = new WorkspaceRepo(tmp.root, options);
        const files = await repo.files();
        assert.ok(files.includes('assets/img.png') && files.includes('data/raw'), 'binaries are listed');
        assert.deepEqual(
          (await repo.grep('TODO')).map((m) => `${m.path}:${m.line}`),
          ['.hidden/conf.ts:1', 'docs/readme.md:2', 'src/a.ts:2', 'src/b/c.ts:1'],
        );
      });

      it('honours ignoreCase', async () => {
        const repo = new WorkspaceRepo(tmp.root, options);
        assert.deepEqual((await repo.grep('todo')).map((m) => m.path), ['src/a.test.ts']);
        assert.deepEqual(
          (await repo.grep('todo', { ignoreCase: true })).map((m) => m.path),
          ['.hidden/conf.ts', 'docs/readme.md', 'src/a.test.ts', 'src/a.ts', 'src/b/c.ts'],
        );
      });

      it('filters by glob, including exclusions', async () => {
        const repo = new WorkspaceRepo(tmp.root, options);
        const paths = async (o: GrepOptions): Promise<string[]> => (await repo.grep('TODO|todo', o)).map((m) => m.path);
        assert.deepEqual(await paths({ glob: '**/*.ts' }), ['.hidden/conf.ts', 'src/a.test.ts', 'src/a.ts', 'src/b/c.ts']);
        assert.deepEqual(await paths({ glob: ['src/**', '!**/*.test.ts'] }), ['src/a.ts', 'src/b/c.ts']);
        assert.deepEqual(await paths({ glob: 'docs/' }), ['docs/readme.md']);
        assert.deepEqual(await paths({ glob: '*.ts' }), [], '"*.ts" is the root only');
      });

      it('stops at maxResults, keeping the first matches in path order, and caps at 5,000', async () => {
        const repo = new WorkspaceRepo(tmp.root, options);
        assert.deepEqual(await repo.grep('TODO', { maxResults: 2 }), [
          { path: '.hidden/conf.ts', line: 1, text: 'TODO hidden file' },
          { path: 'docs/readme.md', line: 2, text: 'TODO in docs' },
        ]);
        const hits = await repo.grep('^hit \\d+$');
        assert.equal(hits.length, 200, 'default maxResults is 200');
        assert.deepEqual(hits.at(-1), { path: 'many.txt', line: 200, text: 'hit 200' });
        const capped = await repo.grep('^hit', { maxResults: 100_000 });
        assert.equal(capped.length, 5000);
        assert.equal(capped.at(-1)!.line, 5000);
      });

      it('records every match line in the read log', async () => {
        const repo = new WorkspaceRepo(tmp.root, options);
        await repo.grep('function\\s+\\w+');
        assert.deepEqual(repo.readLog, [
          { path: 'src/a.test.ts', start: 1, end: 1, via: 'grep' },
          { path: 'src/a.ts', start: 1, end: 1, via: 'grep' },
          { path: 'src/a.ts', start: 4, end: 4, via: 'grep' },
        ]);
      });

      it('rejects invalid patterns and options with the reason', async () => {
        const repo = new WorkspaceRepo(tmp.root, options);
        await expectRepoError(() => repo.grep('foo('), /^Invalid regular expression "foo\(": .*Unterminated group/);
        await expectRepoError(() => repo.grep('/foo(/i'), /Pass the source without slashes/);
        await expectRepoError(() => repo.grep('x', { glob: [] }), /glob must be a non-empty string/);
        assert.deepEqual(repo.readLog, []);
      });
    });
  }

  it('falls back to the JS grep when rg rejects the pattern', async () => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    // `[^]` (any character) is JavaScript-only: both of rg's engines refuse it.
    const matches = await repo.grep('alph[^]\\(');
    assert.equal(repo.lastGrepEngine, 'js');
    assert.deepEqual(matches, [{ path: 'src/a.ts', line: 1, text: 'export function alpha() {' }]);
    assert.notEqual(repo.ripgrepPath, null, 'a rejected pattern does not disable rg');
    await repo.grep('alpha');
    assert.equal(repo.lastGrepEngine, 'ripgrep');
  });

  it('does not start rg when no file is a candidate', async () => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    assert.deepEqual(await repo.grep('TODO', { glob: 'nothing/**' }), []);
    assert.equal(repo.lastGrepEngine, 'js');
  });

  it('falls back to the JS grep when the rg binary cannot run', async () => {
    for (const ripgrepPath of [path.join(tmp.root, 'no-such-rg'), tmp.abs('src/a.ts')]) {
      const repo = new WorkspaceRepo(tmp.root, { ripgrepPath });
      assert.deepEqual((await repo.grep('TODO')).length, 4);
      assert.equal(repo.lastGrepEngine, 'js');
      assert.equal(repo.ripgrepPath, null, 'not tried again');
    }
  });
});

describe('ripgrep and the JS fallback agree', () => {
  let tmp: TempRepo;
  const longLine = 'x'.repeat(400) + ' needle ' + 'é'.repeat(300);

  before(() => {
    tmp = makeTempRepo({
      '.gitignore': 'build/\n*.tmp\n!keep.tmp\n/top-only.txt\n',
      'keep.tmp': 'needle kept by negation\n',
      'drop.tmp': 'needle dropped\n',
      'top-only.txt': 'needle ignored at the root\n',
      'sub/top-only.txt': 'needle kept below\n',
      'build/out.js': 'needle in build\n',
      'src/.gitignore': 'generated/\n!important.tmp\n',
      'src/generated/g.ts': 'needle generated\n',
      'src/important.tmp': 'needle re-included by a nested negation\n',
      'src/index.ts': 'import { needle } from "./needle";\nexport const Needle = needle;\n',
      'src/needle.ts': 'export const needle = 42; // NEEDLE\n\tneedle\twith tabs\n',
      'src/crlf.ts': 'needle one\r\nneedle two\r\nneedle$\r\n',
      'src/bom.ts': '\uFEFFneedle after a BOM\n',
      'src/long.min.js': `${longLine}\nneedle short\n`,
      // Lines past rg's --max-columns whose match its preview decides (early) or does not (late, near the cut).
      'src/early.min.js': `var needle=1;${'y'.repeat(5000)}\n${'z'.repeat(4200)}needle${'z'.repeat(300)}\n${'w'.repeat(40)}needle${'w'.repeat(20)}${'needle'.repeat(700)}\n`,
      'src/unicode.txt': 'ünïcödé needle ✓\nNEEDLE\n',
      'src/late-nul.txt': 'a'.repeat(9000) + '\nneedle after\0nul\n',
      'src/early-nul.bin.txt': 'needle\0 binary\n',
      'src/pic.jpg': 'needle in a jpg\n',
      '.config/settings.json': '{ "needle": true }\n',
      'a/x.txt': 'needle a/x\n', 'a-b.txt': 'needle a-b\n', 'a.txt': 'needle a\n', 'B.txt': 'needle B\n',
      'node_modules/m/i.js': 'needle in node_modules\n',
    });
    tmp.symlink('linked.ts', 'src/needle.ts', 'file');
    tmp.symlink('linkdir', 'src', 'dir');
    // Enough candidate files that broad globs make rg walk the tree with -g filters
    // (few candidates are handed to rg by name instead); both paths are compared below.
    for (let i = 0; i < 400; i++) tmp.write(`filler/a-rather-long-file-name-${i}.ts`, 'nothing to see\n');
  });

  after(() => tmp.cleanup());

  const queries: Array<[string, GrepOptions?]> = [
    ['needle'],
    ['needle', { ignoreCase: true }],
    ['NEEDLE'],
    ['needle', { maxResults: 3 }],
    ['needle', { maxResults: 7 }],
    ['needle', { glob: '**/*.ts' }],
    ['needle', { glob: ['src/**', '!**/*.ts'] }],
    ['needle', { glob: '**/*.{ts,json}', ignoreCase: true }],
    ['needle', { glob: 'a*' }],
    ['^needle$'],
    ['needle\\$$'],
    ['\\bneedle\\b'],
    ['needle\\s+\\w+'],
    ['(?<!\\w)needle(?= )'],
    ['é{10}'],
    ['\\d+'],
    ['^\\tneedle'],
    ['x{300}'],
    ['y{100}'],
    ['needle(?=z{250})'],
    ['w{20}needle'],
    ['[^]needle'],
    ['nothing-matches-this'],
  ];

  it('returns identical results for a range of patterns and options', async () => {
    const rg = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    const js = new WorkspaceRepo(tmp.root, { ripgrepPath: null });
    let nonEmpty = 0;
    for (const [pattern, options] of queries) {
      const viaRg = await rg.grep(pattern, options);
      const viaJs = await js.grep(pattern, options);
      const label = `${pattern} ${JSON.stringify(options ?? {})}`;
      assert.equal(js.lastGrepEngine, 'js');
      if (pattern !== '[^]needle') assert.equal(rg.lastGrepEngine, 'ripgrep', label);
      assert.deepEqual(viaRg, viaJs, label);
      if (viaRg.length > 0) nonEmpty++;
    }
    assert.equal(nonEmpty, queries.length - 2, 'all but the two no-match queries found something');
    assert.deepEqual(rg.readLog, js.readLog);
  });

  it('agrees under other ignore and exclude settings', async () => {
    const variants: Array<{ options: RepoOptions; has: string[]; hasNot: string[] }> = [
      { options: { useGitignore: false }, has: ['drop.tmp', 'build/out.js', 'src/generated/g.ts'], hasNot: ['node_modules/m/i.js'] },
      { options: { exclude: ['**/.git/**'] }, has: ['node_modules/m/i.js'], hasNot: ['drop.tmp'] },
      { options: { exclude: ['**/node_modules/**', 'src/**'] }, has: ['keep.tmp'], hasNot: ['src/needle.ts'] },
    ];
    for (const { options, has, hasNot } of variants) {
      const rg = new WorkspaceRepo(tmp.root, { ...options, ripgrepPath: RG });
      const js = new WorkspaceRepo(tmp.root, { ...options, ripgrepPath: null });
      const viaRg = await rg.grep('needle');
      assert.equal(rg.lastGrepEngine, 'ripgrep');
      assert.deepEqual(viaRg, await js.grep('needle'), JSON.stringify(options));
      const paths = new Set(viaRg.map((m) => m.path));
      for (const p of has) assert.ok(paths.has(p), `${JSON.stringify(options)} searches ${p}`);
      for (const p of hasNot) assert.ok(!paths.has(p), `${JSON.stringify(options)} skips ${p}`);
    }
  });

  it('ignores .gitignore files above the workspace root, with both engines', async () => {
    const outer = makeTempRepo({ '.gitignore': '*.md\ninner/skipped/\n', 'inner/README.md': 'needle\n', 'inner/skipped/x.txt': 'needle\n' });
    try {
      for (const ripgrepPath of [RG, null]) {
        const repo = new WorkspaceRepo(outer.abs('inner'), { ripgrepPath });
        assert.deepEqual(await repo.files(), ['README.md', 'skipped/x.txt']);
        assert.deepEqual((await repo.grep('needle')).map((m) => m.path), ['README.md', 'skipped/x.txt']);
        assert.equal(repo.lastGrepEngine, ripgrepPath === null ? 'js' : 'ripgrep');
      }
    } finally {
      await outer.cleanup();
    }
  });

  it('agrees on the edge cases the fixture was built for', async () => {
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: RG });
    const found = await repo.grep('needle');
    const where = new Set(found.map((m) => m.path));
    for (const p of ['keep.tmp', 'sub/top-only.txt', 'src/important.tmp', 'src/late-nul.txt', '.config/settings.json']) {
      assert.ok(where.has(p), `searched ${p}`);
    }
    for (const p of ['drop.tmp', 'top-only.txt', 'build/out.js', 'src/generated/g.ts', 'src/early-nul.bin.txt', 'src/pic.jpg', 'node_modules/m/i.js', 'linked.ts']) {
      assert.ok(!where.has(p), `did not search ${p}`);
    }
    assert.ok(!found.some((m) => m.path.startsWith('linkdir/')));
    assert.deepEqual(found.filter((m) => m.path === 'src/crlf.ts').map((m) => m.text), ['needle one', 'needle two', 'needle$']);
    assert.deepEqual(found.find((m) => m.path === 'src/bom.ts'), { path: 'src/bom.ts', line: 1, text: 'needle after a BOM' });
    assert.deepEqual(
      found.filter((m) => m.path.startsWith('a') || m.path.startsWith('B')).map((m) => m.path),
      ['B.txt', 'a/x.txt', 'a-b.txt', 'a.txt'],
    );
    const long = found.find((m) => m.path === 'src/long.min.js' && m.line === 1)!;
    assert.ok(long.text.startsWith('…') && long.text.endsWith('…') && long.text.includes(' needle '));
    assert.equal(long.text.length, 302, '300 characters around the match plus the two ellipses');
    assert.deepEqual(await repo.grep('^\\tneedle\\twith tabs$'), [
      { path: 'src/needle.ts', line: 2, text: '\tneedle\twith tabs' },
    ]);
  });
});

describe('previewWindow (long lines rg cut short)', () => {
  const CUT = ' [... omitted end of long line]';
  const re = /needle/;
  it('uses the preview when the match sits early and well inside it', () => {
    const preview = 'a'.repeat(20) + 'needle' + 'b'.repeat(4070);
    assert.equal(previewWindow(re, preview + CUT), `${preview.slice(0, 300)}…`);
  });
  it('declines when the window would not start at column 0', () => {
    assert.equal(previewWindow(re, 'a'.repeat(150) + 'needle' + 'b'.repeat(3940) + CUT), null);
  });
  it('declines when the match runs close to the cut, where the rest of the line could change it', () => {
    assert.equal(previewWindow(/ab+$/, 'x'.repeat(50) + 'a' + 'b'.repeat(4045) + CUT), null);
  });
  it('declines a preview too short to decide (multi-byte text)', () => {
    assert.equal(previewWindow(re, 'needle' + 'é'.repeat(140) + CUT), null);
  });
  it('declines when the preview does not match at all', () => {
    assert.equal(previewWindow(re, 'c'.repeat(4096) + CUT), null);
  });
});

describe('grep on long lines with ripgrep', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo({ 'bundle.min.js': `var needle=1;${'y'.repeat(5000)}\n${'z'.repeat(4000)}needle${'z'.repeat(100)}\n` });
  });
  after(() => tmp.cleanup());

  it('re-reads a file only for the long lines whose match lies past rg\'s preview', async () => {
    const wholeReads: string[] = [];
    const spy: RepoFs = { ...nodeRepoFs, open: (file, purpose) => (purpose === 'read' ? wholeReads.push(path.basename(file)) : undefined, nodeRepoFs.open(file, purpose)) };
    const repo = new WorkspaceRepo(tmp.root, { fs: spy, ripgrepPath: RG });
    const early = await repo.grep('var needle');
    assert.equal(repo.lastGrepEngine, 'ripgrep');
    assert.deepEqual(early.map((m) => [m.line, m.text.length]), [[1, 301]]);
    assert.deepEqual(wholeReads, [], 'the preview decided the early match');
    const late = await repo.grep('needle(?=z)');
    assert.deepEqual(late.map((m) => [m.line, m.text.startsWith('…')]), [[2, true]]);
    assert.deepEqual(wholeReads, ['bundle.min.js'], 'the late match needed the whole line');
  });
});
