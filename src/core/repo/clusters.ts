/**
 * Groups files into clusters small enough for one sub-model call each, keeping
 * neighbours together: a directory that fits under the budget is one cluster (never
 * split), a directory that does not is split along its subdirectories, and adjacent
 * clusters that together still fit are packed together, greedily, in path order. A
 * file larger than the budget on its own is a cluster by itself. Sizes are bytes, a good
 * enough proxy for characters that needs no reading.
 */
import type { FileCluster } from './types';
import { SLICE_MS, nextTurn } from '../util/slices';

interface Node {
  /** Children in path order: a file (with its size) or a subdirectory. */
  children: Array<{ file: string; bytes: number } | Node>;
  subdirs: Map<string, Node>;
  bytes: number;
}

const newNode = (): Node => ({ children: [], subdirs: new Map(), bytes: 0 });

/**
 * `entries` must be in listing (path) order; every entry lands in exactly one cluster. The
 * pass over the entries gives the event loop a turn every few milliseconds (see slices.ts).
 */
export async function buildClusters(entries: ReadonlyArray<{ path: string; bytes: number }>, maxChars: number): Promise<FileCluster[]> {
  const root = newNode();
  let sliceStart = performance.now();
  for (let e = 0; e < entries.length; e++) {
    if ((e & 1023) === 1023 && performance.now() - sliceStart > SLICE_MS) {
      await nextTurn();
      sliceStart = performance.now();
    }
    const { path, bytes } = entries[e]!;
    const parts = path.split('/');
    let node = root;
    node.bytes += bytes;
    for (let i = 0; i < parts.length - 1; i++) {
      let child = node.subdirs.get(parts[i]);
      if (child === undefined) {
        child = newNode();
        node.subdirs.set(parts[i], child);
        node.children.push(child); // first seen in path order = its place among siblings
      }
      child.bytes += bytes;
      node = child;
    }
    node.children.push({ file: path, bytes });
  }
  return entries.length === 0 ? [] : pack(root, maxChars);
}

function pack(node: Node, maxChars: number): FileCluster[] {
  if (node.bytes <= maxChars) return [{ files: filesOf(node), chars: node.bytes }];
  const out: FileCluster[] = [];
  let current: FileCluster | null = null;
  for (const child of node.children) {
    const units = 'file' in child ? [{ files: [child.file], chars: child.bytes }] : pack(child, maxChars);
    for (const unit of units) {
      if (current !== null && current.chars + unit.chars <= maxChars) {
        current.files.push(...unit.files);
        current.chars += unit.chars;
      } else {
        if (current !== null) out.push(current);
        current = { files: [...unit.files], chars: unit.chars };
      }
    }
  }
  if (current !== null) out.push(current);
  return out;
}

function filesOf(node: Node): string[] {
  const files: string[] = [];
  const walk = (n: Node): void => {
    for (const child of n.children) {
      if ('file' in child) files.push(child.file);
      else walk(child);
    }
  };
  walk(node);
  return files;
}
