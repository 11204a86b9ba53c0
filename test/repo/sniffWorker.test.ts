/**
 * Binary sniffs in the listing worker: the same answers as a sniff on the host's thread, for
 * every kind of file, many at once; what the worker cannot open the checked way is left to
 * the host, which refuses it with its own words.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DiskSource } from '../../src/core/repo/diskSource';
import { sniffInWorker, SNIFF_BINARY, SNIFF_REFUSED, SNIFF_TEXT } from '../../src/core/repo/listingPool';
import { expectRepoError, makeTempRepo, type TempRepo } from '../support/tempRepo';

const posix = process.platform !== 'win32';
let w: TempRepo;
let outside: string;

const withNul = (at: number, length: number): Uint8Array => {
  const bytes = new Uint8Array(length).fill(0x61);
  bytes[at] = 0;
  return bytes;
};

before(() => {
  w = makeTempRepo({
    'text.ts': 'export const a = 1;\n',
    'empty.txt': '',
    'nul-early.dat': withNul(100, 20_000),
    'nul-late.txt': withNul(9_000, 20_000), // past the first 8 KiB: text
    'nul-last.txt': withNul(8_191, 8_192), // the last byte sniffed: binary
  });
  for (let i = 0; i < 300; i++) w.write(`many/f${i}.txt`, i % 3 === 0 ? withNul(5, 50) : `line ${i}\n`);
  outside = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-sniff-outside-'));
  fs.writeFileSync(path.join(outside, 'secret.txt'), 'secret\n');
  if (posix) {
    w.symlink('link-out.txt', path.join(outside, 'secret.txt'));
    w.symlink('link-in.txt', 'text.ts');
    execFileSync('mkfifo', [w.abs('pipe.txt')]);
  }
});
after(async () => {
  await w.cleanup();
  fs.rmSync(outside, { recursive: true, force: true });
});

describe('binary sniffs in the listing worker', () => {
  test('the worker finds what a sniff on the host finds, file by file', async () => {
    const rels = ['text.ts', 'empty.txt', 'nul-early.dat', 'nul-late.txt', 'nul-last.txt', ...Array.from({ length: 300 }, (_, i) => `many/f${i}.txt`)];
    const inWorker = new DiskSource(w.root);
    const onHost = new DiskSource(w.root, { listInWorker: false });
    const worker = await Promise.all(rels.map((r) => inWorker.isBinary(r)));
    const host = await Promise.all(rels.map((r) => onHost.isBinary(r)));
    assert.deepEqual(worker, host);
    assert.deepEqual(worker.slice(0, 5), [false, false, true, false, true]);
    assert.equal(worker.filter(Boolean).length, 2 + 100);
  });

  test('a link inside is followed; one leading outside and a named pipe are refused by the worker and then by the host, with its words', { skip: !posix }, async () => {
    const realRoot = fs.realpathSync(w.root);
    const sniffed = await sniffInWorker({ root: w.root, realRoot, rels: ['link-in.txt', 'link-out.txt', 'pipe.txt', 'gone.txt', 'nul-early.dat'] });
    assert.ok(sniffed, 'the worker answered');
    assert.deepEqual([...sniffed], [SNIFF_TEXT, SNIFF_REFUSED, SNIFF_REFUSED, SNIFF_REFUSED, SNIFF_BINARY]);
    const source = new DiskSource(w.root);
    assert.equal(await source.isBinary('link-in.txt'), false);
    await expectRepoError(() => source.isBinary('link-out.txt'), /outside the workspace/);
    await expectRepoError(() => source.isBinary('pipe.txt'), /named pipe/);
  });
});
