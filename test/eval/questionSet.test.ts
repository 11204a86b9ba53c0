/**
 * The JSONL question-set reader: every problem is reported at once, naming the line and
 * the field, with a hint of what to write; a set written out reads back the same.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { QuestionSetError, parseQuestionSet, readQuestionSet, writeQuestionSet } from '../../eval/questionSet';
import type { EvalQuestion } from '../../eval/types';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rlm-qset-'));
});
after(() => rm(dir, { recursive: true, force: true }));

function problems(lines: unknown[], extra: { defaultRepo?: string } = {}): string[] {
  const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');
  try {
    parseQuestionSet(text, { file: 'set.jsonl', baseDir: dir, ...extra });
  } catch (error) {
    assert.ok(error instanceof QuestionSetError, String(error));
    return error.problems;
  }
  return [];
}

const ok = { repo: '.', question: 'How many?', expected: 3, check: 'number' };

describe('question set reader', () => {
  test('reads valid lines: check names or objects, relative repos, ids by line when absent', () => {
    const qs = parseQuestionSet(
      [
        JSON.stringify(ok),
        '',
        JSON.stringify({ id: 'pick', repo: '.', question: 'Which?', expected: 'b', check: { type: 'choice', choices: ['first', 'second'] }, group: 'g' }),
        JSON.stringify({ id: 'pairs', repo: '.', question: 'Pairs?', expected: [], check: { type: 'set-f1', pairs: true }, meta: { any: 1 } }),
      ].join('\n'),
      { file: 'set.jsonl', baseDir: dir },
    );
    assert.deepEqual(
      qs.map((q) => [q.id, q.repo, q.check, q.expected, q.group ?? null]),
      [
        ['q1', dir, { type: 'number' }, 3, null],
        ['pick', dir, { type: 'choice', choices: { A: 'first', B: 'second' } }, 'B', 'g'],
        ['pairs', dir, { type: 'set-f1', pairs: true }, [], null],
      ],
    );
  });

  test('names the line and the field of each problem, all at once', () => {
    const found = problems([
      JSON.stringify(ok),
      '{"question": "x", "expected": 1, "check": "number", "repo": "."',
      { ...ok, expected: 'three' },
      { ...ok, check: 'numbr' },
      { ...ok, expcted: 1 },
      { id: 'q1', ...ok },
      { ...ok, repo: 'no/such/dir' },
      { ...ok, check: { type: 'choice', choices: { A: 'x', B: 'y' } }, expected: 'C' },
      { ...ok, check: { type: 'number', rel: -1 } },
      { ...ok, check: { type: 'exact', pairs: true }, expected: 'x' },
      { repo: '.', expected: 1, check: 'number' },
      [1, 2],
    ]);
    assert.deepEqual(found.map((p) => /^set\.jsonl line (\d+): /.exec(p)?.[1]), ['2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
    const text = found.join('\n');
    assert.match(text, /line 2: not valid JSON \(.*\); each line must be one JSON object/);
    assert.match(text, /line 3: field "expected" must be a number, or an object of numbers such as \{"src": 3, "lib": 0\}, for a number check; got "three"/);
    assert.match(text, /line 4: field "check" has an unknown type "numbr"; use one of exact, number, set-f1, choice, judge \(did you mean "number"\?\)/);
    assert.match(text, /line 5: unknown field "expcted" \(did you mean "expected"\?\)/);
    assert.match(text, /line 6: field "id" repeats "q1" from line 1; ids must be unique/);
    assert.match(text, /line 7: field "repo": "no\/such\/dir" \(.*no\/such\/dir\) is not a directory/);
    assert.match(text, /line 8: field "expected" must be the letter of one of the options \(A, B\) for a choice check; got "C"/);
    assert.match(text, /line 9: check option "rel" must be a number of 0 or more/);
    assert.match(text, /line 10: field "check" has an option "pairs" that an exact check does not take \(it takes: caseSensitive\)/);
    assert.match(text, /line 11: field "question" must be a non-empty string; got nothing/);
    assert.match(text, /line 12: expected a JSON object with "question", "expected" and "check"; got \[1,2\]/);
  });

  test('a missing repo points at --repo, which fills it in', () => {
    const { repo: _repo, ...noRepo } = ok;
    void _repo;
    assert.match(problems([noRepo])[0]!, /line 1: field "repo" is missing: give the repository path \(relative to the question file\), or pass --repo/);
    assert.deepEqual(problems([noRepo], { defaultRepo: dir }), []);
  });

  test('the error message lists the problems and counts them', () => {
    assert.throws(
      () => parseQuestionSet('{}\n', { file: 'x.jsonl', baseDir: dir }),
      (e: Error) => e instanceof QuestionSetError && /^x\.jsonl has 4 problems:\nx\.jsonl line 1: /.test(e.message),
    );
    assert.throws(() => parseQuestionSet('\n\n', { file: 'x.jsonl', baseDir: dir }), /x\.jsonl holds no questions/);
  });

  test('readQuestionSet says when the file is missing or a folder', async () => {
    await assert.rejects(readQuestionSet(path.join(dir, 'none.jsonl')), /No question file at .*none\.jsonl/);
    await assert.rejects(readQuestionSet(dir), /is a directory; give a \.jsonl question file/);
  });

  test('a written set reads back the same, with repo paths relative to the file', async () => {
    const questions: EvalQuestion[] = [
      { id: 'a', repo: dir, question: 'Q1', expected: { src: 2 }, check: { type: 'number', rel: 0.1 }, group: 'agg', meta: { seed: 3 } },
      { id: 'b', repo: dir, question: 'Q2', expected: 'x', check: { type: 'exact' } },
      { id: 'c', repo: dir, question: 'Q3', expected: 'A', check: { type: 'choice', choices: { A: 'one', B: 'two' } } },
    ];
    const file = path.join(dir, 'sets', 'out.jsonl');
    await writeQuestionSet(file, questions);
    const { readFile } = await import('node:fs/promises');
    const text = await readFile(file, 'utf8');
    assert.match(text.split('\n')[1]!, /^\{"id":"b","repo":"\.\.","question":"Q2","expected":"x","check":"exact"\}$/);
    assert.deepEqual(await readQuestionSet(file), questions);
  });
});
