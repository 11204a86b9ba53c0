/**
 * A scripted "model" for the eval smoke tests, served over HTTP by the fake OpenAI server.
 * It finds answers with code, never from the expected values: as the RLM root it writes
 * JavaScript that greps and reads the repository (handing files to sub-models with
 * llm.batch when sub-calls are on); as the direct model it runs the same analysis on the
 * files concatenated in its prompt; as a judge it compares the answer with the reference.
 */
import { SUBCALL_SYSTEM_PROMPT } from '../../src/core/engine/prompts';
import { DIRECT_SYSTEM_PROMPT } from '../../eval/direct';
import { JUDGE_SYSTEM_PROMPT } from '../../eval/judge';
import type { ScriptedModel, ScriptedRequest } from '../support/scriptedModel';

/**
 * The analysis code the model "writes". Plain JavaScript that runs both in the sandbox and
 * (for the direct mode and sub-calls) in node: per-file facts, then the combined answer.
 */
export const ANALYSIS = String.raw`
function isSource(p) { return /\.(ts|tsx|js|jsx|mjs|cjs|mts|cts)$/.test(p) && !/\.d\.ts$/.test(p); }
function fileFacts(p, text) {
  const lines = text.split('\n');
  const fns = [];
  lines.forEach((line, i) => {
    if (/^export (default )?(async )?function\b/.test(line) || /^export const \w+ = (async )?(\(|function\b)/.test(line)) {
      let documented = false;
      if (i > 0 && lines[i - 1].trim().endsWith('*/')) {
        let j = i - 1;
        while (j >= 0 && !lines[j].includes('/*')) j--;
        documented = j >= 0 && lines[j].includes('/**');
      }
      fns.push(documented);
    }
  });
  const imports = [...text.matchAll(/(?:from\s+|require\()\s*['"](\.{1,2}\/[^'"]+)['"]/g)].map((m) => m[1]);
  return { fns, imports };
}
function resolveSpec(from, spec, all) {
  const parts = from.split('/').slice(0, -1);
  for (const seg of spec.split('/')) {
    if (seg === '.' || seg === '') continue;
    if (seg === '..') parts.pop(); else parts.push(seg);
  }
  const base = parts.join('/');
  return ['', '.ts', '.tsx', '.js', '/index.ts', '/index.js'].map((e) => base + e).find((c) => all.includes(c) && c !== from) || null;
}
function combine(facts, question) {
  const paths = Object.keys(facts).sort();
  if (/import each other/.test(question)) {
    const graph = {};
    for (const p of paths) graph[p] = facts[p].imports.map((s) => resolveSpec(p, s, paths)).filter(Boolean);
    const pairs = [];
    for (const a of paths) for (const b of graph[a]) if (a < b && graph[b] && graph[b].includes(a)) pairs.push(a + ' <-> ' + b);
    return pairs.length ? pairs.join('\n') : 'NONE';
  }
  const rows = [];
  for (const p of paths) for (const documented of facts[p].fns) {
    rows.push({ dir: p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.', top: p.includes('/') ? p.slice(0, p.indexOf('/')) : '.', documented });
  }
  const count = (list, key) => {
    const out = {};
    for (const r of list) out[r[key]] = (out[r[key]] || 0) + 1;
    return Object.keys(out).sort().map((k) => k + ': ' + out[k]).join('\n');
  };
  if (/For each directory/.test(question)) return count(rows.filter((r) => !r.documented), 'dir');
  if (/For each top-level folder/.test(question)) return count(rows, 'top');
  if (/have a doc comment/.test(question)) return String(rows.filter((r) => r.documented).length);
  return String(rows.filter((r) => !r.documented).length);
}
`;

interface Analysis {
  isSource(p: string): boolean;
  fileFacts(p: string, text: string): { fns: boolean[]; imports: string[] };
  combine(facts: Record<string, { fns: boolean[]; imports: string[] }>, question: string): string;
}

export const analysis = new Function(`${ANALYSIS}; return { isSource, fileFacts, combine };`)() as Analysis;

function js(code: string): string {
  return `Next step.\n\n\`\`\`js\n${code}\n\`\`\``;
}

/** The question as the harness sent it (root: in the first user message; direct: at the end of the prompt). */
export function questionOf(text: string): string {
  return /Question: ([\s\S]*?)(?:\n\nRepository: [\s\S]*)?$/.exec(text)?.[1] ?? '';
}

const NEEDLE_RE = /states the access code for the ([a-z]+-[a-z]+ [a-z]+)\./;

