/**
 * Argument types and ranges of the repo API are checked once, at the sandbox boundary
 * (checkArguments in src/core/sandbox/api.ts); the repo itself checks only what needs the
 * workspace or the file (start after end, past the end, absolute or climbing paths and
 * globs, files too large), which the other repo tests cover. These are the assertions the
 * repo tests made about types and ranges before that, now against the boundary.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { checkArguments } from '../../src/core/sandbox/api';

function refuses(name: string, args: unknown[], message: RegExp): void {
  assert.throws(
    () => checkArguments(name, args),
    (e: unknown) => e instanceof Error && e.name === 'ArgumentError' && message.test(e.message),
    `${name}(${args.map((a) => JSON.stringify(a)).join(', ')})`,
  );
}

describe('repo arguments at the sandbox boundary', () => {
  it('read: a path string, start and end positive integers, options an object', () => {
    refuses('repo.read', [7], /path must be a string/);
    refuses('repo.read', ['ten.txt', { start: 0 }], /options\.start .*(between 1|positive)/);
    refuses('repo.read', ['ten.txt', { start: -2, end: 3 }], /options\.start/);
    refuses('repo.read', ['ten.txt', { start: 1.5 }], /options\.start must be an integer/);
    refuses('repo.read', ['ten.txt', { end: '3' }], /options\.end must be an integer/);
    refuses('repo.read', ['ten.txt', 3], /options must be an options object/);
    assert.deepEqual(checkArguments('repo.read', ['ten.txt', { start: 5, end: 4 }]), ['ten.txt', { start: 5, end: 4 }], 'start after end is for the repo to judge');
  });

  it('stat: a path string', () => {
    refuses('repo.stat', [undefined], /path must be a string/);
  });

  it('grep: a pattern string, maxResults a positive integer up to 5,000, ignoreCase a boolean', () => {
    refuses('repo.grep', [undefined], /pattern must be a string/);
    refuses('repo.grep', ['x', { maxResults: 0 }], /options\.maxResults must be between 1/);
    refuses('repo.grep', ['x', { maxResults: 5001 }], /options\.maxResults must be between 1 and 5,000/);
    refuses('repo.grep', ['x', { ignoreCase: 'yes' }], /options\.ignoreCase must be true or false/);
    assert.deepEqual(checkArguments('repo.grep', ['x', { glob: [] }]), ['x', { glob: [] }], 'an empty glob list is for the repo to refuse');
  });

  it('files: a glob string or array, limit a positive integer', () => {
    refuses('repo.files', [42], /glob must be a string or a string\[\]/);
    refuses('repo.files', [undefined, { limit: 0 }], /options\.limit must be between 1/);
  });

  it('tree: depth 1 to 20 (the repo itself also takes 0, for its own callers)', () => {
    refuses('repo.tree', ['src', { depth: -1 }], /options\.depth must be between 1 and 20/);
    refuses('repo.tree', ['src', { depth: 0 }], /options\.depth must be between 1 and 20/);
    refuses('repo.tree', ['src', { depth: 21 }], /options\.depth must be between 1 and 20/);
  });

  it('clusters: maxChars a positive integer in range', () => {
    refuses('repo.clusters', [undefined, { maxChars: 0 }], /options\.maxChars must be between/);
  });

  it('rlm: files (the include list of a sub-repo) a non-empty array of strings', () => {
    refuses('rlm', ['q', { files: 'src/**' }], /options\.files must be an array/);
    refuses('rlm', ['q', { files: [] }], /options\.files must not be empty/);
  });
});
