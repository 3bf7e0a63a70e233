import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import type { Entry, FileEntry, Side, SymlinkEntry } from '../../core/entry.js';
import type { Action, MkdirAction } from '../../core/plan.js';
import { isFsError, lstatOrNull, type FileSystem, type FilledTemp } from '../../fs/file-system.js';
import { checkAncestors, RootDirectories } from '../confine.js';
import { copyViaTemp, driveAsync, linkViaTemp, type CopyRequest, type CopyStep, type LinkRequest, type WriteResult } from '../copy-protocol.js';
import { makeDirectory, type MkdirRequest } from '../mkdir-protocol.js';
import { tempNameFor } from '../temp-name.js';
import { moveToVersions } from '../versioning.js';
import type { TransferContext } from './context.js';

/**
 * Temporary-name suffixes: a random prefix per process and a counter. Unique
 * within the process by the counter and across processes by the prefix, at no
 * per-file cost (randomBytes per file cost ~170 ms per 20,000 files here).
 */
const SUFFIX_PREFIX = randomBytes(4).toString('hex');
let suffixCounter = 0;
function uniqueSuffix(): string {
  suffixCounter = (suffixCounter + 1) % Number.MAX_SAFE_INTEGER;
  return `${SUFFIX_PREFIX}${suffixCounter.toString(36)}`;
}

/**
 * One executePlan's state and the steps its actions share: absolute paths,
 * temporaries named for this conduit, the confinement check (confine.ts), and
 * the write protocol of copy-protocol.ts driven on this run's FileSystem.
 */
export class TransferRun {
  readonly fs: FileSystem;
  readonly random: () => string;
  readonly dirs: { readonly source: RootDirectories; readonly target: RootDirectories };

  constructor(readonly context: TransferContext) {
    this.fs = context.fs;
    this.random = context.randomSuffix ?? uniqueSuffix;
    this.dirs = context.directories ?? { source: new RootDirectories(context.roots.source), target: new RootDirectories(context.roots.target) };
  }

  abs(side: Side, relPath: string): string {
    return join(this.context.roots[side], relPath);
  }

  /** A temporary beside `dest`, named for this conduit. */
  tempFor(dest: string): string {
    return join(dirname(dest), tempNameFor(basename(dest), this.context.tempToken, this.random()));
  }

  /** The confinement check (confine.ts) immediately before `op` on `relPath` of `side`. */
  confine(side: Side, relPath: string, op: string): Promise<void> {
    return checkAncestors(this.fs, this.dirs[side].ancestorsOf(relPath), op, this.abs(side, relPath));
  }

