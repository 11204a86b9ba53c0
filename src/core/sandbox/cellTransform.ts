/**
 * Turns a model-written cell into a script SES will run, or into a message the model can
 * act on. Two jobs:
 *  - SES rejects some source text by pattern before parsing (`import(` even inside a
 *    string, HTML comment markers, direct `eval(`). We find those first and explain them.
 *  - Compartment evaluations do not share top-level `const`/`let`/`var` bindings, and
 *    a cell must be able to `await`. We parse the cell with acorn and rewrite top-level
 *    declarations into assignments to globals (so they persist to later cells), then wrap
 *    the cell in an async function.
 */
import * as acorn from 'acorn';
import { CORE_SANDBOX_API } from './api';

export type TransformResult =
  | { ok: true; script: string; declaredNames: string[] }
  | { ok: false; message: string };

interface Rejection {
  pattern: RegExp;
  explain: (line: number) => string;
}

// The same patterns SES applies (ses/src/transforms.js), so that we explain exactly the
// rejections SES would make.
const SES_REJECTIONS: Rejection[] = [
  {
    pattern: /(^|[^.]|\.\.\.)\bimport(\s*(?:\(|\/[/*]))/,
    explain: (line) =>
      `The sandbox refuses code containing the text "import(" anywhere, even inside a string or a comment (line ${line}). ` +
      `There are no modules here: use the globals repo, llm, rlm and print. If you need that text in a string or regex, build it: "imp" + "ort(".`,
  },
  {
    pattern: /(?:<!--|-->)/,
    explain: (line) =>
      `The sandbox refuses code containing "<!--" or "-->" anywhere, even inside a string, a regex or as in "i-->0" (line ${line}). ` +
      `Write "i-- > 0" with a space, or build the text: "--" + ">".`,
  },
  {
    pattern: /(^|[^.])\beval(\s*\()/,
    explain: (line) =>
      `The sandbox refuses direct calls to eval( (line ${line}). Write the code directly; to parse data use JSON.parse or a regex.`,
  },
];

function lineOf(source: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (source.charCodeAt(i) === 10) line++;
  return line;
}

export function findSesRejection(source: string): string | null {
  for (const r of SES_REJECTIONS) {
    const m = r.pattern.exec(source);
    if (m) return r.explain(lineOf(source, m.index + (m[1] ?? '').length));
  }
  return null;
}

type Node = acorn.Node & Record<string, any>;

function patternNames(node: Node, out: string[]): void {
  switch (node.type) {
    case 'Identifier':
      out.push(node.name);
      break;
    case 'ObjectPattern':
      for (const p of node.properties) patternNames(p.type === 'RestElement' ? p.argument : p.value, out);
      break;
    case 'ArrayPattern':
      for (const e of node.elements) if (e) patternNames(e, out);
      break;
    case 'AssignmentPattern':
      patternNames(node.left, out);
      break;
    case 'RestElement':
      patternNames(node.argument, out);
      break;
  }
}

function syntaxMessage(source: string, err: unknown): string {
  const e = err as { message?: string; loc?: { line: number; column: number } };
  let message = String(e.message ?? err).replace(/\s*\(\d+:\d+\)$/, '');
  if (/'import' and 'export' may appear only/.test(message)) {
    message = 'import and export are not available: there are no modules here. Use the globals repo, llm, rlm and print';
  }
  if (!e.loc) return `SyntaxError: ${message}`;
  const text = source.split('\n')[e.loc.line - 1] ?? '';
  return `SyntaxError: ${message} (line ${e.loc.line}, column ${e.loc.column + 1})\n  ${text}\n  ${' '.repeat(e.loc.column)}^`;
}

const NESTED_TOO_DEEPLY = 'The cell is nested too deeply to parse (brackets, calls or blocks inside one another thousands of levels deep). Build deep data with a loop instead of writing it out.';

export function transformCell(source: string, reservedGlobals: readonly string[] = CORE_SANDBOX_API.reservedGlobals): TransformResult {
  const rejection = findSesRejection(source);
  if (rejection) return { ok: false, message: rejection };

  let program: Node;
  try {
    program = acorn.parse(source, {
      ecmaVersion: 'latest',
      sourceType: 'script',
      allowAwaitOutsideFunction: true,
      allowReturnOutsideFunction: true,
      locations: true,
    }) as Node;
  } catch (err) {
    // acorn recurses per level of nesting: a cell of 100,000 "[" runs out of stack (acorn says
    // "Not enough stack space"), which is no syntax error the model can fix where it points.
    if (err instanceof RangeError || /stack space/.test(String((err as Error)?.message))) return { ok: false, message: NESTED_TOO_DEEPLY };
    return { ok: false, message: syntaxMessage(source, err) };
  }

  const declared: string[] = [];
  try {
    return rewrite(program, source, reservedGlobals, declared);
  } catch (err) {
    if (err instanceof RangeError) return { ok: false, message: NESTED_TOO_DEEPLY };
    throw err;
  }
}

function rewrite(program: Node, source: string, reservedGlobals: readonly string[], declared: string[]): TransformResult {
  const edits: Array<{ start: number; end: number; text: string }> = [];
  const hoisted: string[] = [];
  const src = (n: Node) => source.slice(n.start, n.end);

  for (const stmt of program.body as Node[]) {
    if (stmt.type === 'VariableDeclaration') {
      const parts = (stmt.declarations as Node[]).map((d) => {
        patternNames(d.id, declared);
        return `(${src(d.id)} = ${d.init ? src(d.init) : 'undefined'});`;
      });
      edits.push({ start: stmt.start, end: stmt.end, text: ';' + parts.join(' ') });
    } else if (stmt.type === 'FunctionDeclaration') {
      declared.push(stmt.id.name);
      hoisted.push(`${stmt.id.name} = ${src(stmt)};`);
      edits.push({ start: stmt.start, end: stmt.end, text: '' });
    } else if (stmt.type === 'ClassDeclaration') {
      declared.push(stmt.id.name);
      edits.push({ start: stmt.start, end: stmt.end, text: `;${stmt.id.name} = ${src(stmt)};` });
    }
  }

  const reserved = declared.filter((n) => reservedGlobals.includes(n));
  if (reserved.length > 0) {
    return {
      ok: false,
      message: `"${reserved[0]}" is part of the sandbox API and cannot be redeclared. Choose another name${reserved[0] === 'answer' ? ', and set answer.content / answer.ready instead' : ''}.`,
    };
  }

  let body = source;
  for (const e of edits.sort((a, b) => b.start - a.start)) body = body.slice(0, e.start) + e.text + body.slice(e.end);
  // The newline before the closing brace keeps a trailing line comment from swallowing it.
  const script = `(async () => {${hoisted.join(' ')}\n${body}\n})()`;
  return { ok: true, script, declaredNames: [...new Set(declared)] };
}
