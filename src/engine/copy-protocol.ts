import type { Entry, FileEntry, SymlinkEntry } from '../core/entry.js';
import { isFsError, type FilledTemp } from '../fs/file-system.js';
import { isConfinementError, type Ancestor } from './confine.js';

/**
 * SPEC §3 for one file, written once: verify the destination, copy to a
 * temporary beside it, set mode and mtime, re-check the origin, re-verify the
 * destination, set the old version aside (versioning), rename, and remove the
 * temporary on every path that does not rename it. Before each of those
 * writes, the directories between the root and the destination are checked
 * (`confine`, confine.ts): a write never goes through a directory swapped for
 * a link since the scan.
 *
 * The protocol is a generator that yields the filesystem steps it needs and
 * receives their results, so the same steps run two ways: `driveAsync`
 * against any FileSystem (the in-memory and fault-injecting ones in tests, a
 * bandwidth-limited stream) and `driveSync` inside the copy workers on the
 * real disk, where a synchronous call costs a fraction of an async one (no
 * threadpool round trip per call: ~3x faster per small file, measured).
 */

/** A filesystem step of the protocol and what the driver answers. */
export type CopyStep =
  /** → `Entry | null` (null: nothing there, ENOENT or ENOTDIR). */
  | { readonly op: 'lstat'; readonly path: string }
  /**
   * → `FilledTemp` (file-system.ts): copy `from` (planned as `planned`) to
   * `to`, which must not exist, give `to` the planned mode and mtime, and say
   * what the origin was while read and (when the driver saw it through its
   * descriptor) what `to` holds.
   */
  | {
    readonly op: 'copyToTemp'; readonly from: string; readonly to: string; readonly planned: FileEntry;
    /** The destination, when the planner expected a regular file there: a copy across a link sends only the blocks it lacks (CopyOptions.basis). */
    readonly basis?: string;
  }
  /** → nothing; the link must not exist. */
  | { readonly op: 'symlink'; readonly linkTarget: string; readonly path: string }
  /** → nothing; on a link conduit has just created (its mtime: links have no mode). */
  | { readonly op: 'setAttributes'; readonly path: string; readonly mtimeNs: bigint }
  /** → `true` when the old version moved to the versions directory, `false` when it changed meanwhile. */
  | { readonly op: 'setAside'; readonly entry: FileEntry | SymlinkEntry }
  | { readonly op: 'rename'; readonly from: string; readonly to: string }
  | { readonly op: 'unlink'; readonly path: string }
  /** → nothing; exclusive (EEXIST when something is there). With `mode`, exactly those bits (mkdir-protocol.ts). */
  | { readonly op: 'mkdir'; readonly path: string; readonly mode?: number }
  /** → nothing; only an empty directory (mkdir-protocol.ts, undoing its own mkdir). */
  | { readonly op: 'rmdir'; readonly path: string }
  /**
   * → nothing; throws the confinement error (confine.ts) when one of
   * `ancestors` is not the directory it must be. Sent immediately before
   * operation `before` on `path`.
   */
  | { readonly op: 'confine'; readonly ancestors: readonly Ancestor[]; readonly before: string; readonly path: string };

/** Where a write lands: the destination, what it held at scan time (null: nothing), the temporary beside it. */
interface TempWrite {
  readonly dest: string;
  readonly expected: Entry | null;
  readonly temp: string;
  /** Versioning is on: a file or link being replaced moves aside first. */
  readonly versioned: boolean;
  /**
   * The directories between the destination's root and `dest`, with the
   * inodes the scan saw (confine.ts); [] for a destination directly in its root.
   */
  readonly ancestors: readonly Ancestor[];
}

export interface CopyRequest extends TempWrite {
  readonly origin: string;
  readonly originEntry: FileEntry;
}

export interface LinkRequest extends TempWrite {
  /** The link text, verbatim, and the origin link's mtime. */
  readonly link: SymlinkEntry;
}

/** The reasons of `skipped` outcomes, spelled once. */
export const SKIP_REASON = {
  modifiedSinceScan: 'modified since scan',
  changedDuringTransfer: 'changed_during_transfer',
  directoryNotEmpty: 'directory not empty: holds files outside the sync',
  interrupted: 'interrupted',
} as const;

export type WriteResult =
  | { readonly status: 'landed'; readonly entry: Entry; readonly bytes: number }
  | { readonly status: 'skipped'; readonly reason: string };

