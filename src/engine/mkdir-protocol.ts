import type { Entry } from '../core/entry.js';
import { FsError, isFsError } from '../fs/file-system.js';
import { isConfinementError, type Ancestor } from './confine.js';
import type { CopyStep } from './copy-protocol.js';

/**
 * The `mkdir` action for one directory, written once as steps (like the copy
 * protocol, copy-protocol.ts), so the same steps run on the main thread
 * (`driveAsync`, every FileSystem) and in the copy workers (`driveSync`, a
 * whole depth level of directories in one batch: an initial mirror makes one
 * directory per ~50 files, and seven asynchronous round trips each cost more
 * than the directory).
 *
 * Confined before the mkdir and after it (confine.ts); a directory that was
 * made through a directory swapped in between is removed again. A directory
 * already there (EEXIST) is this generation's if it is a directory: another
 * run, or the user, made what the plan wanted.
 */
export interface MkdirRequest {
  /** Absolute path of the directory to make. */
  readonly path: string;
  /** Exactly these permission bits (the umask would otherwise clear some); absent: the process's default. */
  readonly mode?: number;
  /** The directories between the root and `path`, with their inodes (confine.ts); [] directly in the root. */
  readonly ancestors: readonly Ancestor[];
}

export function* makeDirectory(r: MkdirRequest): Generator<CopyStep, Entry, unknown> {
  if (r.ancestors.length > 0) yield { op: 'confine', ancestors: r.ancestors, before: 'mkdir', path: r.path };
  try {
    yield r.mode === undefined ? { op: 'mkdir', path: r.path } : { op: 'mkdir', path: r.path, mode: r.mode };
  } catch (err) {
    if (!isFsError(err, 'EEXIST')) throw err;
    const existing = (yield { op: 'lstat', path: r.path }) as Entry | null;
    if (existing === null || existing.kind !== 'dir') throw err;
    return existing;
  }
  try {
    if (r.ancestors.length > 0) yield { op: 'confine', ancestors: r.ancestors, before: 'lstat', path: r.path };
  } catch (err) {
    // RACE: a directory above swapped between the check and the mkdir put the new directory wherever
    // it points. It is conduit's own and empty (mkdir is exclusive): remove it there, like a stray temporary.
    if (isConfinementError(err)) {
      try {
        yield { op: 'rmdir', path: r.path };
      } catch {
        // Gone already, or not empty any more: then it is not only conduit's.
      }
    }
    throw err;
  }
  // RACE: swapped for another directory or a link between the mkdir and this lstat, it is recorded
  // as what it is now: a directory (inside the root either way), or not one, and then writes below refuse it.
  const made = (yield { op: 'lstat', path: r.path }) as Entry | null;
  if (made === null) throw new FsError('ENOENT', 'lstat', r.path, `ENOENT: no such file or directory, lstat '${r.path}'`);
  return made;
}
