/**
 * The CLI's ripgrep: @vscode/ripgrep-universal is an optional dependency. When it is
 * installed the CLI hands its rg binary to the repo; when it cannot be resolved (or its
 * binary is missing) findRipgrep gives null, grep runs in JavaScript with the same
 * results, and `rlm ask` works all the same.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findRipgrep, RIPGREP_PACKAGE } from '../../src/cli/ripgrep';
import { WorkspaceRepo } from '../../src/core/repo';
import { makeTempRepo, type TempRepo } from '../support/tempRepo';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '../support/fakeOpenAIServer';
import { js, rlmScript } from '../support/rlmScript';

const DIST = path.join(__dirname, '..', '..', 'dist');
const notFound: (specifier: string) => string = (specifier) => {
  throw Object.assign(new Error(`Cannot find module '${specifier}'`), { code: 'MODULE_NOT_FOUND' });
};

describe('findRipgrep', () => {
  let tmp: TempRepo;
  before(() => {
    tmp = makeTempRepo({ 'src/a.ts': 'export const MAX_RETRIES = 5;\n', 'src/b.ts': 'const x = MAX_RETRIES;\n' });
  });
  after(() => tmp.cleanup());

  test('finds the installed package\'s binary for this platform', () => {
    const rg = findRipgrep();
    assert.ok(rg !== null && path.isAbsolute(rg), 'the optional dependency is installed here');
    assert.ok(rg.includes(path.join('bin', `${process.platform}-${process.arch}`)), rg);
    assert.equal(findRipgrep((s) => require.resolve(s)), rg, 'an injected resolver that works finds the same binary');
  });

  test('gives null when the package cannot be resolved, and grep then runs in JavaScript with the same results', async () => {
    const ripgrepPath = findRipgrep(notFound);
    assert.equal(ripgrepPath, null);
    const js = new WorkspaceRepo(tmp.root, { ripgrepPath });
    const rg = new WorkspaceRepo(tmp.root, { ripgrepPath: findRipgrep() });
    const viaJs = await js.grep('MAX_RETRIES');
    assert.equal(js.lastGrepEngine, 'js');
    assert.deepEqual(viaJs.map((m) => `${m.path}:${m.line}`), ['src/a.ts:1', 'src/b.ts:1']);
    assert.deepEqual(await rg.grep('MAX_RETRIES'), viaJs);
    assert.equal(rg.lastGrepEngine, 'ripgrep');
  });

  test('gives null when the package is there without an executable binary for this platform', () => {
    const pkg = path.join(tmp.root, 'fake-package');
    const binDir = path.join(pkg, 'bin', `${process.platform}-${process.arch}`);
    mkdirSync(binDir, { recursive: true });
    writeFileSync(path.join(pkg, 'package.json'), '{}');
    const resolver = (specifier: string): string => {
      assert.equal(specifier, `${RIPGREP_PACKAGE}/package.json`);
      return path.join(pkg, 'package.json');
    };
    assert.equal(findRipgrep(resolver), null, 'no binary');
    const exe = path.join(binDir, process.platform === 'win32' ? 'rg.exe' : 'rg');
    writeFileSync(exe, '');
    chmodSync(exe, 0o644);
    if (process.platform !== 'win32') assert.equal(findRipgrep(resolver), null, 'not executable');
    chmodSync(exe, 0o755);
    assert.equal(findRipgrep(resolver), exe, 'found through the package.json it resolves');
  });
});

describe('rlm ask without @vscode/ripgrep-universal', () => {
  let work: string;
  let server: FakeOpenAIServer;
  before(async () => {
    work = await mkdtemp(path.join(tmpdir(), 'rlm-no-rg-'));
    // The built CLI copied where no node_modules lies above it, so the package cannot resolve.
    mkdirSync(path.join(work, 'bin'));
    // The CLI and the bundles it starts (sandbox, its zygote, the listing and grep workers).
    for (const file of ['cli.js', 'sandbox-worker.js', 'sandbox-zygote.js', 'listing-worker.js', 'grep-worker.js']) copyFileSync(path.join(DIST, file), path.join(work, 'bin', file));
    mkdirSync(path.join(work, 'repo', 'lib'), { recursive: true });
    writeFileSync(path.join(work, 'repo', 'lib', 'http.js'), 'const TIMEOUT = 30;\nconst MAX_RETRIES = 5;\n');
    server = await startFakeOpenAIServer({
      model: rlmScript(
        () => js('const hit = (await repo.grep("MAX_RETRIES"))[0]; answer.content = hit.path + ":" + hit.line + " " + hit.text; answer.ready = true'),
        () => 'unused',
      ),
      apiKey: 'sk-test',
    });
  });
  after(async () => {
    await server.close();
    await rm(work, { recursive: true, force: true });
  });

  test('answers with the JavaScript grep', async () => {
    const cli = path.join(work, 'bin', 'cli.js');
    assert.throws(() => createRequire(cli).resolve(RIPGREP_PACKAGE), /Cannot find module/, 'the package is out of reach of the copied CLI');
    const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, [cli, 'ask', 'Where is MAX_RETRIES?', '--repo', path.join(work, 'repo'), '--quiet'], {
        cwd: work,
        env: { PATH: process.env.PATH ?? '', OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: server.url },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'lib/http.js:2 const MAX_RETRIES = 5;\n\nFiles read:\n  lib/http.js:2\n');
  });
});
