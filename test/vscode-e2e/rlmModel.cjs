// The scripted chat model of the RLM e2e scenarios (loaded by the fixture extension). It
// behaves like a root model would: it answers with ```js cells that use the REPL API, one
// turn at a time, and finds what it needs with grep and read; it never sees files otherwise.
// Conversations are told apart by their question (the "Question:" line of the first message,
// where the system prompt is folded in) and the turn by how many replies it already gave.
const fs = require('node:fs');
const path = require('node:path');
const SUB = 'You are a sub-model called by a program';

/**
 * Holds the reply until the test creates `<RLM_E2E_GATE>/<name>`: the test decides when the
 * run may go on (after it has looked at the progress shown meanwhile), with no timing involved.
 */
async function gate(name) {
  const dir = process.env.RLM_E2E_GATE;
  if (!dir) return;
  const file = path.join(dir, name);
  while (!fs.existsSync(file)) await new Promise((resolve) => setTimeout(resolve, 50));
}
const fence = '`'.repeat(3);
const js = (code) => `Let me look.\n\n${fence}js\n${code}\n${fence}`;

exports.reply = async (messages) => {
  const first = (messages[0] && messages[0].content) || '';
  if (first.startsWith(SUB)) return 'The entry point calls createServer(8080).';
  const turn = messages.filter((m) => m.role === 'assistant').length;
  const q = (/^Question: (.*)$/m.exec(first) || [])[1] || '';

  if (q.startsWith('STOP-TEST')) return { hang: true };

  if (q === 'What is MAX_RETRIES set to?') {
    if (turn === 0) return js('const hits = await repo.grep("MAX_RETRIES =")');
    await gate('first-answer');
    return js(
      'const line = await repo.read(hits[0].path, { start: hits[0].line, end: hits[0].line });\n' +
        'answer.content = "MAX_RETRIES is " + /= (\\d+)/.exec(line)[1] + ", set in " + hits[0].path + ":" + hits[0].line + ".";\n' +
        'answer.ready = true',
    );
  }

  if (q === 'Which files use it?') {
    return js(
      'const uses = (await repo.grep("MAX_RETRIES")).filter((h) => h.path !== hits[0].path);\n' +
        'answer.content = "It is used in " + [...new Set(uses.map((u) => u.path))].join(", ") + " and defined at " + hits[0].path + ":" + hits[0].line + ".";\n' +
        'answer.ready = true',
    );
  }

  if (q.startsWith('Summarize the folder')) {
    if (turn === 0) return js('const tree = await repo.tree("src"); const entry = await repo.read("src/index.ts", { start: 1, end: 2 }); const notes = await llm("Summarise:\\n" + entry)');
    return js(
      'answer.content = "## Structure\\n\\n- src/config holds settings; src/server the HTTP server.\\n\\n## Entry point\\n\\nsrc/index.ts:1 starts the server. " + notes;\n' +
        'answer.ready = true',
    );
  }

  if (q.startsWith('Explain the function `createServer` at src/server/http.ts:3-7')) {
    if (turn === 0) return js('const calls = await repo.grep("createServer\\\\(", { glob: "src/**" })');
    return js(
      'const use = calls.find((c) => c.path === "src/index.ts");\n' +
        'answer.content = "createServer starts the HTTP server on a port (src/server/http.ts:3-7); it is called from " + use.path + ":" + use.line + ".";\n' +
        'answer.ready = true',
    );
  }

  if (q === 'What is UNSAVED_MARK?') {
    if (turn === 0) return js('const marks = await repo.grep("UNSAVED_MARK")');
    return js('answer.content = "UNSAVED_MARK is " + /= (\\d+)/.exec(marks[0].text)[1] + " (" + marks[0].path + ":" + marks[0].line + ").";\nanswer.ready = true');
  }

  if (q === 'Every call site of createServer?') {
    if (turn === 0) return js('const refs = await repo.references("createServer")');
    return js('answer.content = "Call sites (from the language server): " + refs.filter((r) => r.path !== "src/server/http.ts").map((r) => r.path + ":" + r.line).join(", ") + ".";\nanswer.ready = true');
  }

  return js('answer.content = "I do not know that question."; answer.ready = true');
};
