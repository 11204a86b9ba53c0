/**
 * What every attack shares: a run of the real engine (runRlm, the real sandbox process, a real
 * repository on disk) with a scripted model that sends the attack as its first cell, a cell
 * that must work as its second, and an answer as its third; and the checks every attack
 * makes on the host while it ran.
 */
import { after, before } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runRlm, type RlmResult, type RlmRunOptions } from '../../src/core/engine/rlm';
import type { RlmEvent } from '../../src/core/engine/events';
import { WorkspaceRepo } from '../../src/core/repo/workspaceRepo';
import { ScriptedProvider, type RootScript, type SubScript } from '../support/scriptedProvider';
import { HOST_BOUNDS, describeHealth, underWatch, type HostHealth } from '../support/hostHealth';

export const linuxOnly = { skip: process.platform !== 'linux' ? 'measures sandbox memory through /proc' : false } as const;

/** A temporary repository: 60 TypeScript files of a few lines, and a README. */
function makeRepo(): { root: string; cleanup: () => void } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rlm-attack-'));
  fs.mkdirSync(path.join(root, 'src'));
  for (let i = 0; i < 60; i++) {
    fs.writeFileSync(path.join(root, 'src', `mod${i}.ts`), `// module ${i}\nexport function f${i}(x: number) {\n  return x + ${i}; // TODO check\n}\n`);
  }
  fs.writeFileSync(path.join(root, 'README.md'), '# attack target\n');
  return { root, cleanup: () => fs.rmSync(root, { recursive: true, force: true }) };
}

/** What the root model was told after each of its turns, in order (recursive RLMs' conversations left out). */
export function feedbacks(provider: ScriptedProvider): string[] {
  return provider.rootRequests
    .filter((r) => /^Question: attack$/m.test(r.messages[1]?.content ?? ''))
    .slice(1)
    .map((r) => r.messages.at(-1)!.content);
}

export const NEXT_CELL = 'print("next cell works", 1 + 1)';
const FINISH = '```js\nanswer.content = "done"; answer.ready = true\n```';

export interface EngineAttack {
  result: RlmResult;
  provider: ScriptedProvider;
  events: RlmEvent[];
  health: HostHealth;
  /** What the model was told after the attack turn. */
  told: string;
  /** What it was told after the turn that checks the next cell works. */
  toldNext: string;
}

/**
 * Runs one attack through the engine: the model's first reply is `attack` (a whole reply,
 * fences and all), its second runs NEXT_CELL, its third finishes. Children of rlm() get
 * `childScript` when given.
 */
export async function engineAttack(
  repoRoot: string,
  attack: string,
  opts: Partial<RlmRunOptions> & { subScript?: SubScript; childScript?: RootScript } = {},
): Promise<EngineAttack> {
  const root: RootScript = (ctx) => {
    if (ctx.question !== 'attack' && opts.childScript) return opts.childScript(ctx);
    if (ctx.turn === 0) return attack;
    if (ctx.turn === 1) return `Check.\n\n\`\`\`js\n${NEXT_CELL}\n\`\`\``;
    return FINISH;
  };
  const provider = new ScriptedProvider(root, opts.subScript ?? ((p) => `ok ${p.length}`));
  const events: RlmEvent[] = [];
  const { result, health } = await underWatch(() =>
    runRlm({ repo: new WorkspaceRepo(repoRoot), query: 'attack', root: { provider }, onEvent: (e) => events.push(e), ...opts }),
  );
  const told = feedbacks(provider);
  return { result, provider, events, health, told: told[0] ?? '', toldNext: told[1] ?? '' };
}

/**
 * One harmless run before the measured ones: the first run in a process loads and compiles
 * the engine's modules (tsx transpiles them on first use), which is start-up, not an attack.
 */
async function warmUp(repoRoot: string): Promise<void> {
  const provider = new ScriptedProvider(() => '```js\nawait repo.grep("TODO"); await llm("x"); answer.content = "warm"; answer.ready = true\n```');
  await runRlm({ repo: new WorkspaceRepo(repoRoot), query: 'warm up', root: { provider } });
}

/** A reply with one js cell. */
export function cell(code: string): string {
  return `Trying this.\n\n\`\`\`js\n${code}\n\`\`\``;
}

/** Figures of every attack of a file, printed at its end (for the report). */
export const measured: Array<{ name: string; health: HostHealth }> = [];

/** The checks every attack makes: the host stayed responsive and within its memory bound. */
export function assertHostHealthy(name: string, health: HostHealth, bounds: { totalGrowthMiB?: number } = {}): void {
  measured.push({ name, health });
  const text = describeHealth(health);
  assert.ok(health.maxDelayMs <= HOST_BOUNDS.maxDelayMs, `${name}: the event loop was blocked: ${text}`);
  assert.ok(health.rssGrowthMiB <= HOST_BOUNDS.hostGrowthMiB, `${name}: the host grew past its share: ${text}`);
  assert.ok(health.totalGrowthMiB <= (bounds.totalGrowthMiB ?? HOST_BOUNDS.totalGrowthMiB), `${name}: host and sandboxes grew past the bound: ${text}`);
}

/** The engine checks: the next cell ran, the run finished. */
export function assertRecovered(a: EngineAttack): void {
  assert.match(a.toldNext, /next cell works 2/, `the next cell did not work; the model was told:\n${a.toldNext.slice(0, 2000)}`);
  assert.equal(a.result.answer, 'done');
  assert.equal(a.result.ready, true);
}

/**
 * The attack file's target repository, as its tests see it: made and warmed up before they
 * run, removed after them, and the file's figures printed then. Call at the file's top level.
 */
export function attackTarget(file: string): { readonly root: string } {
  const target = { root: '' };
  let made: ReturnType<typeof makeRepo> | undefined;
  before(async () => {
    made = makeRepo();
    target.root = made.root;
    await warmUp(made.root);
  });
  after(() => {
    made?.cleanup();
    printMeasured(file);
  });
  return target;
}

/** Appends the figures of this file's attacks to the file RLM_ATTACK_FIGURES names, when it is set. */
function printMeasured(file: string): void {
  const out = process.env.RLM_ATTACK_FIGURES;
  if (!out) return;
  fs.appendFileSync(out, measured.map((m) => `${file} | ${m.name} | ${describeHealth(m.health)}\n`).join(''));
}
