// The scripted chat model of the editor benchmark: a run that lists, greps and reads hard
// over a 50,000-file workspace, then answers. Loaded by the e2e fixture extension.
const fence = '`'.repeat(3);
const js = (code) => `Working.\n\n${fence}js\n${code}\n${fence}`;
exports.reply = async (messages) => {
  const first = (messages[0] && messages[0].content) || '';
  if (first.startsWith('You are a sub-model')) return 'Summary: handlers trim input; TODOs ask for validation.';
  const turn = messages.filter((m) => m.role === 'assistant').length;
  if (turn === 0) return js('const all = await repo.files(); const ts = await repo.files("**/*.ts"); print(all.length, ts.length)');
  if (turn === 1) return js('const todos = await repo.grep("TODO", { maxResults: 5000 }); const fns = await repo.grep("function \\\\w+\\\\(", { maxResults: 5000 }); print(todos.length, fns.length)');
  if (turn === 2) return js('const tree = await repo.tree("", { depth: 4 }); const groups = await repo.clusters("**/*.ts", { maxChars: 200000 }); print(tree.length, groups.length)');
  if (turn === 3) return js('let chars = 0; for (const f of all.slice(0, 400)) chars += (await repo.read(f)).length; const some = await Promise.all(ts.slice(400, 600).map((f) => repo.read(f, { start: 1, end: 20 }))); print(chars, some.length)');
  if (turn === 4) return js('const notes = await llm.batch(groups.slice(0, 8).map((g) => "Summarise " + g.files.length + " files"))');
  return js('answer.content = "Read " + all.length + " files; " + todos.length + " TODOs; " + notes.length + " summaries."; answer.ready = true');
};
