import { posix } from 'node:path';
import { isFsError, type HashOutcome, type SyncHashOps } from '../fs/file-system.js';

/**
 * A set of files hashed synchronously, next to the disk: what
 * `FileSystem.hashFiles` is in node's workers (over a NodeFileSystem,
 * hash-pool.ts) and inline in the in-memory filesystem. Never throws: one
 * file's trouble is its own outcome, and once `stopped` says yes every file
 * not hashed yet is ABORTED.
 */
export function hashFilesSync(ops: SyncHashOps, root: string, relPaths: readonly string[], stopped: () => boolean): HashOutcome[] {
  const out: HashOutcome[] = new Array<HashOutcome>(relPaths.length);
  for (let i = 0; i < relPaths.length; i++) {
    const path = posix.join(root, relPaths[i]!);
    out[i] = stopped() ? abortedOutcome(path) : hashOne(ops, path, stopped);
  }
  return out;
}

function hashOne(ops: SyncHashOps, path: string, stopped: () => boolean): HashOutcome {
  try {
    return { hash: ops.hashFileSync(path, stopped) };
  } catch (err) {
    if (isFsError(err)) return { error: { code: err.code, message: err.message } };
    return { error: { code: 'EOTHER', message: `EOTHER: ${err instanceof Error ? err.message : String(err)}, hash '${path}'` } };
  }
}

/** The outcome of a file the set did not reach because it was stopped. */
export function abortedOutcome(path: string): HashOutcome {
  return { error: { code: 'ABORTED', message: `ABORTED: operation aborted, hash '${path}'` } };
}
