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
