/**
 * Facts about Python files from a lexical scan (no Python needed): logical lines with
 * strings and comments neutralised, public top-level functions and whether they have a
 * docstring, and the modules a file imports.
 */
import * as path from 'node:path';

export interface LogicalLine {
  /** 1-based line where it starts. */
  line: number;
  indent: number;
  /** The code, with every string literal reduced to its prefix and empty quotes ("", r''). */
  code: string;
}

/** Splits Python source into logical lines (brackets and backslashes join physical lines). */
export function logicalLines(text: string): LogicalLine[] {
  const src = text.replace(/\r\n?/g, '\n');
  const out: LogicalLine[] = [];
  let code = '';
  let depth = 0;
  let lineNo = 1;
  let startLine = 1;
  let indent = 0;
  let atLineStart = true;
  const flush = () => {
    if (code.trim()) out.push({ line: startLine, indent, code: code.trim() });
    code = '';
  };
  for (let i = 0; i < src.length; ) {
    const ch = src[i]!;
    if (atLineStart) {
      // Measure the indentation of a new logical line.
      let j = i;
      while (j < src.length && (src[j] === ' ' || src[j] === '\t')) j++;
      indent = j - i;
      startLine = lineNo;
      atLineStart = false;
      i = j;
      continue;
    }
    if (ch === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (ch === '\\' && src[i + 1] === '\n') {
      i += 2;
      lineNo++;
      code += ' ';
      continue;
    }
    if (ch === '"' || ch === "'") {
      // The string's prefix letters were already copied into `code`.
      const triple = src.startsWith(ch.repeat(3), i);
      const quote = triple ? ch.repeat(3) : ch;
      let j = i + quote.length;
      while (j < src.length) {
        if (src[j] === '\\') {
          if (src[j + 1] === '\n') lineNo++;
          j += 2;
          continue;
        }
        if (src.startsWith(quote, j)) break;
        if (src[j] === '\n') {
          if (!triple) break; // unterminated single-quoted string: stop at the line end
          lineNo++;
        }
        j++;
      }
      code += `${ch}${ch}`;
      i = src.startsWith(quote, j) ? j + quote.length : j;
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    if ((ch === ')' || ch === ']' || ch === '}') && depth > 0) depth--;
    if (ch === '\n') {
      lineNo++;
      i++;
      if (depth === 0) {
        flush();
        atLineStart = true;
      } else code += ' ';
      continue;
    }
    code += ch;
    i++;
  }
  flush();
  return out;
}

export interface PythonFunction {
  name: string;
  line: number;
  documented: boolean;
}

/** The body text after the header's colon on the same logical line ("" when the body is below). */
function inlineBody(code: string): string {
  const open = code.indexOf('(');
  let depth = 0;
  let i = open;
  for (; i < code.length; i++) {
    const c = code[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ':' && depth === 0) break;
  }
  return i < code.length ? code.slice(i + 1).trim() : '';
}

const DOCSTRING_START = /^[rRuU]?["']/;

/**
 * Public top-level functions: `def` or `async def` at column 0 whose name does not start
 * with an underscore. Documented when the first statement of the body is a string literal
 * (plain, r or u prefix), as Python's own docstring rule has it.
 */
export function publicFunctions(text: string): PythonFunction[] {
  const lines = logicalLines(text);
  const out: PythonFunction[] = [];
  lines.forEach((l, i) => {
    if (l.indent !== 0) return;
    const m = /^(?:async\s+)?def\s+([A-Za-z_]\w*)\s*\(/.exec(l.code);
    if (!m || m[1]!.startsWith('_')) return;
    const inline = inlineBody(l.code);
    const first = inline !== '' ? inline : (lines[i + 1] && lines[i + 1]!.indent > 0 ? lines[i + 1]!.code : '');
    out.push({ name: m[1]!, line: l.line, documented: DOCSTRING_START.test(first) });
  });
  return out;
}

export interface PythonImport {
  /** Leading dots of a relative import (0 for absolute). */
  level: number;
  /** Dotted module path after the dots ("" for "from . import x"). */
  module: string;
  /** Names after `import` in a from-import (submodules or attributes), else empty. */
  names: string[];
}

/** Every import statement in the file, at any depth. */
export function pythonImports(text: string): PythonImport[] {
  const out: PythonImport[] = [];
  for (const l of logicalLines(text)) {
    for (const stmt of l.code.split(';').map((s) => s.trim())) {
      let m = /^import\s+(.+)$/.exec(stmt);
      if (m) {
        for (const part of m[1]!.split(',')) {
          const mod = part.trim().split(/\s+as\s+/)[0]!.trim();
          if (/^[\w.]+$/.test(mod)) out.push({ level: 0, module: mod, names: [] });
        }
        continue;
      }
      m = /^from\s+(\.*)\s*([\w.]*)\s+import\s+(.+)$/.exec(stmt);
      if (m) {
        const names = m[3]!
          .replace(/[()]/g, '')
          .split(',')
          .map((n) => n.trim().split(/\s+as\s+/)[0]!.trim())
          .filter((n) => /^\w+$/.test(n));
        out.push({ level: m[1]!.length, module: m[2]!, names });
      }
    }
  }
  return out;
}

function moduleFile(dotted: string, files: ReadonlySet<string>, roots: readonly string[]): string | null {
  const rel = dotted.split('.').join('/');
  for (const root of roots) {
    const base = root ? `${root}/${rel}` : rel;
    if (files.has(`${base}.py`)) return `${base}.py`;
    if (files.has(`${base}/__init__.py`)) return `${base}/__init__.py`;
  }
  return null;
}

/**
 * Source roots for absolute imports: the repository root and each folder that holds a
 * top-level package or module named by some import (e.g. "src" in a src layout).
 */
export function pythonRoots(files: readonly string[]): string[] {
  const roots = new Set<string>(['']);
  const all = new Set(files);
  for (const f of files) {
    if (!f.endsWith('/__init__.py')) continue;
    // The parent of the outermost package folder is a root.
    let dir = path.posix.dirname(f);
    while (path.posix.dirname(dir) !== '.' && all.has(`${path.posix.dirname(dir)}/__init__.py`)) dir = path.posix.dirname(dir);
    const parent = path.posix.dirname(dir);
    roots.add(parent === '.' ? '' : parent);
  }
  return [...roots].sort((a, b) => a.length - b.length || a.localeCompare(b));
}

/** The repository files a Python file imports (modules, packages' __init__.py, submodules named in from-imports). */
export function resolvePythonImports(from: string, text: string, files: ReadonlySet<string>, roots: readonly string[]): Set<string> {
  const out = new Set<string>();
  const packageDir = path.posix.dirname(from);
  for (const imp of pythonImports(text)) {
    let targets: string[] = [];
    if (imp.level > 0) {
      let dir = packageDir === '.' ? '' : packageDir;
      for (let k = 1; k < imp.level; k++) dir = dir === '' ? '..' : path.posix.dirname(dir) === '.' ? '' : path.posix.dirname(dir);
      if (dir.startsWith('..')) continue;
      const root = dir;
      const base = imp.module ? moduleFile(imp.module, files, [root]) : files.has(`${root ? `${root}/` : ''}__init__.py`) ? `${root ? `${root}/` : ''}__init__.py` : null;
      const subs = imp.names.map((n) => moduleFile(imp.module ? `${imp.module}.${n}` : n, files, [root])).filter((f): f is string => f !== null);
      targets = subs.length > 0 ? subs : base ? [base] : [];
      if (subs.length > 0 && subs.length < imp.names.length && base) targets.push(base);
    } else {
      const base = moduleFile(imp.module, files, roots);
      const subs = imp.names.map((n) => moduleFile(`${imp.module}.${n}`, files, roots)).filter((f): f is string => f !== null);
      targets = subs.length > 0 ? subs : base ? [base] : [];
      if (subs.length > 0 && subs.length < imp.names.length && base) targets.push(base);
    }
    for (const t of targets) if (t !== from) out.add(t);
  }
  return out;
}