const MODIFIED: WriteResult = { status: 'skipped', reason: SKIP_REASON.modifiedSinceScan };

export function* copyViaTemp(r: CopyRequest): Generator<CopyStep, WriteResult, unknown> {
  // An early look saves a wasted copy over a destination that changed since the scan. When the
  // planner expects nothing there (the common case of a new file) the re-verify just before the
  // rename is the guard that matters, so the extra lstat is skipped on that hot path.
  if (r.expected !== null) {
    // Through a swapped directory the destination would only look changed: say why instead.
    yield* confine(r, 'lstat', r.dest);
    if (!stillAsExpected((yield { op: 'lstat', path: r.dest }) as Entry | null, r.expected)) return MODIFIED;
  }
  return yield* throughTemp(r, function* fill() {
    const basis = r.expected?.kind === 'file' ? { basis: r.dest } : {};
    const filled = (yield { op: 'copyToTemp', from: r.origin, to: r.temp, planned: r.originEntry, ...basis }) as FilledTemp;
    if (!sameFile(filled.origin, r.originEntry)) return { status: 'skipped', reason: SKIP_REASON.changedDuringTransfer };
    return { written: filled.written };
  });
}

/** A symbolic link, the same way: created under a temporary name with the origin's text, then renamed over the path. */
export function* linkViaTemp(r: LinkRequest): Generator<CopyStep, WriteResult, unknown> {
  yield* confine(r, 'lstat', r.dest);
  if (!stillAsExpected((yield { op: 'lstat', path: r.dest }) as Entry | null, r.expected)) return MODIFIED;
  return yield* throughTemp(r, function* fill() {
    yield { op: 'symlink', linkTarget: r.link.linkTarget, path: r.temp };
    yield { op: 'setAttributes', path: r.temp, mtimeNs: r.link.mtimeNs };
    return { written: null };
  });
}

/**
 * What filling a temporary gave: a result that ends the write, or what the
 * temporary holds (null: unknown, looked at after the rename).
 */
type Filled = WriteResult | { readonly written: Entry | null };

/**
 * The part every write shares: `fill` creates the temporary (a result from
 * it ends the write); then re-verify the destination, set the old version
 * aside (versioning) and rename over it. The temporary is removed on every
 * path that does not rename it, except when creating it met EEXIST: then the
 * name was someone else's.
 */
function* throughTemp(w: TempWrite, fill: () => Generator<CopyStep, Filled, unknown>): Generator<CopyStep, WriteResult, unknown> {
  // Before the temporary exists: a refusal here leaves nothing to remove.
  yield* confine(w, 'create', w.temp);
  let tempIsOurs = true;
  try {
    let filled: Filled;
    try {
      filled = yield* fill();
    } catch (err) {
      if (isFsError(err, 'EEXIST')) tempIsOurs = false;
      throw err;
    }
    if ('status' in filled) return filled;
    // Checked before the re-verify as well as right before the rename: a destination seen through a
    // swapped directory is a confinement error, not a mere "modified since scan". This is also the
    // check after the temporary's creation (setting its attributes goes through an O_NOFOLLOW
    // descriptor, harmless wherever the temporary is): see `undoIfSwapped`.
    yield* undoIfSwapped(w, confine(w, 'rename', w.dest));
    const replaced = (yield { op: 'lstat', path: w.dest }) as Entry | null;
    if (!stillAsExpected(replaced, w.expected)) return MODIFIED;
    if (w.versioned && replaced !== null && (replaced.kind === 'file' || replaced.kind === 'symlink')) {
      if (!((yield { op: 'setAside', entry: replaced }) as boolean)) return MODIFIED;
      yield* confine(w, 'rename', w.dest); // setting aside took time
    }
    // RACE: a write to `dest` between the re-verify above and this rename is replaced
    // (with versioning: after the old version moved aside). POSIX has no compare-and-swap rename.
    // RACE: a directory above `dest` swapped for a link between the confine check and the rename
    // still redirects it: without openat() the window can be made small, not closed.
    try {
      yield { op: 'rename', from: w.temp, to: w.dest };
    } catch (err) {
      // Through a directory swapped since the check, the temporary is not found: say so.
      if (isFsError(err, 'ENOENT')) yield* confine(w, 'rename', w.dest);
      throw err;
    }
    tempIsOurs = false;
    // Seen through the temporary's descriptor, what landed is exactly what was written. By path, it is
    // whatever the name holds a moment later. RACE: removed right after the rename, it reads as modified.
    const landed = filled.written ?? ((yield { op: 'lstat', path: w.dest }) as Entry | null);
    if (landed === null) return MODIFIED;
    // The renamed temporary is what was written: its size is the bytes transferred.
    return { status: 'landed', entry: landed, bytes: landed.kind === 'file' ? landed.size : 0 };
  } finally {
    if (tempIsOurs) {
      try {
        // Never through a swapped directory either: a temporary left behind is inside the root, and
        // the next generation removes it (it carries this conduit's token).
        yield* confine(w, 'unlink', w.temp);
        yield { op: 'unlink', path: w.temp };
      } catch {
        // The original error matters more; a leftover temp is removed by the next generation.
      }
    }
  }
}

