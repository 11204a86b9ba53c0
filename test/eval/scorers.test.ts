/**
 * Scorers, answer extraction and the judge's reply parsing: what counts as the same
 * answer, how tolerances and partial credit work, and what is read from a reply.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { extractAnswer, queryText } from '../../eval/answerFormat';
import { judgeAnswer, parseJudgeReply } from '../../eval/judge';
import { normalisePair, parseChoice, parseNumber, parseNumberMap, scoreAnswer } from '../../eval/scorers';
import type { Completion, CompletionRequest, ModelProvider } from '../../src/core/providers/types';

describe('exact', () => {
  const check = { type: 'exact' } as const;
  test('ignores case, surrounding quotes and emphasis, a final full stop and extra spaces', () => {
    for (const answer of ['amber-falcon-4821', 'AMBER-FALCON-4821', '"amber-falcon-4821"', '`amber-falcon-4821`.', '**amber-falcon-4821**', '  amber-falcon-4821  ']) {
      assert.deepEqual(scoreAnswer(answer, 'amber-falcon-4821', check), { score: 1, correct: true, detail: 'exact match' }, answer);
    }
  });
  test('is not a substring match', () => {
    const s = scoreAnswer('the code is amber-falcon-4821', 'amber-falcon-4821', check);
    assert.equal(s.score, 0);
    assert.match(s.detail, /expected "amber-falcon-4821", got "the code is amber-falcon-4821"/);
  });
  test('accepts any of several expected strings, and honours caseSensitive', () => {
    assert.equal(scoreAnswer('Port', ['port', 'PORT'], check).score, 1);
    assert.equal(scoreAnswer('Port', 'port', { type: 'exact', caseSensitive: true }).score, 0);
  });
  test('takes the first line when the model added a remark below the answer', () => {
    assert.equal(scoreAnswer('42abc\n(found in src/x.ts)', '42abc', check).score, 1);
  });
});

describe('number', () => {
  test('reads the first number, thousands separators included', () => {
    assert.equal(parseNumber('about 1,234 functions'), 1234);
    assert.equal(parseNumber('-3.5e2'), -350);
    assert.equal(parseNumber('none'), null);
  });
  test('passes within the absolute or relative tolerance, whichever is larger', () => {
    assert.equal(scoreAnswer('100', 100, { type: 'number' }).score, 1);
    assert.equal(scoreAnswer('101', 100, { type: 'number' }).score, 0);
    assert.equal(scoreAnswer('109', 100, { type: 'number', rel: 0.1 }).score, 1);
    assert.equal(scoreAnswer('111', 100, { type: 'number', rel: 0.1 }).score, 0);
    assert.equal(scoreAnswer('3', 1, { type: 'number', abs: 2, rel: 0.1 }).score, 1);
    assert.match(scoreAnswer('no idea', 5, { type: 'number' }).detail, /found no number/);
  });
  test('a map of numbers scores the share of keys within tolerance; a missing key counts as 0', () => {
    const expected = { src: 3, 'src/util': 1, lib: 10 };
    const answer = 'src: 3\n- ./src/util/: 2\n`lib` = 11\nextra: 4';
    const s = scoreAnswer(answer, expected, { type: 'number', rel: 0.1 });
    // src right, src/util wrong (2 vs 1), lib right (11 within 10%), extra wrong (4 vs 0).
    assert.equal(s.score, 0.5);
    assert.equal(s.correct, false);
    assert.match(s.detail, /2 of 4 wrong: src\/util expected 1, got 2; extra expected 0, got 4/);
    assert.equal(scoreAnswer('{"src": 3, "src/util": 1, "lib": 10}', expected, { type: 'number' }).score, 1);
  });
  test('map keys: "." and "(root)" are the root, zero counts may be left out', () => {
    assert.deepEqual(parseNumberMap('(root): 2\n| src | 1 |\n3. lib -> 4\ndocs — 5\nnot a row'), { '.': 2, src: 1, lib: 4, docs: 5 });
    assert.equal(scoreAnswer('.: 2', { '.': 2, src: 0 }, { type: 'number' }).score, 1);
  });
});

describe('set F1', () => {
  test('pairs are unordered and written in several ways', () => {
    assert.equal(normalisePair('`./src/b.ts` <-> `src/a.ts`'), 'src/a.ts <-> src/b.ts');
    assert.equal(normalisePair('src/a.ts ↔ src/b.ts'), 'src/a.ts <-> src/b.ts');
    assert.equal(normalisePair('- (src/b.ts, src/a.ts)'), 'src/a.ts <-> src/b.ts');
    assert.equal(normalisePair('src/a.ts'), null);
  });
  test('scores precision and recall as F1', () => {
    const expected = ['a.ts <-> b.ts', 'c.ts <-> d.ts'];
    const all = scoreAnswer('b.ts <-> a.ts\nd.ts <-> c.ts', expected, { type: 'set-f1', pairs: true });
    assert.deepEqual([all.score, all.correct], [1, true]);
    // One right, one wrong: precision 1/2, recall 1/2.
    const half = scoreAnswer('a.ts <-> b.ts\ne.ts <-> f.ts', expected, { type: 'set-f1', pairs: true });
    assert.equal(half.score, 0.5);
    assert.match(half.detail, /precision 1\/2, recall 1\/2\); missing: c\.ts <-> d\.ts; extra: e\.ts <-> f\.ts/);
    // One right, nothing wrong: precision 1, recall 1/2, F1 2/3.
    assert.equal(scoreAnswer('a.ts <-> b.ts', expected, { type: 'set-f1', pairs: true }).score, 0.666667);
  });
  test('NONE against an empty set is right; anything against an empty set is wrong', () => {
    assert.equal(scoreAnswer('NONE', [], { type: 'set-f1', pairs: true }).score, 1);
    assert.equal(scoreAnswer('a.ts <-> b.ts', [], { type: 'set-f1', pairs: true }).score, 0);
    assert.equal(scoreAnswer('NONE', ['a.ts <-> b.ts'], { type: 'set-f1', pairs: true }).score, 0);
  });
  test('plain items: one per line, or comma-separated on one line; bullets and case ignored', () => {
    assert.equal(scoreAnswer('- Alpha\n* beta\n1. GAMMA', ['alpha', 'beta', 'gamma'], { type: 'set-f1' }).score, 1);
    assert.equal(scoreAnswer('alpha, beta', ['alpha', 'beta', 'gamma'], { type: 'set-f1' }).score, 0.8);
  });
});

describe('multiple choice', () => {
  const choices = { A: 'It caches the result', B: 'It retries the request', C: 'It logs and rethrows' };
  test('reads the letter however it is written, or the text of an option', () => {
    for (const [answer, letter] of [['B', 'B'], ['(B)', 'B'], ['b.', 'B'], ['Option C', 'C'], ['The answer is A', 'A'], ['It retries the request', 'B'], ['C) It logs and rethrows', 'C']] as const) {
      assert.equal(parseChoice(answer, choices), letter, answer);
    }
    assert.equal(parseChoice('D', choices), null, 'not an option');
  });
  test('scores 1 for the right letter only', () => {
    const check = { type: 'choice', choices } as const;
    assert.equal(scoreAnswer('(B)', 'B', check).score, 1);
    assert.deepEqual(scoreAnswer('A', 'B', check), { score: 0, correct: false, detail: 'expected B, chose A' });
  });
});

describe('answer extraction', () => {
  test('takes what follows the last FINAL ANSWER line, however it is emphasised', () => {
    assert.deepEqual(extractAnswer('I think FINAL ANSWER: x\nmore\n**Final Answer:** 42', { type: 'number' }), { text: '42', by: 'marker' });
    assert.deepEqual(extractAnswer('Counted.\nFINAL ANSWER:\nsrc: 1\nlib: 2\n', { type: 'number' }), { text: 'src: 1\nlib: 2', by: 'marker' });
    assert.deepEqual(extractAnswer('## FINAL ANSWER: `amber`', { type: 'exact' }), { text: '`amber`', by: 'marker' });
  });
  test('falls back by check type when the marker is missing', () => {
    assert.deepEqual(extractAnswer('There are 12 files and 7 of them lack docs.', { type: 'number' }), { text: '7', by: 'fallback' });
    assert.deepEqual(extractAnswer('Here:\nsrc: 1\nlib: 2', { type: 'number' }), { text: 'Here:\nsrc: 1\nlib: 2', by: 'fallback' });
    assert.deepEqual(extractAnswer('Reading the code...\namber-falcon', { type: 'exact' }), { text: 'amber-falcon', by: 'fallback' });
    assert.equal(extractAnswer('After reading, the answer is (C).', { type: 'choice', choices: { A: 'a', B: 'b', C: 'c' } }).text, 'C');
  });
  test('a judged answer is taken whole', () => {
    assert.deepEqual(extractAnswer('  It does X.\nFINAL ANSWER: X  ', { type: 'judge' }), { text: 'It does X.\nFINAL ANSWER: X', by: 'whole' });
  });
  test('the question text asks for the marker in a form the check can read, and lists options', () => {
    const q = { id: 'q', repo: '/r', question: 'Which?', expected: 'A', check: { type: 'choice' as const, choices: { B: 'second', A: 'first' } } };
    assert.equal(queryText(q), 'Which?\n\nOptions:\nA. first\nB. second\n\nEnd your answer with a line of the form "FINAL ANSWER: <letter>" giving only the letter of the correct option.');
    assert.doesNotMatch(queryText({ ...q, expected: 'ref', check: { type: 'judge' } }), /FINAL ANSWER/);
  });
});

describe('judge', () => {
  test('reads the five marks, also inside a code fence, and refuses incomplete or out-of-range ones', () => {
    const marks = { correctness: 15, completeness: 12, relevance: 18, clarity: 16, reasoning: 14 };
    assert.deepEqual(parseJudgeReply(`\`\`\`json\n${JSON.stringify(marks)}\n\`\`\``), marks);
    assert.equal(parseJudgeReply('{"correctness": 15}'), null);
    assert.equal(parseJudgeReply(JSON.stringify({ ...marks, clarity: 25 })), null);
    assert.equal(parseJudgeReply('no json'), null);
  });

  test('the score is the total out of 100; a bad reply is asked again once', async () => {
    const replies = ['I would say good.', JSON.stringify({ correctness: 18, completeness: 16, relevance: 17, clarity: 15, reasoning: 14 })];
    const requests: CompletionRequest[] = [];
    const provider: ModelProvider = {
      id: 'fake',
      defaultModel: 'judge',
      maxInputTokens: () => 128_000,
      async complete(request): Promise<Completion> {
        requests.push(request);
        return { text: replies.shift()!, usage: { inputTokens: 100, outputTokens: 10 }, model: 'judge' };
      },
    };
    const verdict = await judgeAnswer({ provider, model: 'judge', question: 'Q?', reference: 'Ref.', candidate: 'Cand.' });
    assert.equal(verdict.score, 0.8);
    assert.equal(verdict.correct, true);
    assert.equal(verdict.detail, 'judge 80/100 (correctness 18, completeness 16, relevance 17, clarity 15, reasoning 14)');
    assert.deepEqual(verdict.usage, { inputTokens: 200, outputTokens: 20 });
    assert.equal(requests.length, 2);
    assert.match(requests[0]!.messages[1]!.content, /Question:\nQ\?\n\nReference answer:\nRef\.\n\nCandidate answer:\nCand\./);
    const empty = await judgeAnswer({ provider, model: 'judge', question: 'Q?', reference: 'Ref.', candidate: '  ' });
    assert.equal(empty.score, 0);
    assert.equal(requests.length, 2, 'an empty answer is not sent to the judge');
  });
});
