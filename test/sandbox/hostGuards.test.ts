/**
 * What the host enforces without trusting the sandbox process: stand-in sandboxes
 * (test/support/workers) break the protocol on purpose, and the host must refuse, replace
 * the sandbox and say so. Also: no sandbox outlives its host, a crash or an exit.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { readFileSync } from 'node:fs';
import { Sandbox, dataLimitMb } from '../../src/core/sandbox/sandbox';

const workers = path.join(__dirname, '..', 'support', 'workers');

async function withRogue(options: ConstructorParameters<typeof Sandbox>[0], run: (sb: Sandbox) => Promise<void>): Promise<void> {
  const sb = new Sandbox({ handleCall: async () => 'answer', ...options, workerPath: path.join(workers, 'rogue.js') });
  try {
    await run(sb);
  } finally {
    await sb.dispose();
  }
}

describe('sandbox host: a sandbox that breaks the protocol', () => {
  const cases: Array<[string, string, Partial<ConstructorParameters<typeof Sandbox>[0]>, RegExp]> = [
    ['a call over the per-call cap', 'big-call', { maxCallBytes: 1_000 }, /went past its limits for host calls/],
    ['more calls than a cell may make', 'many-calls', { maxCallsPerCell: 3 }, /went past its limits for host calls/],
    ['calls over the per-cell cap together', 'cell-bytes', { maxCellBytes: 1_000 }, /went past its limits for host calls/],
    ['a line that is not JSON', 'not-json', {}, /The sandbox sent a message that is not JSON/],
    ['a call with a malformed undefined list', 'bad-undefined', {}, /The sandbox sent a malformed call/],
    ['an exit in the middle of a cell', 'exit', {}, /The sandbox crashed while running the cell/],
    ['an answer over the answer limit', 'huge-answer', {}, /The sandbox sent a malformed result/],
  ];
  for (const [name, source, limits, message] of cases) {
    test(name, () =>
      withRogue({ repoName: 'rogue', ...limits }, async (sb) => {
        const r = await sb.runCell(source);
        assert.match(r.error ?? '', message);
        assert.match(r.error ?? '', /variables from earlier cells are gone/);
        assert.equal(r.reset, 'crashed');
        assert.equal(sb.workersStarted, 2, 'a fresh sandbox replaced it');
      }),
    );
  }

  test("V8's out-of-memory report on stderr is told apart from a crash", () =>
    withRogue({ repoName: 'rogue', heapMb: 77 }, async (sb) => {
      const r = await sb.runCell('oom');
      assert.equal(r.reset, 'memory');
      assert.match(r.error ?? '', /^The cell ran out of memory \(limit 77 MiB\) and was stopped\./);
    }));

  test('a sandbox that never gets ready is given up on, with a message', async () => {
    const sb = new Sandbox({ repoName: 'slow', workerPath: path.join(workers, 'noReady.js'), startTimeoutMs: 300 });
    try {
      await assert.rejects(sb.runCell('1'), /^Error: The sandbox process did not start within 0\.3 s\.$/);
    } finally {
      await sb.dispose();
    }
  });

  test('a cell longer than the cell limit is refused before anything reads it', async () => {
    let seen = 0;
    const sb = new Sandbox({ repoName: 'demo', maxCellChars: 50, handleCall: async () => seen++ });
    try {
      const r = await sb.runCell(`await llm("${'x'.repeat(60)}")`);
      assert.match(r.error ?? '', /^The cell is 73 characters, more than the 50 a cell may have, so it was not run\./);
      assert.equal(seen, 0);
      assert.equal(sb.workersStarted, 0, 'no sandbox was even started for it');
    } finally {
      await sb.dispose();
    }
  });

  test('the sandbox process runs below the host\'s priority', { skip: process.platform !== 'linux' }, async () => {
    const sb = new Sandbox({ repoName: 'demo' });
    try {
      await sb.warm();
      // /proc/<pid>/stat: the 19th field is the nice value; the command (field 2) has no spaces here.
      const fields = readFileSync(`/proc/${await sb.pid()}/stat`, 'utf8').split(' ');
      assert.equal(Number(fields[18]), 10);
    } finally {
      await sb.dispose();
    }
  });

  test('on Linux the sandbox runs under a data limit its share derives', { skip: process.platform !== 'linux' }, async () => {
    const sb = new Sandbox({ repoName: 'demo', heapMb: 50, semiSpaceMb: 2, arrayBufferMb: 20 });
    try {
      await sb.warm();
      const limits = readFileSync(`/proc/${await sb.pid()}/limits`, 'utf8');
      const bytes = Number(/Max data size\s+(\d+)/.exec(limits)![1]);
      assert.equal(bytes, dataLimitMb({ heapMb: 50, semiSpaceMb: 2, arrayBufferMb: 20 }) * 1024 * 1024);
      assert.equal(dataLimitMb({ heapMb: 50, semiSpaceMb: 2, arrayBufferMb: 20 }), 204);
    } finally {
      await sb.dispose();
    }
  });
});

/** Resolves when process `pid` is gone; rejects after `ms`. */
function gone(pid: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      try {
        process.kill(pid, 0);
      } catch {
        return resolve();
      }
      if (Date.now() > deadline) {
        process.kill(pid, 'SIGKILL');
        return reject(new Error(`process ${pid} outlived its host`));
      }
      setTimeout(check, 50);
    };
    check();
  });
}

/** Starts orphanHost.ts and resolves with it and the pid of the spinning sandbox it reports. */
function startHost(mode: 'kill-me' | 'exit', workerPath?: string): Promise<{ host: ReturnType<typeof spawn>; sandboxPid: number }> {
  const host = spawn(process.execPath, ['--import', 'tsx', path.join(workers, 'orphanHost.ts'), mode, ...(workerPath ? [workerPath] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    host.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\n/.exec(out);
      if (m) resolve({ host, sandboxPid: Number(m[1]) });
    });
    host.once('exit', (code) => (out ? undefined : reject(new Error(`host exited with ${code} before reporting`))));
  });
}

describe('sandbox host: no sandbox outlives its host', { skip: process.platform === 'win32' }, () => {
  test('a host killed while its sandbox spins: the zygote ends the sandbox', async () => {
    const { host, sandboxPid } = await startHost('kill-me');
    host.kill('SIGKILL');
    // The zygote sees its channel close at once; the margin is for a loaded machine.
    await gone(sandboxPid, 15_000);
  });

  test('a host that exits while its sandbox spins: the zygote ends it (a stand-in that never reads again)', async () => {
    const { sandboxPid } = await startHost('exit', path.join(workers, 'spinner.js'));
    await gone(sandboxPid, 15_000);
  });
});
