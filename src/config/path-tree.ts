import { sep } from 'node:path';

/**
 * Absolute paths in a tree of their segments, so that "which earlier path
 * does this one overlap (equal to it, inside it, or holding it)?" costs the
 * depth of the path instead of a pass over every path so far. `import` of
 * 10,000 conduits asks it 10,000 times.
 */
export class PathTree<T> {
  private readonly top: TreeNode<T> = newNode();
  private added = 0;

  /** Adds `path` (absolute, normalized) with `value`; a path added twice keeps its first value. */
  add(path: string, value: T): void {
    const entry = { order: this.added++, value };
    let node = this.top;
    for (const segment of segmentsOf(path)) {
      node.firstBelow ??= entry;
      let child = node.children.get(segment);
      if (!child) {
        child = newNode();
        node.children.set(segment, child);
      }
      node = child;
    }
    node.here ??= entry;
  }

  /** The value of the earliest-added path that `path` overlaps, or undefined. */
  firstOverlapping(path: string): T | undefined {
    let best: Entry<T> | undefined;
    const consider = (entry: Entry<T> | undefined) => {
      if (entry && (!best || entry.order < best.order)) best = entry;
    };
    let node: TreeNode<T> | undefined = this.top;
    for (const segment of segmentsOf(path)) {
      consider(node.here); // an ancestor of `path` was added: `path` lies inside it
      node = node.children.get(segment);
      if (!node) return best?.value;
    }
    consider(node.here); // the same path
    consider(node.firstBelow); // paths inside `path`
    return best?.value;
  }
}

interface Entry<T> {
  readonly order: number;
  readonly value: T;
}

interface TreeNode<T> {
  readonly children: Map<string, TreeNode<T>>;
  /** The first path added that ends at this node. */
  here?: Entry<T>;
  /** The first path added that lies strictly below this node. */
  firstBelow?: Entry<T>;
}

function newNode<T>(): TreeNode<T> {
  return { children: new Map() };
}

function segmentsOf(path: string): string[] {
  return path.split(sep).filter((segment) => segment !== '');
}
