/**
 * The SWE-QA loader on fixtures in the benchmark's formats (per-repository JSONL with
 * `answer` or `ground_truth`, repos.txt pins, combined files with `repo`/`commit_id`,
 * multiple-choice lines), against checkouts made in a temporary folder.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/run';
import { readQuestionSet } from '../../eval/questionSet';
import { cloneCommand, headCommit, importSweQa, parsePins } from '../../eval/sweQa';

const FIXTURE = path.join(__dirname, 'fixtures', 'swe-qa');
const FLASK_SHA = '85c5d93' + 'a'.repeat(33);
const PYTEST_SHA = 'f'.repeat(40);
let repos: string;

async function checkout(name: string, git: Record<string, string>): Promise<void> {
  await mkdir(path.join(repos, name, '.git'), { recursive: true });
  await writeFile(path.join(repos, name, 'README.md'), `${name}\n`);
  for (const [file, text] of Object.entries(git)) {
    await mkdir(path.dirname(path.join(repos, name, '.git', file)), { recursive: true });
    await writeFile(path.join(repos, name, '.git', file), text);
  }
}

before(async () => {
  repos = await mkdtemp(path.join(tmpdir(), 'rlm-sweqa-repos-'));
  await checkout('flask', { HEAD: 'ref: refs/heads/main\n', 'refs/heads/main': `${FLASK_SHA}\n` });
  await checkout('pytest', { HEAD: `${PYTEST_SHA}\n` });
});
after(() => rm(repos, { recursive: true, force: true }));

describe('SWE-QA loader', () => {
  test('reads the pins of repos.txt and commit-version.txt', () => {
    assert.deepEqual(parsePins('https://github.com/pallets/flask 85c5d93\n\n# comment\nfineract   f193bbb\nShiro\t4102f1f\nbroken-line\n'), [
      { name: 'flask', url: 'https://github.com/pallets/flask', commit: '85c5d93' },
      { name: 'fineract', url: null, commit: 'f193bbb' },
      { name: 'Shiro', url: null, commit: '4102f1f' },
    ]);
  });

  test('reads the checked-out commit: a branch, packed refs, a detached head, a worktree', async () => {
    assert.equal(headCommit(path.join(repos, 'flask')), FLASK_SHA);
    assert.equal(headCommit(path.join(repos, 'pytest')), PYTEST_SHA);
    const packed = path.join(repos, 'packed');
    await mkdir(path.join(packed, '.git'), { recursive: true });
    await writeFile(path.join(packed, '.git', 'HEAD'), 'ref: refs/heads/dev\n');
    await writeFile(path.join(packed, '.git', 'packed-refs'), `# pack-refs with: peeled\n${'b'.repeat(40)} refs/heads/dev\n`);
    assert.equal(headCommit(packed), 'b'.repeat(40));
    const worktree = path.join(repos, 'wt');
    await mkdir(worktree);
    await writeFile(path.join(worktree, '.git'), `gitdir: ${path.join(packed, '.git')}\n`);
    assert.equal(headCommit(worktree), 'b'.repeat(40));
    assert.equal(headCommit(path.join(repos, 'no-such')), null);
  });

  test('imports per-repository files as judged questions, pinned by repos.txt found beside them', async () => {
    const result = await importSweQa({ sources: [path.join(FIXTURE, 'Benchmark'), path.join(FIXTURE, 'datasets', 'questions')], reposDir: repos });
    assert.equal(result.pinsFile, path.join(FIXTURE, 'repos.txt'));
    assert.deepEqual(
      result.questions.map((q) => [q.id, q.group, path.basename(q.repo), q.check.type, q.meta!.commit]),
      [
        ['flask-1', 'flask', 'flask', 'judge', '85c5d93'],
        ['flask-2', 'flask', 'flask', 'judge', '85c5d93'],
        ['pytest-1', 'pytest', 'pytest', 'judge', '5989efe'],
      ],
    );
    assert.match(result.questions[0]!.expected as string, /^In the `_got_registered_once` attribute/);
    assert.equal(result.questions[2]!.expected, 'The `FixtureManager` collects them from conftest.py files and plugins.', 'the older layout keeps the reference in ground_truth');
    assert.deepEqual(result.skipped, ['flask.jsonl line 3: no reference answer ("answer" or "ground_truth")', 'flask.jsonl line 4: not a JSON object (Unexpected token \'o\', "not json at all" is not valid JSON)']);
    assert.deepEqual(result.missing, [{ name: 'requests', questions: 1, pin: { name: 'requests', url: 'https://github.com/psf/requests', commit: '46e939b' } }]);
    assert.equal(cloneCommand(repos, result.missing[0]!), `git clone https://github.com/psf/requests ${path.join(repos, 'requests')} && git -C ${path.join(repos, 'requests')} checkout 46e939b`);
    assert.deepEqual(result.wrongCommit, [{ name: 'pytest', pinned: '5989efe', actual: PYTEST_SHA }], 'flask is at its pin, pytest is not');
  });

  test('combined files: repo and commit_id on the line win; options with correct_answer make a choice question', async () => {
    const result = await importSweQa({ sources: [path.join(FIXTURE, 'combined.jsonl')], reposDir: repos, pins: path.join(FIXTURE, 'repos.txt') });
    const [where, choice] = result.questions;
    assert.equal(where!.id, 'flask-1');
    assert.equal(where!.meta!.commit, '0123abc');
    assert.equal(where!.meta!.qa_type, 'where');
    assert.deepEqual(result.wrongCommit, [{ name: 'flask', pinned: '0123abc', actual: FLASK_SHA }]);
    assert.deepEqual(choice!.check, { type: 'choice', choices: { A: 'SecureCookieSessionInterface', B: 'NullSession', C: 'SessionMixin' } });
    assert.equal(choice!.expected, 'A');
    assert.equal(choice!.meta!.category, 'concept');
  });

  test('a missing repositories folder is an error that says how to make one', async () => {
    await assert.rejects(importSweQa({ sources: [FIXTURE], reposDir: path.join(repos, 'nope') }), /--repos .*nope: no such directory\. Clone the SWE-QA repositories there first/);
  });
});

describe('rlm eval import-swe-qa', () => {
  async function cli(argv: string[], cwd: string) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    let err = '';
    stdout.on('data', (d) => (out += d));
    stderr.on('data', (d) => (err += d));
    const code = await runCli(argv, { env: {}, cwd, stdout, stderr });
    return { code, stdout: out, stderr: err };
  }

  test('writes a question set that rlm eval reads, and says what it left out and why', async () => {
    const out = path.join(repos, 'swe-qa.jsonl');
    const r = await cli(['eval', 'import-swe-qa', path.join(FIXTURE, 'Benchmark'), path.join(FIXTURE, 'datasets', 'questions'), '--repos', repos, '--out', out], repos);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /1 question left out: no checkout under .* of requests\. To add them:\n  git clone https:\/\/github\.com\/psf\/requests /);
    assert.match(r.stderr, /warning: pytest is checked out at f{40}, not the pinned 5989efe; .* Run: git -C .*pytest checkout 5989efe/);
    assert.match(r.stderr, /2 lines skipped:\n  flask\.jsonl line 3: no reference answer/);
    assert.match(r.stderr, /wrote 3 SWE-QA questions over 2 repositories \(flask, pytest\) to .*swe-qa\.jsonl; commits pinned by .*repos\.txt/);
    const questions = await readQuestionSet(out);
    assert.deepEqual(questions.map((q) => q.id), ['flask-1', 'flask-2', 'pytest-1']);
    assert.equal(questions[0]!.repo, path.join(repos, 'flask'));
    assert.match((await readFile(out, 'utf8')).split('\n')[0]!, /"repo":"flask".*"check":"judge"/);
  });

  test('nothing importable is bad usage (exit 2)', async () => {
    const empty = await mkdtemp(path.join(tmpdir(), 'rlm-sweqa-empty-'));
    try {
      const r = await cli(['eval', 'import-swe-qa', path.join(FIXTURE, 'Benchmark', 'requests.jsonl'), '--repos', empty, '--out', 'x.jsonl'], empty);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /No SWE-QA question could be imported: none of their repositories is checked out under/);
    } finally {
      await rm(empty, { recursive: true, force: true });
    }
  });
});
