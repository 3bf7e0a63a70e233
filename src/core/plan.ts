import type { DirEntry, Entry, FileEntry, Side, SymlinkEntry } from './entry.js';
import type { ConflictKind, Resolution, Severity } from './vocabulary.js';

/**
 * The stages a plan runs in, in this order. Within a stage actions are
 * independent (distinct paths) and may run concurrently, except that `mkdir`
 * runs shallowest first and `clear` / `rmdir` deepest first.
 *
 * - `preserve`: keep-both conflict copies (the losing version moves aside first);
 * - `clear`:    removals that make room for an entry of another kind (type changes);
 * - `mkdir`:    directories, parents before children;
 * - `transfer`: file copies and symlinks;
 * - `delete`:   files and links that were deleted on the other side;
 * - `rmdir`:    directories, children before parents (they are empty by then).
 */
export const STAGES = ['preserve', 'clear', 'mkdir', 'transfer', 'delete', 'rmdir'] as const;
export type Stage = (typeof STAGES)[number];

interface ActionBase {
  readonly stage: Stage;
  /** Relative path the action writes or removes. */
  readonly path: string;
}

/**
 * Copy a file from one side to the other. `entry` is the origin as scanned
 * (re-checked after the copy: if it moved, the result is discarded);
 * `expected` is what the destination held at scan time (null: nothing) and is
 * verified just before the rename, so an edit made since the scan is never
 * clobbered.
 */
export interface CopyAction extends ActionBase {
  readonly op: 'copy';
  readonly from: Side;
  readonly to: Side;
  readonly entry: FileEntry;
  readonly expected: Entry | null;
}

/** Create (or replace) a symbolic link with the origin's link text, verbatim. */
export interface SymlinkAction extends ActionBase {
  readonly op: 'symlink';
  readonly from: Side;
  readonly to: Side;
  readonly entry: SymlinkEntry;
  readonly expected: Entry | null;
}

/** Create a directory (non-recursive: parents have their own mkdir, earlier). */
export interface MkdirAction extends ActionBase {
  readonly op: 'mkdir';
  readonly to: Side;
  /** The origin directory's mode, or null for a directory made only to hold restored files. */
  readonly entry: DirEntry | null;
}

/** Remove a file or symlink; `expected` is verified first. */
export interface DeleteAction extends ActionBase {
  readonly op: 'delete';
  readonly side: Side;
  readonly expected: FileEntry | SymlinkEntry;
}

/** Remove a directory that is empty by now. One that still holds anything (the side's own, excluded files) is kept and reported as a skip. */
export interface RmdirAction extends ActionBase {
  readonly op: 'rmdir';
  readonly side: Side;
}

/**
 * Keep-both: save the losing version of `path` as `copyPath` on every side in
 * `sides`. On the loser's own side the file is renamed (after verifying it is
 * still `entry`); on any other side its bytes are copied from there. The
 * winner is then written at `path` by a separate copy action.
 */
export interface ConflictCopyAction extends ActionBase {
  readonly op: 'conflict_copy';
  readonly loser: Side;
  readonly entry: FileEntry | SymlinkEntry;
  readonly copyPath: string;
  readonly sides: readonly Side[];
}

export type Action = CopyAction | SymlinkAction | MkdirAction | DeleteAction | RmdirAction | ConflictCopyAction;
export type ActionOp = Action['op'];

/** A conflict reconcile found, with what the policy did about it. */
export interface Conflict {
  readonly path: string;
  readonly kind: ConflictKind;
  readonly resolution: Resolution;
  readonly severity: Severity;
  /** Both sides as scanned (null: absent). */
  readonly source: Entry | null;
  readonly target: Entry | null;
  /** Name of the conflict copy made for it, if any. */
  readonly copyPath: string | null;
}

/** A path reconcile deliberately left alone, with why (reported as a `skip` event). */
export interface Skip {
  readonly path: string;
  readonly side: Side | null;
  readonly reason: string;
}

/** What reconcile decided: actions in stage order, the conflicts, the skips. Immutable. */
export interface Plan {
  readonly actions: readonly Action[];
  readonly conflicts: readonly Conflict[];
  readonly skips: readonly Skip[];
  /**
   * Paths the conduit stops tracking whatever happens (selective: a file the
   * target edited after the conduit wrote it and the source then deleted is
   * kept as the target's own).
   */
  readonly forget: readonly string[];
  /** Paths whose baseline must not move this generation (SPEC §2.2 `manual`: the conflict and, for a directory, its subtree). */
  readonly hold: readonly string[];
  /**
   * What proves that the two sides of a path this plan did not write are in
   * sync, for the next baseline: `content` (the default), equal hashes only;
   * `quick-check` (mirror), also equal size, mtime and mode, as rsync takes
   * it. A path the plan wrote is in sync by construction either way.
   */
  readonly identity?: 'content' | 'quick-check';
}

/** The state of one path on one side after an action touched it (null: the path is gone). */
export interface Landed {
  readonly side: Side;
  readonly path: string;
  readonly entry: Entry | null;
}

/**
 * Why one action did not apply. `transient` problems are retried by the next
 * generation; all problems are reported with their path and operation.
 */
export interface Problem {
  readonly path: string;
  readonly op: string;
  readonly code: string;
  readonly message: string;
  readonly transient: boolean;
}

export type Outcome =
  | { readonly action: Action; readonly status: 'applied'; readonly landed: readonly Landed[]; readonly bytes: number }
  /** Deliberately not applied (changed during transfer, modified since scan, directory not empty): no error, retried later. */
  | { readonly action: Action; readonly status: 'skipped'; readonly reason: string; readonly landed: readonly Landed[] }
  | { readonly action: Action; readonly status: 'failed'; readonly problem: Problem; readonly landed: readonly Landed[] };

export function actionSide(action: Action): Side {
  switch (action.op) {
    case 'copy':
    case 'symlink':
    case 'mkdir':
      return action.to;
    case 'delete':
    case 'rmdir':
      return action.side;
    case 'conflict_copy':
      return action.loser;
  }
}
