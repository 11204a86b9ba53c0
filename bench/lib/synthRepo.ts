/**
 * Synthetic repositories for the root-context measurement: N small files under a top
 * level that is the same at every N (README.md, package.json, docs/, src/, test/, each
 * of the last three with mod00..mod15), so that a repository of 100 and one of 100,000
 * files differ only in how many files sit below those directories. File and directory
 * names are zero-padded, so paths have the same length at every size; every file has a
 * TODO on line 3.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const SYNTH_VERSION = 2;
const MODULES = 16;
/** Files of one kind in one module directory per group directory. */
const GROUP_FILES = 50;

export interface SynthFile {
  rel: string;
  content: string;
}

/** The i-th file of a synthetic repository (pure: the same i always gives the same file). */
export function synthFile(i: number): SynthFile {
  // Every (kind, module) pair comes once in each run of 64 files, so all top-level
  // directories exist from 64 files on: kinds src, src, test, docs.
  const slot = Math.floor((i % 64) / MODULES);
  const mod = `mod${String(i % MODULES).padStart(2, '0')}`;
  const group = `g${String(Math.floor(Math.floor(i / 64) / GROUP_FILES)).padStart(4, '0')}`;
  const id = String(i).padStart(6, '0');
  if (slot <= 1) {
    return {
      rel: `src/${mod}/${group}/file${id}.ts`,
      content: `// ${mod}: handler ${id}.\nexport function handler${id}(input: string): string {\n  // TODO: validate input for case ${id}\n  const value = input.trim();\n  return value.length > 0 ? value + "-${id}" : "${id}";\n}\n`,
    };
  }
  if (slot === 2) {
    return {
      rel: `test/${mod}/${group}/file${id}.test.ts`,
      content: `import { handler${id} } from "../../../src/${mod}/${group}/file${id}";\n\n// TODO: cover the empty input of case ${id}\ntest("handler${id}", () => expect(handler${id}(" a ")).toBe("a-${id}"));\n`,
    };
  }
  return {
    rel: `docs/${mod}/${group}/page${id}.md`,
    content: `# Page ${id}\n\n TODO: describe handler${id} of ${mod}.\n\nIt trims its input and appends its case number.\n`,
  };
}

/** Root-level files, present at every size. */
const ROOT_FILES: Record<string, string> = {
  'README.md': '# synthetic\n\nA generated repository for the root-context benchmark.\n',
  'package.json': '{\n  "name": "synthetic",\n  "version": "1.0.0",\n  "private": true\n}\n',
};

export function synthRoot(files: number): string {
  return path.join(os.tmpdir(), `rlm-bench-synth-v${SYNTH_VERSION}-${files}`);
}

/**
 * Makes (or reuses, when a complete one from an earlier invocation is there) the
 * repository of `files` files and returns its root. Written synchronously: for many tiny
 * files that is faster than juggling promises, and ~100,000 files take seconds.
 */
export function ensureSynthRepo(files: number): { root: string; created: boolean; ms: number } {
  const root = synthRoot(files);
  const marker = `${root}.complete`;
  const t0 = performance.now();
  if (fs.existsSync(marker) && fs.existsSync(root)) return { root, created: false, ms: 0 };
  fs.rmSync(root, { recursive: true, force: true });
  fs.mkdirSync(root, { recursive: true });
  for (const [rel, content] of Object.entries(ROOT_FILES)) fs.writeFileSync(path.join(root, rel), content);
  const made = new Set<string>();
  for (let i = 0; i < files - Object.keys(ROOT_FILES).length; i++) {
    const f = synthFile(i);
    const dir = path.dirname(f.rel);
    if (!made.has(dir)) {
      fs.mkdirSync(path.join(root, dir), { recursive: true });
      made.add(dir);
    }
    fs.writeFileSync(path.join(root, f.rel), f.content);
  }
  fs.writeFileSync(marker, `${new Date().toISOString()}\n`);
  return { root, created: true, ms: performance.now() - t0 };
}

export function removeSynthRepo(files: number): void {
  const root = synthRoot(files);
  fs.rmSync(`${root}.complete`, { force: true });
  fs.rmSync(root, { recursive: true, force: true });
}
