/**
 * Languages by file extension, for `summary()`: enough to tell the model what kind of
 * codebase it is looking at, without opening a file. Unknown extensions are reported as
 * themselves (".lock"), files without one as "(no extension)".
 */
import * as path from 'node:path';

const BY_EXTENSION: Record<string, string> = {
  ts: 'TypeScript', tsx: 'TypeScript', mts: 'TypeScript', cts: 'TypeScript',
  js: 'JavaScript', jsx: 'JavaScript', mjs: 'JavaScript', cjs: 'JavaScript',
  py: 'Python', pyi: 'Python', ipynb: 'Jupyter Notebook',
  rs: 'Rust', go: 'Go', java: 'Java', kt: 'Kotlin', kts: 'Kotlin', scala: 'Scala', groovy: 'Groovy',
  c: 'C', h: 'C', cc: 'C++', cpp: 'C++', cxx: 'C++', hpp: 'C++', hh: 'C++', hxx: 'C++',
  cs: 'C#', fs: 'F#', vb: 'Visual Basic', m: 'Objective-C', mm: 'Objective-C++', swift: 'Swift',
  rb: 'Ruby', php: 'PHP', pl: 'Perl', lua: 'Lua', r: 'R', jl: 'Julia', dart: 'Dart',
  ex: 'Elixir', exs: 'Elixir', erl: 'Erlang', hs: 'Haskell', ml: 'OCaml', mli: 'OCaml', clj: 'Clojure',
  zig: 'Zig', nim: 'Nim', sol: 'Solidity',
  sh: 'Shell', bash: 'Shell', zsh: 'Shell', fish: 'Shell', ps1: 'PowerShell', bat: 'Batch', cmd: 'Batch',
  html: 'HTML', htm: 'HTML', css: 'CSS', scss: 'SCSS', sass: 'Sass', less: 'Less',
  vue: 'Vue', svelte: 'Svelte', astro: 'Astro',
  json: 'JSON', jsonc: 'JSON', yaml: 'YAML', yml: 'YAML', toml: 'TOML', xml: 'XML', ini: 'INI', csv: 'CSV',
  md: 'Markdown', mdx: 'MDX', markdown: 'Markdown', rst: 'reStructuredText', txt: 'Text', tex: 'TeX',
  sql: 'SQL', graphql: 'GraphQL', gql: 'GraphQL', proto: 'Protocol Buffers', tf: 'Terraform',
  gradle: 'Gradle', cmake: 'CMake',
};

const BY_NAME: Record<string, string> = {
  Dockerfile: 'Dockerfile', Makefile: 'Makefile', makefile: 'Makefile', GNUmakefile: 'Makefile',
  'CMakeLists.txt': 'CMake', Gemfile: 'Ruby', Rakefile: 'Ruby', Jenkinsfile: 'Groovy',
};

export function languageOf(relPath: string): string {
  const base = path.posix.basename(relPath);
  if (BY_NAME[base] !== undefined) return BY_NAME[base];
  const ext = path.posix.extname(base).slice(1);
  if (ext === '') return '(no extension)';
  return BY_EXTENSION[ext.toLowerCase()] ?? `.${ext.toLowerCase()}`;
}

/** Files and bytes per language, most files first, at most `top` entries. */
export function languageBreakdown(
  files: ReadonlyArray<{ path: string; bytes: number }>,
  top: number,
): Array<{ language: string; files: number; bytes: number }> {
  const stats = new Map<string, { language: string; files: number; bytes: number }>();
  for (const { path: file, bytes } of files) {
    const language = languageOf(file);
    const entry = stats.get(language) ?? { language, files: 0, bytes: 0 };
    entry.files++;
    entry.bytes += bytes;
    stats.set(language, entry);
  }
  return [...stats.values()]
    .sort((a, b) => b.files - a.files || b.bytes - a.bytes || (a.language < b.language ? -1 : 1))
    .slice(0, top);
}
