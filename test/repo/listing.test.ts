import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WorkspaceRepo, nodeRepoFs, comparePaths, type RepoFs } from '../../src/core/repo';
import { makeTempRepo, expectRepoError, type TempRepo } from '../support/tempRepo';

describe('listing and .gitignore', () => {
  let tmp: TempRepo;

  before(() => {
    tmp = makeTempRepo({
      '.gitignore': ['*.log', '!keep.log', 'build/', '/rooted.txt', 'secret*'].join('\n') + '\n',
      'keep.log': 'kept by negation\n',
      'debug.log': 'ignored\n',
      'rooted.txt': 'ignored: anchored to the root\n',
      'src/rooted.txt': 'not ignored: the rule is anchored to the root\n',
      'build/out.js': 'ignored directory\n',
      'src/build': 'a file named build is not the build/ directory\n',
      'src/index.ts': 'export {};\n',
      'src/secret-key.ts': 'ignored by secret*\n',
      'src/app/.gitignore': ['local.txt', '/only-here.txt', '!important.log', 'gen/'].join('\n') + '\n',
      'src/app/main.ts': 'main\n',
      'src/app/local.txt': 'ignored by the nested .gitignore\n',
      'src/app/deeper/local.txt': 'also ignored: the nested pattern has no slash\n',
      'src/app/only-here.txt': 'ignored: anchored to src/app\n',
      'src/app/deeper/only-here.txt': 'kept: the anchored rule is for src/app only\n',
      'src/app/important.log': 'kept: the nested negation overrides the root *.log\n',
      'src/app/trace.log': 'ignored by the root *.log\n',
      'src/app/gen/x.ts': 'ignored directory\n',
      'src/other/local.txt': 'kept: outside the nested .gitignore\n',
      // a parent's rule re-included by a deeper .gitignore, as git does
      'lib/.gitignore': '!vendor/\n',
      'lib/vendor/v.js': 'kept: re-included\n',
      'node_modules/pkg/index.js': 'excluded\n',
      'packages/p/node_modules/dep/index.js': 'excluded too\n',
      '.git/config': 'excluded\n',
      '.env.example': 'dotfiles are listed\n',
      '.github/workflows/ci.yml': 'dot directories too\n',
      'a/x': '', 'a-b': '', 'a.txt': '', 'B': '',
    });
    fs.appendFileSync(tmp.abs('.gitignore'), 'lib/vendor/\n');
  });

  after(() => tmp.cleanup());

  it('applies root and nested .gitignore rules, negations included', async () => {
    const files = await new WorkspaceRepo(tmp.root).files();
    const expected = [
      '.env.example', '.github/workflows/ci.yml', '.gitignore', 'B', 'a/x', 'a-b', 'a.txt',
      'keep.log', 'lib/.gitignore', 'lib/vendor/v.js',
      'src/app/.gitignore', 'src/app/deeper/only-here.txt', 'src/app/important.log', 'src/app/main.ts',
      'src/build', 'src/index.ts', 'src/other/local.txt', 'src/rooted.txt',
    ];
    assert.deepEqual(files, expected.sort(comparePaths));
  });

  it('lists in path order, a directory before longer names that start like it', async () => {
    const files = await new WorkspaceRepo(tmp.root).files(['a/**', 'a-b', 'a.txt', 'B']);
    assert.deepEqual(files, ['B', 'a/x', 'a-b', 'a.txt']);
  });

  it('excludes .git and node_modules (at any depth) by default', async () => {
    const files = await new WorkspaceRepo(tmp.root).files();
    assert.ok(!files.some((f) => f.startsWith('.git/')));
    assert.ok(!files.some((f) => f.split('/').includes('node_modules')));
  });

  it('can be told to ignore .gitignore and to exclude other things', async () => {
    const all = await new WorkspaceRepo(tmp.root, { useGitignore: false }).files();
    assert.ok(all.includes('debug.log') && all.includes('build/out.js') && all.includes('src/app/gen/x.ts'));
    assert.ok(!all.some((f) => f.includes('node_modules')), 'exclude still applies');

    const custom = await new WorkspaceRepo(tmp.root, { exclude: ['**/.git/**', 'src/**'] }).files();
    assert.ok(custom.includes('node_modules/pkg/index.js'), 'node_modules is listed once not excluded');
    assert.ok(!custom.some((f) => f.startsWith('src/')));
  });

  it('filters with fast-glob patterns, exclusions and a limit', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    assert.deepEqual(await repo.files('**/*.ts'), ['src/app/main.ts', 'src/index.ts']);
    assert.deepEqual(await repo.files('*.txt'), ['a.txt'], '"*.txt" is the root only, as in fast-glob');
    assert.deepEqual(await repo.files(['src/**', '!**/*.ts', '!**/.gitignore']), [
      'src/app/deeper/only-here.txt', 'src/app/important.log', 'src/build', 'src/other/local.txt', 'src/rooted.txt',
    ]);
    assert.deepEqual(await repo.files('./src/app/'), [
      'src/app/.gitignore', 'src/app/deeper/only-here.txt', 'src/app/important.log', 'src/app/main.ts',
    ]);
    assert.deepEqual(await repo.files('**/*.{yml,log}'), ['.github/workflows/ci.yml', 'keep.log', 'src/app/important.log']);
    assert.deepEqual(await repo.files(undefined, { limit: 2 }), ['.env.example', '.github/workflows/ci.yml']);
    assert.deepEqual(await repo.files('nothing/**'), []);
    await expectRepoError(() => repo.files('/etc/**'), /absolute/);
    await expectRepoError(() => repo.files('../**'), /climbs out/);
  });

  it('returns a fresh array each time (callers may mutate it)', async () => {
    const repo = new WorkspaceRepo(tmp.root);
    const first = await repo.files();
    first.length = 0;
    assert.ok((await repo.files()).length > 0);
  });
});

