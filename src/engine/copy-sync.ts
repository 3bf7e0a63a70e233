import type { Entry } from '../core/entry.js';
import { isFsError, type FilledTemp, type SyncCopyOps } from '../fs/file-system.js';
import { checkAncestorsSync } from './confine.js';
import { copyViaTemp, driveSync, type CopyRequest, type CopyStep, type WriteResult } from './copy-protocol.js';
import { makeDirectory, type MkdirRequest } from './mkdir-protocol.js';

/** An FsError as plain data (a class does not survive the structured clone). */
export interface CopyFailure {
  readonly code: string;
  readonly op: string;
  readonly path: string;
  readonly message: string;
}

export type CopyItemResult = { readonly ok: true; readonly result: WriteResult } | { readonly ok: false; readonly error: CopyFailure };

/** One directory of a batch: what was made (or found made), or why not. */
export type MkdirItemResult = { readonly ok: true; readonly entry: Entry } | { readonly ok: false; readonly error: CopyFailure };

/**
 * The copy protocol driven synchronously, next to the disk: what one item of
 * a copy batch (`FileSystem.openCopyBatches`) is — in node's copy workers
 * over a NodeFileSystem, inline in the in-memory filesystem (kept apart from
 * the worker's message loop so tests can run it directly). Never throws: a
 * failure is the item's result.
 */
export function copySync(request: CopyRequest, fs: SyncCopyOps): CopyItemResult {
  try {
    return { ok: true, result: driveSync(copyViaTemp(request), (step) => perform(fs, step)) };
  } catch (err) {
    return { ok: false, error: failureOf(err, 'copy', request.origin) };
  }
}

/** The mkdir protocol (mkdir-protocol.ts) the same way, for one directory of a batch. Never throws. */
export function makeDirectorySync(request: MkdirRequest, fs: SyncCopyOps): MkdirItemResult {
  try {
    return { ok: true, entry: driveSync(makeDirectory(request), (step) => perform(fs, step)) };
  } catch (err) {
    return { ok: false, error: failureOf(err, 'mkdir', request.path) };
  }
}

function failureOf(err: unknown, op: string, path: string): CopyFailure {
  if (isFsError(err)) return { code: err.code, op: err.op, path: err.path, message: err.message };
  return { code: 'EOTHER', op, path, message: err instanceof Error ? err.message : String(err) };
}


function perform(fs: SyncCopyOps, step: CopyStep): unknown {
  switch (step.op) {
    case 'lstat':
      return fs.lstatOrNullSync(step.path);
    case 'copyToTemp':
      return fs.copyToTempSync ? fs.copyToTempSync(step.from, step.to, step.planned) : copyToTempBySteps(fs, step);
    case 'setAttributes':
      throw new Error('copy workers write files only: links are written on the main thread');
    case 'rename':
      return fs.renameSync(step.from, step.to);
    case 'unlink':
      return fs.unlinkSync(step.path);
    case 'mkdir':
      if (!fs.mkdirSync) throw new Error('these SyncCopyOps make no directories (mkdirSync)');
      return fs.mkdirSync(step.path, step.mode);
    case 'rmdir':
      if (!fs.rmdirSync) throw new Error('these SyncCopyOps remove no directories (rmdirSync)');
      return fs.rmdirSync(step.path);
    case 'confine':
      // The request carries the directories with the inodes the main thread's scan saw.
      return checkAncestorsSync((path) => fs.lstatOrNullSync(path), step.ancestors, step.before, step.path);
    case 'symlink':
      throw new Error('copy workers write files only: links are written on the main thread');
    case 'setAside':
      // transfer/batches.ts (`suitsCopyPool`) never sends a versioned copy here; failing loudly beats copying without the version.
      throw new Error('copy workers do not keep versions: versioned conduits copy on the main thread');
  }
}

/** `copyToTemp` over the separate steps, for SyncCopyOps without `copyToTempSync` (the in-memory filesystem). */
function copyToTempBySteps(fs: SyncCopyOps, step: Extract<CopyStep, { op: 'copyToTemp' }>): FilledTemp {
  fs.copyFileSync(step.from, step.to);
  fs.setCreatedFileAttributesSync(step.to, step.planned.mode, step.planned.mtimeNs);
  return { origin: fs.lstatOrNullSync(step.from), written: null };
}
