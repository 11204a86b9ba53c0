/**
 * The built `rlm` executable (dist/cli.js) run as a real child process against the local
 * OpenAI and Ollama servers: output streams, exit codes, --json, --trace, provider
 * selection, bad input and Ctrl+C.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../support/fakeOpenAIServer';
import { startFakeOllamaServer } from '../support/fakeOllamaServer';
import { js, rlmScript } from '../support/rlmScript';
import { closedPort } from '../support/loopback';

const CLI = path.join(__dirname, '..', '..', 'dist', 'cli.js');
let dir: string;
let server: FakeOpenAIServer;

const twoTurns = rlmScript(
  ({ turn }) =>
    turn === 0
      ? js('const hit = (await repo.grep("MAX_RETRIES"))[0]; print(hit.path, hit.line)')
      : js('answer.content = "MAX_RETRIES is " + (await repo.read(hit.path, {start: hit.line, end: hit.line})).match(/\\d+/)[0] + " (" + hit.path + ":" + hit.line + ")"; answer.ready = true'),
  () => 'unused',
);

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(
  args: string[],
  env: Record<string, string>,
  opts: { onStderr?: (text: string, child: ReturnType<typeof spawn>) => void; program?: string; cwd?: string } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [opts.program ?? CLI, ...args], { cwd: opts.cwd ?? dir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => {
      stderr += d;
      opts.onStderr?.(stderr, child);
    });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}


before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'rlm-cli-'));
  await mkdir(path.join(dir, 'lib'));
  await writeFile(path.join(dir, 'lib', 'http.js'), 'const TIMEOUT = 30;\nconst MAX_RETRIES = 5;\nmodule.exports = { TIMEOUT, MAX_RETRIES };\n');
  server = await startFakeOpenAIServer({ model: twoTurns, apiKey: 'sk-right-key' });
});

after(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('rlm ask', () => {
  test('prints the answer on stdout, the files read after it, and progress on stderr', async () => {
    const r = await cli(['ask', 'What is MAX_RETRIES?', '--repo', dir, '--model', 'scripted-model'], { OPENAI_API_KEY: 'sk-right-key', OPENAI_BASE_URL: server.url });
    assert.equal(r.code, 0, r.stderr);
    // grep saw lines 2 and 3 (the export mentions MAX_RETRIES too); read saw line 2.
    assert.equal(r.stdout, 'MAX_RETRIES is 5 (lib/http.js:2)\n\nFiles read:\n  lib/http.js:2-3\n');
    assert.match(r.stderr, /step 1\/30/);
    assert.match(r.stderr, /step 2\/30/);
    assert.match(r.stderr, /tokens \d/);
    assert.doesNotMatch(r.stderr + r.stdout, /sk-right-key/);
  });

  test('--json prints one object with answer, citations, usage and limits; --trace writes the run', async () => {
    const trace = path.join(dir, 'trace.json');
    const r = await cli(['ask', 'What is MAX_RETRIES?', '--json', '--trace', trace, '--quiet', '--max-iterations', '5'], {
      OPENAI_API_KEY: 'sk-right-key',
      OPENAI_BASE_URL: server.url,
    });
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.answer, 'MAX_RETRIES is 5 (lib/http.js:2)');
    assert.equal(out.ready, true);
    assert.deepEqual(out.limitsHit, []);
    assert.deepEqual(out.citations, [{ path: 'lib/http.js', ranges: [{ start: 2, end: 3 }], via: ['grep', 'read'], unsaved: false }]);
    assert.equal(out.limits.maxIterations, 5);
    assert.ok(out.usage.inputTokens > 0);
    assert.equal(r.stderr.includes('step 1'), false, '--quiet silences progress');
    const saved = JSON.parse(await readFile(trace, 'utf8'));
    assert.equal(saved.root.steps.length, 2);
    assert.match(saved.root.steps[0].cells[0].code, /repo\.grep/);
    assert.doesNotMatch(JSON.stringify(saved), /sk-right-key/);
  });

  test('--max-memory sets the run\'s memory bound; one too small for the recursion asked for is a usage error', async () => {
    const env = { OPENAI_API_KEY: 'sk-right-key', OPENAI_BASE_URL: server.url };
    const ok = await cli(['ask', 'What is MAX_RETRIES?', '--json', '--quiet', '--max-memory', '700', '--max-depth', '3'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).limits.maxMemoryMb, 700);
    const tooSmall = await cli(['ask', 'What is MAX_RETRIES?', '--quiet', '--max-depth', '3'], env);
    assert.equal(tooSmall.code, 2);
    assert.match(tooSmall.stderr, /^rlm: A memory bound of 512 MiB is too small for 7 sandboxes at once .* Give at least 683 MiB \(--max-memory 683\), or lower --max-depth\.\n$/);
  });

  test('with prices given, the cost is reported, computed from the token counts', async () => {
    const r = await cli(['ask', 'What is MAX_RETRIES?', '--json', '--quiet', '--model', 'scripted-model', '--price-in', '2.5', '--price-out', '$10'], {
      OPENAI_API_KEY: 'sk-right-key',
      OPENAI_BASE_URL: server.url,
    });
    assert.equal(r.code, 0, r.stderr);
    const { usage } = JSON.parse(r.stdout);
    assert.ok(usage.inputTokens > 0 && usage.outputTokens > 0);
    assert.equal(usage.costUsd, Math.round(((usage.inputTokens * 2.5 + usage.outputTokens * 10) / 1e6) * 1e6) / 1e6);
  });

  test('uses a running Ollama when no OpenAI key is set, with its first model', async () => {
    const ollama = await startFakeOllamaServer({ model: twoTurns, knownModels: ['coder:7b', 'other:1b'] });
    try {
      const r = await cli(['ask', 'What is MAX_RETRIES?'], { OLLAMA_HOST: ollama.url });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /Ollama .* · coder:7b/);
      assert.match(r.stdout, /^MAX_RETRIES is 5/);
      const chats = ollama.requests.filter((q) => q.path === '/api/chat');
      assert.ok(chats.length === 2 && chats.every((q) => (q.body as { model: string }).model === 'coder:7b'));
    } finally {
      await ollama.close();
    }
  });

  test('with no provider available it says how to configure one (exit 2)', async () => {
    const r = await cli(['ask', 'anything'], { OLLAMA_HOST: `127.0.0.1:${await closedPort()}` });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /No model provider is configured\. Either set OPENAI_API_KEY/);
    assert.match(r.stderr, /start Ollama/);
    assert.equal(r.stdout, '');
  });

  test('a wrong key fails with an actionable message that does not repeat the key (exit 1)', async () => {
    const r = await cli(['ask', 'What is MAX_RETRIES?', '--model', 'scripted-model'], { OPENAI_API_KEY: 'sk-wrong-key-xyz', OPENAI_BASE_URL: server.url });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /rejected the API key/);
    assert.match(r.stderr, /OPENAI_API_KEY/);
    assert.doesNotMatch(r.stderr, /sk-wrong-key-xyz/);
  });

  test('an unreachable server is reported with where it looked (exit 1)', async () => {
    const r = await cli(['ask', 'q', '--model', 'm', '--base-url', `http://127.0.0.1:${await closedPort()}/v1`], {});
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Cannot reach .*127\.0\.0\.1/);
    assert.match(r.stderr, /Set the base URL with --base-url or OPENAI_BASE_URL\./, 'the CLI words the fix in its own flags');
  });

  for (const [args, message] of [
    [['ask'], /needs a question/],
    [['frobnicate'], /Unknown command "frobnicate"/],
    [['ask', 'q', '--repo', '/no/such/dir'], /--repo \/no\/such\/dir: no such directory/],
    [['ask', 'q', '--max-iterations', 'lots'], /--max-iterations must be a whole number/],
    [['ask', 'q', '--provider', 'acme'], /--provider must be "openai" or "ollama"/],
    [['ask', 'q', '--bogus'], /Unknown option '--bogus'/],
    [['ask', 'q', '--price-in', '1'], /Give both --price-in and --price-out/],
    [['ask', 'q', '--price-in', 'cheap', '--price-out', '1'], /--price-in must be a price in US dollars per million tokens/],
  ] as Array<[string[], RegExp]>) {
    test(`bad usage: rlm ${args.join(' ')} (exit 2)`, async () => {
      const r = await cli(args, { OPENAI_API_KEY: 'sk-right-key', OPENAI_BASE_URL: server.url });
      assert.equal(r.code, 2);
      assert.match(r.stderr, message);
    });
  }

  test('--help lists the options', async () => {
    const r = await cli(['--help'], {});
    assert.equal(r.code, 0);
    assert.match(r.stdout, /rlm ask "question" \[options\]/);
    assert.match(r.stdout, /--sub-model M/);
  });

  test('Ctrl+C stops the run, prints the draft and exits 130', async () => {
    const slow = await startFakeOpenAIServer({
      // Turn 2 never gets a reply, as with a stalled model.
      model: rlmScript(({ turn }) => (turn === 0 ? js('answer.content = "partial draft"') : new Promise<string>(() => {})), () => ''),
    });
    try {
      let sent = false;
      const r = await cli(['ask', 'q', '--model', 'scripted-model', '--base-url', slow.url], {}, {
        onStderr: (text, child) => {
          if (!sent && /step 2\/30/.test(text)) {
            sent = true;
            child.kill('SIGINT');
          }
        },
      });
      assert.equal(r.code, 130, r.stderr);
      assert.match(r.stdout, /^partial draft\n/);
      assert.match(r.stderr, /stopping/);
    } finally {
      await slow.close();
    }
  });
});

describe('rlm without typescript installed', () => {
  test('the bundle requires typescript at run time instead of carrying the compiler', async () => {
    const bundle = await readFile(CLI, 'utf8');
    assert.match(bundle, /require\("typescript"\)/);
    // A message only the compiler's own source has.
    assert.doesNotMatch(bundle, /Debug Failure\./, 'the TypeScript compiler is not bundled into dist/cli.js');
  });

  test('eval generate aggregate and pairs say what to install (exit 1); needle runs without it', async () => {
    // dist/cli.js alone in a folder with no node_modules above it: every other dependency is
    // bundled, so typescript is the one package Node cannot resolve there.
    const bare = await mkdtemp(path.join(tmpdir(), 'rlm-no-ts-'));
    try {
      const program = path.join(bare, 'dist', 'cli.js');
      await mkdir(path.dirname(program));
      await copyFile(CLI, program);
      await mkdir(path.join(bare, 'repo', 'src'), { recursive: true });
      await writeFile(path.join(bare, 'repo', 'src', 'a.ts'), "import { b } from './b';\nexport function a() { return b; }\n");
      await writeFile(path.join(bare, 'repo', 'src', 'b.ts'), `import { a } from './a';\nexport const b = 1;\n${'// filler line for the needle slices\n'.repeat(60)}`);
      for (const generator of ['aggregate', 'pairs']) {
        const r = await cli(['eval', 'generate', generator, '--repo', 'repo', '--out', `${generator}.jsonl`], {}, { program, cwd: bare });
        assert.equal(r.code, 1, r.stderr);
        assert.match(r.stderr, new RegExp(`^rlm: The ${generator} generator reads TypeScript/JavaScript files with the TypeScript compiler, which is not installed`));
        assert.match(r.stderr, /"npm install -g typescript" when rlm is installed globally, otherwise "npm install typescript" in the project where rlm is installed/);
        assert.doesNotMatch(r.stderr, /Require stack|at .*cli\.js/, 'a message, not a stack trace');
        assert.equal(existsSync(path.join(bare, `${generator}.jsonl`)), false);
      }
      const needle = await cli(['eval', 'generate', 'needle', '--repo', 'repo', '--sizes', '300', '--out', 'needle.jsonl'], {}, { program, cwd: bare });
      assert.equal(needle.code, 0, needle.stderr);
      assert.match(needle.stderr, /wrote 1 needle question/);
    } finally {
      await rm(bare, { recursive: true, force: true });
    }
  });
});