describe('listing a large tree', () => {
  const FILES = 20_000;
  const FILE_BYTES = 1024;
  let tmp: TempRepo;
  const expected: string[] = [];

  before(() => {
    tmp = makeTempRepo({ '.gitignore': 'ignored/\n', 'd000/.gitignore': '*.skip\n' });
    const body = 'x'.repeat(FILE_BYTES - 1) + '\n';
    for (let i = 0; i < FILES; i++) {
      const dir = `d${String(i % 200).padStart(3, '0')}`;
      const sub = i % 3 === 0 ? `${dir}/sub` : dir;
      const rel = `${sub}/f${i}.txt`;
      fs.mkdirSync(path.dirname(tmp.abs(rel)), { recursive: true });
      fs.writeFileSync(tmp.abs(rel), body);
      expected.push(rel);
    }
    expected.push('.gitignore', 'd000/.gitignore');
    tmp.write('d000/x.skip', 'ignored by the nested .gitignore\n');
    // An ignored directory with its own .gitignore: pruning means neither is ever opened.
    tmp.write('ignored/.gitignore', '!*\n');
    for (let i = 0; i < 2000; i++) tmp.write(`ignored/g${i}.txt`, body);
    expected.sort(comparePaths);
  });

  after(() => tmp.cleanup());

  it('lists 20,000 files correctly and reads no file contents, only .gitignore files (spy on the fs layer)', async () => {
    // Every content read in src/core/repo starts with RepoFs.open (fsAccess.ts says so;
    // listing uses the layer for readdir too). Wrapping it records each file opened and
    // each directory read.
    const contentReads: string[] = [];
    const dirReads: string[] = [];
    const spy: RepoFs = {
      ...nodeRepoFs,
      readdir: (dir, options, callback) => {
        dirReads.push(dir);
        nodeRepoFs.readdir(dir, options, callback);
      },
      open: (file, purpose) => (contentReads.push(file), nodeRepoFs.open(file, purpose)),
    };
    const repo = new WorkspaceRepo(tmp.root, { fs: spy });
    const files = await repo.files();
    assert.equal(files.length, FILES + 2);
    assert.deepEqual(files, expected);
    assert.deepEqual(
      contentReads.map((f) => path.relative(tmp.root, f).split(path.sep).join('/')).sort(),
      ['.gitignore', 'd000/.gitignore'],
    );
    assert.ok(!dirReads.some((d) => d.includes(`${path.sep}ignored`)), 'the ignored directory is never read');
    // Cached: a second listing does no I/O at all.
    const before = dirReads.length;
    assert.equal((await repo.files('d001/**')).length, 100);
    assert.equal(dirReads.length, before);
    // Control: the spy does see content reads when they happen.
    await repo.read('d001/f1.txt', { start: 1, end: 1 });
    assert.ok(contentReads.length > 2);
    assert.ok(contentReads.slice(2).every((f) => f === tmp.abs('d001/f1.txt')));
  });

  it('listing reads no file contents, measured by the bytes the process reads (/proc/self/io)', async (t) => {
    // Independent of the fs layer above: Linux counts every byte a process obtains through
    // read()/pread() in /proc/self/io `rchar`, whichever code does it (libuv's threads
    // included). Listing 20,000 files of 1 KiB must add far less than the 20 MB their
    // contents would; the control below shows the counter does see content reads.
    if (!fs.existsSync('/proc/self/io')) return t.skip('/proc/self/io is Linux-only');
    const rchar = (): number => Number(/rchar:\s*(\d+)/.exec(fs.readFileSync('/proc/self/io', 'utf8'))![1]);
    const repo = new WorkspaceRepo(tmp.root, { ripgrepPath: null });
    const start = rchar();
    assert.equal((await repo.files()).length, FILES + 2);
    const listingBytes = rchar() - start;
    assert.ok(listingBytes < 2_000_000, `listing read ${listingBytes} bytes`);

    const control = rchar();
    assert.equal((await repo.grep('y', { maxResults: 1 })).length, 0); // reads every file, finds nothing
    const grepBytes = rchar() - control;
    assert.ok(grepBytes >= FILES * FILE_BYTES, `grep read only ${grepBytes} bytes`);
  });
});