function rootTurn(question: string, turn: number, subcalls: boolean): string {
  const q = JSON.stringify(question);
  const needle = NEEDLE_RE.exec(question);
  if (needle) {
    if (turn === 0) return js(`const hits = await repo.grep(${JSON.stringify(`access code for the ${needle[1]}`)}); print(hits.map((h) => h.path + ":" + h.line).join("\\n"))`);
    return js(
      (subcalls ? 'const code = (await llm("Which access code does this line give?\\n" + hits[0].text)).trim();\n' : 'const code = /is ([a-z]+-[a-z]+-\\d{4})/.exec(hits[0].text)[1];\n') +
        'answer.content = "The comment is at " + hits[0].path + ":" + hits[0].line + ".\\nFINAL ANSWER: " + code; answer.ready = true',
    );
  }
  if (/^Which function/.test(question)) {
    // A SWE-QA style question: free-form, graded by the judge.
    if (turn === 0) return js('const defs = await repo.grep("^def ", {glob: "**/*.py"}); print(defs.length)');
    return js('answer.content = defs.map((d) => "`" + /def (\\w+)/.exec(d.text)[1] + "` (" + d.path + ":" + d.line + ")").join(", ") + " defines it."; answer.ready = true');
  }
  if (turn === 0) {
    return js(
      `${ANALYSIS}\nconst paths = (await repo.files()).filter(isSource);\nconst texts = {};\nfor (const p of paths) texts[p] = await repo.read(p);\n` +
        (subcalls
          ? 'const replies = await llm.batch(paths.map((p) => "FACTS " + p + "\\n" + texts[p]));\nconst facts = {};\npaths.forEach((p, i) => { facts[p] = JSON.parse(replies[i]); });\n'
          : 'const facts = {};\nfor (const p of paths) facts[p] = fileFacts(p, texts[p]);\n') +
        'print(Object.keys(facts).length + " files analysed")',
    );
  }
  return js(`answer.content = "Counted with code over " + paths.length + " files.\\nFINAL ANSWER:\\n" + combine(facts, ${q}); answer.ready = true`);
}

function sub(prompt: string): string {
  const facts = /^FACTS (\S+)\n([\s\S]*)$/.exec(prompt);
  if (facts) return JSON.stringify(analysis.fileFacts(facts[1]!, facts[2]!));
  const code = /is ([a-z]+-[a-z]+-\d{4})/.exec(prompt);
  return code ? code[1]! : 'I cannot tell.';
}

function direct(prompt: string): string {
  const question = questionOf(prompt);
  const needle = NEEDLE_RE.exec(question);
  if (needle) {
    const code = new RegExp(`access code for the ${needle[1]} is ([a-z]+-[a-z]+-\\d{4})`).exec(prompt);
    return code ? `It is in the files.\nFINAL ANSWER: ${code[1]}` : 'FINAL ANSWER: not found';
  }
  const files: Record<string, string> = {};
  for (const m of prompt.matchAll(/^=== (.+) ===\n([\s\S]*?)(?=\n=== |\n\[The context window ended here|\n\[All files of the repository)/gm)) files[m[1]!] = m[2]!;
  if (/^Which function/.test(question)) {
    const defs = Object.entries(files).flatMap(([p, t]) => [...t.matchAll(/^def (\w+)/gm)].map((m) => `\`${m[1]}\` (${p})`));
    return `${defs.join(', ')} defines it.`;
  }
  const facts: Record<string, { fns: boolean[]; imports: string[] }> = {};
  for (const [p, text] of Object.entries(files)) if (analysis.isSource(p)) facts[p] = analysis.fileFacts(p, text);
  return `From the files above.\nFINAL ANSWER:\n${analysis.combine(facts, question)}`;
}

/** Full marks when the answer names the function the reference names, low marks otherwise. */
function judge(prompt: string): string {
  const reference = /Reference answer:\n([\s\S]*?)\n\nCandidate answer:/.exec(prompt)?.[1] ?? '';
  const candidate = /Candidate answer:\n([\s\S]*?)\n\nReply with only/.exec(prompt)?.[1] ?? '';
  const name = /`(\w+)`/.exec(reference)?.[1];
  const mark = name && candidate.includes(`\`${name}\``) ? 18 : 5;
  return JSON.stringify({ correctness: mark, completeness: mark, relevance: mark, clarity: mark, reasoning: mark });
}

export interface EvalModelLog {
  root: number;
  sub: number;
  direct: number;
  judge: number;
}

export function scriptedEvalModel(log: EvalModelLog = { root: 0, sub: 0, direct: 0, judge: 0 }): ScriptedModel {
  return (request: ScriptedRequest) => {
    const system = request.messages[0]?.content ?? '';
    const lastUser = [...request.messages].reverse().find((m) => m.role === 'user')?.content ?? '';
    if (system === SUBCALL_SYSTEM_PROMPT) return log.sub++, sub(lastUser);
    if (system === DIRECT_SYSTEM_PROMPT) return log.direct++, direct(lastUser);
    if (system === JUDGE_SYSTEM_PROMPT) return log.judge++, judge(lastUser);
    log.root++;
    const turn = Math.floor((request.messages.length - 2) / 2);
    return rootTurn(questionOf(request.messages[1]?.content ?? ''), turn, !system.includes('disabled in this run'));
  };
}