  /** For removals: `confine`, but false (nothing left to remove) when a directory above the path is gone. */
  async confinedOrGone(side: Side, relPath: string, op: string): Promise<boolean> {
    try {
      await this.confine(side, relPath, op);
      return true;
    } catch (err) {
      if (isFsError(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /** SPEC §3 for one file: the protocol of copy-protocol.ts, each step on this run's FileSystem. */
  writeFileViaTemp(
    action: Action,
    w: { origin: string; originEntry: FileEntry; side: Side; relPath: string; expected: Entry | null; bytesBefore: number },
  ): Promise<WriteResult> {
    const dest = this.abs(w.side, w.relPath);
    const request: CopyRequest = {
      origin: w.origin, originEntry: w.originEntry, dest, expected: w.expected,
      temp: this.tempFor(dest), versioned: Boolean(this.context.versioning), ancestors: this.dirs[w.side].ancestorsOf(w.relPath),
    };
    return driveAsync(copyViaTemp(request), this.stepsFor(action, w.side, w.relPath, w.bytesBefore));
  }

  /** The same protocol for a link: created under a temporary name, then renamed over the path. */
  writeLinkViaTemp(action: Action, w: { linkEntry: SymlinkEntry; side: Side; relPath: string; expected: Entry | null }): Promise<WriteResult> {
    const dest = this.abs(w.side, w.relPath);
    const request: LinkRequest = {
      link: w.linkEntry, dest, expected: w.expected,
      temp: this.tempFor(dest), versioned: Boolean(this.context.versioning), ancestors: this.dirs[w.side].ancestorsOf(w.relPath),
    };
    return driveAsync(linkViaTemp(request), this.stepsFor(action, w.side, w.relPath, 0));
  }

  /** The mkdir protocol (mkdir-protocol.ts) for `action`, each step on this run's FileSystem: what was made, or found made. */
  makeDirectory(action: MkdirAction): Promise<Entry> {
    return driveAsync(makeDirectory(this.mkdirRequest(action)), this.stepsFor(action, action.to, action.path, 0));
  }

  /** What making `action`'s directory takes, here or in a copy worker. */
  mkdirRequest(action: MkdirAction): MkdirRequest {
    // Owner rwx is always kept so that conduit can fill the directory (and a later
    // generation can still write into it); a read-only origin directory (0555)
    // therefore lands as 0755. Directory modes are not compared by reconcile.
    const path = this.abs(action.to, action.path);
    const ancestors = this.dirs[action.to].ancestorsOf(action.path);
    return action.entry ? { path, mode: action.entry.mode | 0o700, ancestors } : { path, ancestors };
  }

  /** Each protocol step on this run's FileSystem; copies report their progress for `action`. */
  private stepsFor(action: Action, side: Side, relPath: string, bytesBefore: number): (step: CopyStep) => Promise<unknown> {
    return (step) => {
      switch (step.op) {
        case 'lstat':
          return this.lstatOrNull(step.path);
        case 'copyToTemp':
          return this.copyToTemp(step, action, bytesBefore);
        case 'symlink':
          return this.fs.symlink(step.linkTarget, step.path);
        case 'setAttributes':
          return this.fs.setAttributes(step.path, { mtimeNs: step.mtimeNs });
        case 'setAside':
          return this.setAside(side, relPath, step.entry);
        case 'rename':
          return this.fs.rename(step.from, step.to);
        case 'unlink':
          return this.fs.unlink(step.path);
        case 'mkdir':
          return this.fs.mkdir(step.path, step.mode);
        case 'rmdir':
          return this.fs.rmdir(step.path);
        case 'confine':
          return checkAncestors(this.fs, step.ancestors, step.before, step.path);
      }
    };
  }

  /** The copy protocol's `copyToTemp` by path: the kernel copy (or the throttled stream), mode and mtime, a look at the origin. */
  private async copyToTemp(step: Extract<CopyStep, { op: 'copyToTemp' }>, action: Action, bytesBefore: number): Promise<FilledTemp> {
    await this.fs.copyFile(step.from, step.to, {
      throttle: this.context.throttle,
      signal: this.context.cutSignal,
      onProgress: (n) => this.context.onProgress?.({ action, bytes: bytesBefore + n, done: false }),
      // Replacing a file: across a link only the blocks that differ from it travel (a local copy ignores it).
      ...(step.basis !== undefined ? { basis: step.basis } : {}),
    });
    await this.fs.setAttributes(step.to, { mode: step.planned.mode, mtimeNs: step.planned.mtimeNs });
    // What the temporary holds is looked at after the rename (`written` null), as the destination.
    return { origin: await this.lstatOrNull(step.from), written: null };
  }

  async setAside(side: Side, relPath: string, entry: FileEntry | SymlinkEntry): Promise<boolean> {
    const versioning = this.context.versioning!;
    const moved = await moveToVersions(this.fs, {
      root: this.context.roots[side],
      relPath,
      entry,
      dir: versioning.dir,
      stamp: versioning.stamp,
      randomSuffix: this.random,
      tempToken: this.context.tempToken,
      originAncestors: this.dirs[side].ancestorsOf(relPath),
    });
    return moved !== null;
  }

  /** lstat, with "nothing there" (ENOENT, or a parent that is no longer a directory) as null. */
  lstatOrNull(path: string): Promise<Entry | null> {
    return lstatOrNull(this.fs, path);
  }
}
