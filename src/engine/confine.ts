import { join } from 'node:path';
import type { Entry, Snapshot } from '../core/entry.js';
import { FsError, isFsError, lstatOrNull, type FileSystem } from '../fs/file-system.js';

/**
 * Every write stays inside its root (SPEC §3, issue 8 §2).
 *
 * Node has no `openat`, so a write to `root/a/b/c.txt` resolves `a` and
 * `a/b` again at the moment of the call: if either was swapped for a
 * symbolic link (or for another directory) since the scan, the write lands
 * wherever that points. So immediately before every create, rename, delete,
 * mkdir, chmod/utimes or link, each directory between the anchor (the root,
 * exclusive: a root that is itself a link is the user's choice) and the
 * path's parent is lstat'ed: it must be a directory, not a link, and the one
 * the scan saw (same inode), or the one this generation made. Syncthing
 * refuses writes whose parent "traverses a symlink" the same way (lib/fs).
 * A violation is an error of that path (`parent is not the directory
 * scanned`), and the write does not happen.
 *
 * Cost: one lstat per directory component per write.
 */

/** One directory between an anchor and a written path, and what it must be. */
export interface Ancestor {
  /** Absolute path. */
  readonly path: string;
  /** Its inode as scanned (or as made by this generation); null: unknown, only "a real directory, not a link" is required. */
  readonly ino: number | null;
}

export const CONFINEMENT_MESSAGE = 'parent is not the directory scanned';

/** What is wrong with `current` as the directory `ancestor` must be; null when it is that directory. */
export function ancestorViolation(ancestor: Ancestor, current: Entry | null): string | null {
  if (current === null) return 'is gone';
  if (current.kind === 'symlink') return `is now a symbolic link (to '${current.linkTarget}')`;
  if (current.kind === 'file') return 'is now a file';
  if (current.kind === 'problem') return `cannot be identified (${current.message})`;
  if (ancestor.ino !== null && current.ino !== ancestor.ino) return 'is now another directory';
  return null;
}

/**
 * The error of a write refused because of `ancestor`. ENOENT when the
 * directory is simply gone (the write would have failed with it anyway),
 * EOTHER otherwise; both are retried by the next generation, which scans anew.
 */
export function confinementError(op: string, path: string, ancestor: Ancestor, violation: string): FsError {
  const code = violation === 'is gone' ? 'ENOENT' : 'EOTHER';
  return new FsError(code, op, path, `${CONFINEMENT_MESSAGE}: '${ancestor.path}' ${violation}, ${op} '${path}'`);
}

export function isConfinementError(err: unknown): err is FsError {
  return isFsError(err) && err.message.startsWith(CONFINEMENT_MESSAGE);
}


/** Check every ancestor, top down, just before `op` on `path`; throws the confinement error of the first that is wrong. */
export async function checkAncestors(fs: Pick<FileSystem, 'lstat'>, ancestors: readonly Ancestor[], op: string, path: string): Promise<void> {
  for (const ancestor of ancestors) {
    const violation = ancestorViolation(ancestor, await lstatOrNull(fs, ancestor.path));
    if (violation !== null) throw confinementError(op, path, ancestor, violation);
  }
}

/** The same with a synchronous lstat (the copy workers). */
export function checkAncestorsSync(lstatOrNullSync: (path: string) => Entry | null, ancestors: readonly Ancestor[], op: string, path: string): void {
  for (const ancestor of ancestors) {
    const violation = ancestorViolation(ancestor, lstatOrNullSync(ancestor.path));
    if (violation !== null) throw confinementError(op, path, ancestor, violation);
  }
}

/**
 * The directories strictly between `anchor` and `path`'s basename, top down,
 * with no inode known: for places conduit did not scan (the versioning
 * folder). `path` must be below `anchor`; [] when it is directly inside.
 */
export function ancestorsBelow(anchor: string, path: string): Ancestor[] {
  const base = anchor.endsWith('/') ? anchor : `${anchor}/`;
  if (!path.startsWith(base)) throw new Error(`ancestorsBelow: '${path}' is not below '${anchor}'`);
  const rel = path.slice(base.length);
  const out: Ancestor[] = [];
  for (let at = rel.indexOf('/'); at > 0; at = rel.indexOf('/', at + 1)) out.push({ path: base + rel.slice(0, at), ino: null });
  return out;
}

const NONE: readonly Ancestor[] = Object.freeze([]);

/**
 * The directories of one root as this generation knows them: the scan's
 * directory entries, plus the directories the generation made itself (their
 * inode recorded when the mkdir landed). Answers "which directories must a
 * write to this relative path pass through, and what must each be".
 */
export class RootDirectories {
  private readonly made = new Map<string, number>();
  /** `ancestorsOf` per parent directory: the files of one directory share their list (values, never mutated). */
  private readonly memo = new Map<string, readonly Ancestor[]>();

  constructor(
    readonly root: string,
    /** The scan of this root (its `dir` entries are used); absent: no inode is known, only "a real directory". */
    private readonly scanned?: Snapshot,
  ) {}

  /** A directory this generation made (or found made at its path) is now the one writes below it must pass through. */
  recordMade(relPath: string, entry: Entry): void {
    if (entry.kind === 'dir') this.made.set(relPath, entry.ino);
    this.memo.clear();
  }

  /** The inode a directory at `relPath` must have; null when unknown. */
  inoOf(relPath: string): number | null {
    const made = this.made.get(relPath);
    if (made !== undefined) return made;
    const entry = this.scanned?.get(relPath);
    return entry !== undefined && entry.kind === 'dir' ? entry.ino : null;
  }

  /** The directories between the root (exclusive) and `relPath`'s basename, top down. */
  ancestorsOf(relPath: string): readonly Ancestor[] {
    const slash = relPath.lastIndexOf('/');
    if (slash <= 0) return NONE;
    const parent = relPath.slice(0, slash);
    const known = this.memo.get(parent);
    if (known !== undefined) return known;
    const out: Ancestor[] = [];
    for (let at = relPath.indexOf('/'); at > 0; at = relPath.indexOf('/', at + 1)) {
      const dir = relPath.slice(0, at);
      out.push({ path: join(this.root, dir), ino: this.inoOf(dir) });
    }
    this.memo.set(parent, out);
    return out;
  }

  /** `ancestorsOf(relPath)` and `relPath` itself as a directory: for setting a directory's own attributes. */
  selfAndAncestorsOf(relPath: string): readonly Ancestor[] {
    return [...this.ancestorsOf(relPath), { path: join(this.root, relPath), ino: this.inoOf(relPath) }];
  }
}
