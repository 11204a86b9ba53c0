/**
 * The fixed code the scripted root model writes in the context and soak measurements.
 * Pure strings: the same code runs at every repository size, so any growth of the root
 * prompt comes from the engine, not from the script.
 */

/** Root turns of the context trajectory (5): probe, list, grep, read, delegate, answer. */
export const CONTEXT_TRAJECTORY: readonly string[] = [
  'print(await repo.tree())',
  'const some = await repo.files("**/*.ts", { limit: 40 });\nprint(some.length, some.join("\\n"))',
  'const hits = await repo.grep("TODO", { maxResults: 25 });\nprint(hits.map((h) => h.path + ":" + h.line + ": " + h.text).join("\\n"))',
  'const text = await repo.read(hits[0].path, { start: 1, end: 30 });\nprint(text)',
  'const note = await llm("Summarise this file:\\n" + text);\nprint(note)',
  'answer.content = "The TODOs are in " + hits.length + " places, e.g. " + hits[0].path + ". " + note;\nanswer.ready = true',
];

/** Sub-prompts per soak run's llm.batch. */
export const SOAK_SUB_PROMPTS = 4;
export const SOAK_CHILD_QUESTION = 'What does the first file export?';

/** Root code of a soak run: grep and list, read and fan out, recurse once, answer. */
export function soakRootCode(turn: number, question = ''): string {
  if (question === SOAK_CHILD_QUESTION) {
    return 'const f = await repo.files(); answer.content = "child saw " + f.length + " files"; answer.ready = true';
  }
  switch (turn) {
    case 0:
      return 'const hits = await repo.grep("export", { maxResults: 20 });\nconst files = await repo.files("**/*.ts", { limit: 10 });\nprint(hits.length, files.length)';
    case 1:
      return `const texts = await Promise.all(files.slice(0, ${SOAK_SUB_PROMPTS}).map((f) => repo.read(f)));\nconst notes = await llm.batch(texts.map((t) => "Summarise:\\n" + t));\nprint(notes.length)`;
    case 2:
      return `const deep = await rlm(${JSON.stringify(SOAK_CHILD_QUESTION)}, { files: [files[0]] });\nprint(deep)`;
    default:
      return 'answer.content = "Found " + hits.length + " exports; " + notes.join(" | ") + "; " + deep;\nanswer.ready = true';
  }
}

/** The question of a root conversation, from its first user message. */
export function questionOf(messages: ReadonlyArray<{ content: string }>): string {
  return /^Question: (.*)$/m.exec(messages[1]?.content ?? '')?.[1] ?? '';
}

/**
 * Root code of the host-load run (bench/children/hostLoadChild.ts): a model that lists,
 * greps, reads and fans out hard over a big tree, hostile patterns and a hostile glob
 * included, while the host's event loop and memory are watched. The last turn's answer is
 * a JSON summary of what the run did.
 */
export const HOSTLOAD_ORDINARY_PATTERNS: readonly string[] = [
  'import', 'def ', 'class \\w+', 'TODO', 'self\\.\\w+ = ', 'raise \\w+Error', 'return None', '\\bNone\\b',
  'lambda', 'async def', 'yield', '__init__', '@property', 'except \\w+', 'with open\\(', 'print\\(',
  'XMLHttpRequest', 'Licensed under', 'deprecated', '[0-9a-f]{40}', 'function\\s+\\w+', 'https?://\\S+', '^\\s*#', '\\d{4}-\\d{2}-\\d{2}',
];

/** Patterns that backtrack on ordinary lines (the deadline stops them) or that rg rejects (JavaScript judges every line). */
export const HOSTLOAD_HOSTILE_PATTERNS: readonly string[] = [
  '\\w*\\w*\\w*\\w*\\w*\\w*\\w*!',
  '(\\w+\\s?){10}=>',
  '(.*?,){12}x',
  '[^]*\\w*\\w*\\w*\\w*#',
  '(?<=\\w*)\\w*\\w*\\w*\\w*!',
  '(\\w+)\\w*\\w*\\w*\\1!',
];

export function hostLoadRootCode(turn: number): string {
  switch (turn) {
    case 0:
      return 'print(await repo.tree());\nglobalThis.all = await repo.files();\nconst py = await repo.files("**/*.py");\nprint(all.length, py.length)';
    case 1:
      return [
        `const pats = ${JSON.stringify(HOSTLOAD_ORDINARY_PATTERNS)};`,
        'const results = await Promise.all(pats.flatMap((p) => [repo.grep(p, { maxResults: 5000 }), repo.grep(p, { ignoreCase: true, glob: "**/*.py" }), repo.grep(p, { glob: ["**/test*/**", "!**/*.txt"] })]));',
        'globalThis.grepHits = results.reduce((n, r) => n + r.length, 0);',
        'globalThis.greps = results.length;',
        'print(greps, "greps,", grepHits, "hits")',
      ].join('\n');
    case 2:
      return [
        `const hostile = ${JSON.stringify(HOSTLOAD_HOSTILE_PATTERNS)};`,
        'globalThis.stopped = 0; globalThis.hostileHits = 0;',
        'const outcomes = await Promise.all(hostile.map((p) => repo.grep(p).then((h) => { hostileHits += h.length; return p + " → " + h.length; }, (e) => { stopped++; return p + " → " + String(e.message).slice(0, 100); })));',
        'try { await repo.grep("import", { glob: "**/" + "*e".repeat(60) + "z" }); } catch (e) { stopped++; }',
        'print(outcomes.join("\\n"))',
      ].join('\n');
    case 3:
      return [
        'const py = all.filter((f) => f.endsWith(".py")).slice(0, 600);',
        'const texts = await Promise.all(py.map((f) => repo.read(f).catch(() => "")));',
        'const ranges = await Promise.all(py.slice(0, 300).map((f) => repo.read(f, { start: 1, end: 40 }).catch(() => "")));',
        'const groups = await repo.clusters("**/*.py");',
        'globalThis.readChars = texts.reduce((n, t) => n + t.length, 0) + ranges.reduce((n, t) => n + t.length, 0);',
        'globalThis.reads = texts.length + ranges.length;',
        'globalThis.sample = texts.slice(0, 16);',
        'globalThis.someFiles = py.slice(0, 300);',
        'print(reads, readChars, groups.length)',
      ].join('\n');
    case 4:
      // A cell may make 1,000 host calls: the stats come in a cell of their own.
      return 'const stats = await Promise.all(someFiles.map((f) => repo.stat(f)));\nglobalThis.notes = await llm.batch(sample.map((t) => "Summarise:\\n" + t.slice(0, 20000)));\nprint(stats.length, notes.length)';
    default:
      return 'answer.content = JSON.stringify({ files: all.length, greps, grepHits, hostileStopped: stopped, hostileHits, reads, readChars, subCalls: notes.length });\nanswer.ready = true';
  }
}