/**
 * The first check after the temporary was created. Failing, it may mean the
 * directory was swapped between the check before the create and the create
 * itself, and then the temporary was made wherever the link points: it is
 * conduit's own (exclusive create, a unique name), so it is removed there, and
 * nothing of conduit's stays outside the root. Swapped after the create, the
 * name resolves to nothing (the unlink fails harmlessly) and the temporary
 * stays inside the root, in the moved directory, for the next generation to
 * remove. (One check here rather than one after the create and another before
 * the rename: each costs an lstat per directory level, per file.)
 */
function* undoIfSwapped(w: TempWrite, check: Generator<CopyStep, void, unknown>): Generator<CopyStep, void, unknown> {
  try {
    yield* check;
  } catch (err) {
    if (isConfinementError(err)) {
      try {
        // RACE: the one unlink that is not confined, on purpose: it can only remove this write's own
        // temporary (or a name someone planted in a directory they control since, which is theirs).
        yield { op: 'unlink', path: w.temp };
      } catch {
        // Not there: the temporary is inside the root.
      }
    }
    throw err;
  }
}

/** The confinement check before `before` on `path`; nothing to check for a destination directly in its root. */
function* confine(w: TempWrite, before: string, path: string): Generator<CopyStep, void, unknown> {
  if (w.ancestors.length > 0) yield { op: 'confine', ancestors: w.ancestors, before, path };
}

/** Runs a protocol against asynchronous steps; errors of a step are thrown into the protocol at that step. */
export async function driveAsync<T>(protocol: Generator<CopyStep, T, unknown>, perform: (step: CopyStep) => Promise<unknown>): Promise<T> {
  let next = protocol.next();
  while (!next.done) {
    let answer: unknown;
    try {
      answer = await perform(next.value);
    } catch (err) {
      next = protocol.throw(err);
      continue;
    }
    next = protocol.next(answer);
  }
  return next.value;
}

/** The same, with synchronous steps (the copy workers). */
export function driveSync<T>(protocol: Generator<CopyStep, T, unknown>, perform: (step: CopyStep) => unknown): T {
  let next = protocol.next();
  while (!next.done) {
    let answer: unknown;
    try {
      answer = perform(next.value);
    } catch (err) {
      next = protocol.throw(err);
      continue;
    }
    next = protocol.next(answer);
  }
  return next.value;
}

/**
 * Verify-before-write (DESIGN principle 4): is what is on disk now still what
 * the planner saw? Files: size, mtime, inode and mode (a chmod is a change
 * too, SPEC §3); links: text, mtime and inode; directories: inode (their
 * mtime moves with their contents). A problem entry never matches: conduit
 * does not write over what it cannot identify.
 */
export function stillAsExpected(current: Entry | null, expected: Entry | null): boolean {
  if (current === null || expected === null) return current === expected;
  if (current.kind !== expected.kind) return false;
  switch (current.kind) {
    case 'file':
      return sameFile(current, expected as FileEntry);
    case 'symlink': {
      const e = expected as SymlinkEntry;
      return current.linkTarget === e.linkTarget && current.mtimeNs === e.mtimeNs && current.ino === e.ino;
    }
    case 'dir':
      return current.ino === (expected as { ino: number }).ino;
    case 'problem':
      return false;
  }
}

/** The origin is still the file the planner saw (after a copy: it did not change while being read). */
export function sameFile(current: Entry | null, expected: FileEntry): boolean {
  return (
    current !== null &&
    current.kind === 'file' &&
    current.size === expected.size &&
    current.mtimeNs === expected.mtimeNs &&
    current.ino === expected.ino &&
    current.mode === expected.mode
  );
}
