/**
 * The answer's mentions of files become citations only for what the run read.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { linkCitations, type AnswerSegment } from '../../src/vscode/citationLinks';
import type { Citation } from '../../src/core/engine/citations';

const read: Citation[] = [
  { path: 'src/config.ts', ranges: [{ start: 1, end: 20 }], via: ['read'], unsaved: false },
  { path: 'src/server/http.ts', ranges: [{ start: 40, end: 60 }], via: ['grep'], unsaved: false },
  { path: 'web/src/config.ts', ranges: [{ start: 1, end: 5 }], via: ['read'], unsaved: false },
];

const cites = (segments: AnswerSegment[]) => segments.filter((s) => s.kind === 'cite');
const text = (segments: AnswerSegment[]) => segments.map((s) => (s.kind === 'text' ? s.text : `[${s.label}]`)).join('');

describe('citation links', () => {
  test('path:line and path:start-end mentions of files read become citations with their lines', () => {
    const s = linkCitations('The port is set in src/config.ts:4 and served in src/server/http.ts:42-50.', read);
    assert.deepEqual(cites(s), [
      { kind: 'cite', path: 'src/config.ts', range: { start: 4, end: 4 }, label: 'src/config.ts:4' },
      { kind: 'cite', path: 'src/server/http.ts', range: { start: 42, end: 50 }, label: 'src/server/http.ts:42-50' },
    ]);
    assert.equal(text(s), 'The port is set in [src/config.ts:4] and served in [src/server/http.ts:42-50].');
  });

  test('a file the run never read stays plain text, also as a Markdown link', () => {
    const s = linkCitations('See src/secret.ts:3 and [the docs](docs/guide.md) and `lib/x.js`.', read);
    assert.deepEqual(cites(s), []);
    assert.equal(text(s), 'See src/secret.ts:3 and the docs (docs/guide.md) and `lib/x.js`.');
  });

  test('lines the run did not read link to the file, not to the lines', () => {
    const s = linkCitations('Look at src/server/http.ts:5.', read);
    assert.deepEqual(cites(s), [{ kind: 'cite', path: 'src/server/http.ts', range: null, label: 'src/server/http.ts:5' }]);
  });

  test('backticked mentions, #L anchors and relative Markdown links to files read are cited', () => {
    const s = linkCitations('In `src/config.ts:2`, [here](src/server/http.ts#L41) and src/config.ts#L3-L5.', read);
    assert.deepEqual(
      cites(s).map((c) => c.kind === 'cite' && [c.path, c.range]),
      [
        ['src/config.ts', { start: 2, end: 2 }],
        ['src/server/http.ts', { start: 41, end: 41 }],
        ['src/config.ts', { start: 3, end: 5 }],
      ],
    );
    assert.equal(text(s), 'In [src/config.ts:2], [src/server/http.ts#L41] and [src/config.ts#L3-L5].');
  });

  test('a unique suffix names its file; an ambiguous one is left alone', () => {
    const s = linkCitations('http.ts:45 handles it; config.ts is in two places.', read);
    assert.deepEqual(cites(s).map((c) => c.kind === 'cite' && c.path), ['src/server/http.ts']);
  });

  test('nothing inside fenced code blocks is touched', () => {
    const answer = 'Before src/config.ts:1\n\n```ts\n// src/config.ts:2\nconst x = 1;\n```\nAfter src/config.ts:3';
    const s = linkCitations(answer, read);
    assert.deepEqual(cites(s).map((c) => c.kind === 'cite' && c.range?.start), [1, 3]);
    assert.match(text(s), /```ts\n\/\/ src\/config\.ts:2\nconst x = 1;\n```/);
  });

  test('without citations the answer comes back as it was', () => {
    const answer = 'Nothing read: src/config.ts:1.';
    assert.deepEqual(linkCitations(answer, []), [{ kind: 'text', text: answer }]);
  });
});
