/**
 * Sizes learned by the listing (the disk listing worker stats what it lists), so that the
 * view's summary and clusters need no call per file; and the summary's cheaper tree.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DiskSource } from '../../src/core/repo/diskSource';
import { OverlaySource } from '../../src/core/repo/overlay';
import { workspaceOf } from '../../src/core/repo/multiRoot';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { dirTree, renderTree } from '../../src/core/repo/tree';
import { languageOf } from '../../src/core/repo/languages';
import { makeTempRepo, type TempRepo } from '../support/tempRepo';

let a: TempRepo;
let b: TempRepo;
before(() => {
  a = makeTempRepo({ 'src/x.ts': 'x'.repeat(10), 'src/deep/y.ts': 'y'.repeat(20), 'README.md': '# a\n' });
  b = makeTempRepo({ 'lib/z.py': 'z'.repeat(7) });
});
after(async () => {
  await a.cleanup();
  await b.cleanup();
});

describe('sizes from the listing', () => {
  test('the listing worker gives every file\'s size, aligned with the files', async () => {
    const listing = await new DiskSource(a.root).list();
    const sizes = await listing.sizes;
    assert.ok(sizes, 'the worker measured sizes');
    assert.deepEqual(Object.fromEntries(listing.files.map((f, i) => [f, sizes[i]])), { 'README.md': 4, 'src/deep/y.ts': 20, 'src/x.ts': 10 });
  });

  test('several folders join their sizes; the summary and clusters then ask no file for its size', async () => {
    const sources = [new DiskSource(a.root, { name: 'a' }), new DiskSource(b.root, { name: 'b' })];
    let asked = 0;
    for (const s of sources) {
      const size = s.size.bind(s);
      s.size = (rel: string) => (asked++, size(rel));
    }
    const repo = new WorkspaceRepo(workspaceOf(sources));
    const summary = await repo.summary();
    assert.equal(summary.totalBytes, 4 + 20 + 10 + 7);
    const clusters = await repo.clusters();
    assert.equal(clusters.reduce((n, c) => n + c.chars, 0), 41);
    assert.equal(asked, 0, 'no per-file size call');
  });

  test('a listed size is a hint: stat and info report what a checked handle measures', async () => {
    // A name swapped to a link outside while the worker walked would lend it an outside size;
    // here the listing simply says 999 for every file, as such a swap would.
    const source = new DiskSource(a.root);
    const list = source.list.bind(source);
    source.list = async () => {
      const listing = await list();
      return { ...listing, sizes: listing.sizes!.then((sizes) => sizes!.map(() => 999)) };
    };
    const repo = new WorkspaceRepo(source);
    assert.equal((await repo.summary()).totalBytes, 3 * 999, 'the summary may use the hints');
    assert.equal((await repo.stat('src/x.ts')).bytes, 10);
    assert.equal((await repo.info('src/deep/y.ts')).bytes, 20);
  });

  test('a link gets no size from the listing (its target is sized through a checked handle)', async (t) => {
    if (process.platform === 'win32') return t.skip('symbolic links need privileges on Windows');
    const fs = await import('node:fs');
    const path = await import('node:path');
    fs.symlinkSync('x.ts', path.join(a.root, 'src/link.ts'));
    try {
      const listing = await new DiskSource(a.root).list();
      const i = listing.files.indexOf('src/link.ts');
      const sizes = (await listing.sizes)!;
      assert.ok(i >= 0, 'the link is listed');
      assert.ok(Number.isNaN(sizes[i]), `no listed size for a link: ${sizes[i]}`);
      assert.equal((await new WorkspaceRepo(a.root).stat('src/link.ts')).bytes, 10);
    } finally {
      fs.unlinkSync(path.join(a.root, 'src/link.ts'));
    }
  });

  test('files with unsaved text are sized by that text, not by the disk', async () => {
    const repo = new WorkspaceRepo(new OverlaySource(new DiskSource(a.root), new Map([['src/x.ts', 'x'.repeat(1000)]])));
    assert.equal((await repo.summary()).totalBytes, 4 + 20 + 1000);
    assert.equal((await repo.stat('src/x.ts')).bytes, 1000);
  });
});

describe('the summary\'s tree and languages', () => {
  test('a tree built only as deep as it is rendered renders the same as the whole tree', () => {
    const files: string[] = [];
    for (let i = 0; i < 300; i++) files.push(`d${i % 7}/e${i % 5}/f${i % 3}/g${i}.ts`, `d${i % 7}/top${i}.md`, `root${i % 4}.txt`);
    files.sort();
    for (const depth of [1, 2, 3, 4]) {
      for (const entries of [10, 40, 1000]) {
        const whole = renderTree(dirTree(files, '')!, 'ws', depth, entries, 'hint').text;
        const shallow = renderTree(dirTree(files, '', [], new Map(), depth)!, 'ws', depth, entries, 'hint').text;
        assert.equal(shallow, whole, `depth ${depth}, ${entries} entries`);
      }
    }
  });

  test('languages by extension or name, and file names that are Object.prototype keys are just names', () => {
    assert.equal(languageOf('src/app.TS'), 'TypeScript');
    assert.equal(languageOf('Dockerfile'), 'Dockerfile');
    assert.equal(languageOf('a/.bashrc'), '(no extension)');
    assert.equal(languageOf('a/name.'), '(no extension)');
    assert.equal(languageOf('a/data.lock'), '.lock');
    assert.equal(languageOf('src/constructor'), '(no extension)');
    assert.equal(languageOf('src/toString'), '(no extension)');
    assert.equal(languageOf('src/x.constructor'), '.constructor');
    assert.equal(languageOf('src/x.hasOwnProperty'), '.hasownproperty');
  });
});
