/**
 * Workspace sources for repo tests, made from the real ones: `withoutSearch` is a source
 * as one without a fast search looks (a virtual file system, an editor without rg), so
 * the view must use its JavaScript grep.
 */
import type { WorkspaceSource } from '../../src/core/repo';

export function withoutSearch(source: WorkspaceSource): WorkspaceSource {
  return {
    folders: source.folders,
    list: () => source.list(),
    locate: (p) => source.locate(p),
    entryKind: (p) => source.entryKind(p),
    size: (p) => source.size(p),
    isBinary: (p) => source.isBinary(p),
    readBytes: (p, max) => source.readBytes(p, max),
    stream: (p) => source.stream(p),
    isUnsaved: source.isUnsaved?.bind(source),
  };
}
