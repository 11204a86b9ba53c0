/**
 * Languages by file extension, for `summary()`: enough to tell the model what kind of
 * codebase it is looking at, without opening a file. Unknown extensions are reported as
 * themselves (".lock"), files without one as "(no extension)".
 */

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

/** The same answer as path.posix.basename/extname, without their allocations (called per file of the workspace). */
export function languageOf(relPath: string): string {
  const base = relPath.slice(relPath.lastIndexOf('/') + 1);
  // Own properties only: a file named "constructor" is not Object.prototype's.
  if (Object.hasOwn(BY_NAME, base)) return BY_NAME[base]!;
  const dot = base.lastIndexOf('.');
  // extname: no extension for "name", ".dotfile" or "name."
  if (dot <= 0 || dot === base.length - 1) return '(no extension)';
  const ext = base.slice(dot + 1).toLowerCase();
  return Object.hasOwn(BY_EXTENSION, ext) ? BY_EXTENSION[ext]! : `.${ext}`;
}

/** True when the file's extension or name is a known text language (source, markup, data). */
export function isTextLanguage(relPath: string): boolean {
  const language = languageOf(relPath);
  return language !== '(no extension)' && !language.startsWith('.');
}

/** Files and bytes per language, most files first, at most `top` entries. */
export function languageBreakdown(
  files: ReadonlyArray<{ path: string; bytes: number; language?: string }>,
  top: number,
): Array<{ language: string; files: number; bytes: number }> {
  const stats = new Map<string, { language: string; files: number; bytes: number }>();
  for (const { path: file, bytes, language: known } of files) {
    const language = known ?? languageOf(file);
    const entry = stats.get(language) ?? { language, files: 0, bytes: 0 };
    entry.files++;
    entry.bytes += bytes;
    stats.set(language, entry);
  }
  return [...stats.values()]
    .sort((a, b) => b.files - a.files || b.bytes - a.bytes || (a.language < b.language ? -1 : 1))
    .slice(0, top);
}
