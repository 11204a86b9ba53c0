/**
 * The workspace as the sandbox sees it: `WorkspaceRepo` (a `Repo` over a directory on
 * disk), its options and errors, and `findRipgrep` for the bundled rg binary.
 */
export * from './types';
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
export type { RepoOptions, GrepEngine } from './workspaceRepo';
export { findRipgrep } from './ripgrep';
export { nodeRepoFs } from './fsAccess';
export type { RepoFs } from './fsAccess';
export { comparePaths } from './pathOrder';
export { BINARY_EXTENSIONS } from './binary';
