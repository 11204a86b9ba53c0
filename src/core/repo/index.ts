/**
 * The workspace as the sandbox sees it: `WorkspaceRepo` (the `Repo` view) over a
 * `WorkspaceSource` — `DiskSource` (a folder on disk), `MultiRootSource` (several
 * folders), `OverlaySource` (unsaved editor text) — with its options and errors. The rg
 * binary is passed in (`ripgrepPath`); the CLI finds the bundled one (src/cli/ripgrep.ts).
 */
export * from './types';
export type * from './source';
export {
  WorkspaceRepo,
  DEFAULT_EXCLUDE,
  DEFAULT_MAX_READ_BYTES,
  DEFAULT_MAX_RESULTS,
  MAX_RESULTS_CAP,
  DEFAULT_TREE_DEPTH,
  TREE_MAX_ENTRIES,
  DEFAULT_CLUSTER_CHARS,
} from './workspaceRepo';
export type { RepoOptions, ViewOptions, GrepEngine } from './workspaceRepo';
export { DiskSource } from './diskSource';
export type { DiskSourceOptions } from './diskSource';
export { MultiRootSource, workspaceOf } from './multiRoot';
export { OverlaySource } from './overlay';
export type { UnsavedTexts } from './overlay';
export { nodeRepoFs } from './fsAccess';
export type { RepoFs } from './fsAccess';
export { comparePaths } from './pathOrder';
export { BINARY_EXTENSIONS } from './binary';
