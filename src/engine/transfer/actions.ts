import { parentOf } from '../../core/entry.js';
import type { Action, ConflictCopyAction, CopyAction, DeleteAction, Landed, MkdirAction, Outcome, RmdirAction, SymlinkAction } from '../../core/plan.js';
import { isFsError } from '../../fs/file-system.js';
import { SKIP_REASON, stillAsExpected, type WriteResult } from '../copy-protocol.js';
import { ActionFailure, applied, problemOf, skipped, takenProblem } from './outcomes.js';
import type { TransferRun } from './run.js';

/**
 * One action of a plan, run on its own (copies too big for, or not suited
 * to, the copy workers; every other op): verify-before-write, temp + rename,
 * each write confined to its root.
 *
 * Never throws: every failure becomes the action's Outcome, with the original error.
 */
export async function executeAction(run: TransferRun, action: Action): Promise<Outcome> {
  const landed: Landed[] = [];
  let outcome: Outcome;
  try {
    outcome = await dispatch(run, action, landed);
  } catch (err) {
    if (isFsError(err, 'ABORTED')) outcome = skipped(action, SKIP_REASON.interrupted, landed);
    else if (err instanceof ActionFailure) outcome = { action, status: 'failed', problem: err.problem, landed };
    else outcome = { action, status: 'failed', problem: problemOf(err, action.path, action.op), landed };
  }
  run.context.onProgress?.({ action, bytes: outcome.status === 'applied' ? outcome.bytes : 0, done: true, outcome });
  return outcome;
}

function dispatch(run: TransferRun, action: Action, landed: Landed[]): Promise<Outcome> {
  switch (action.op) {
    case 'copy':
      return copy(run, action);
    case 'symlink':
      return symlink(run, action);
    case 'mkdir':
      return mkdir(run, action);
    case 'delete':
      return deleteEntry(run, action);
    case 'rmdir':
      return rmdir(run, action);
    case 'conflict_copy':
      return conflictCopy(run, action, landed);
  }
}

async function copy(run: TransferRun, action: CopyAction): Promise<Outcome> {
  const result = await run.writeFileViaTemp(action, {
    origin: run.abs(action.from, action.path),
    originEntry: action.entry,
    side: action.to,
    relPath: action.path,
    expected: action.expected,
    bytesBefore: 0,
  });
  if (result.status === 'skipped') return skipped(action, result.reason);
  return applied(action, [{ side: action.to, path: action.path, entry: result.entry }], result.bytes);
}

async function symlink(run: TransferRun, action: SymlinkAction): Promise<Outcome> {
  const result = await run.writeLinkViaTemp(action, { linkEntry: action.entry, side: action.to, relPath: action.path, expected: action.expected });
  if (result.status === 'skipped') return skipped(action, result.reason);
  return applied(action, [{ side: action.to, path: action.path, entry: result.entry }], 0);
}

async function mkdir(run: TransferRun, action: MkdirAction): Promise<Outcome> {
  // Confined before and after, a directory made through a swapped parent removed again: mkdir-protocol.ts.
  const made = await run.makeDirectory(action);
  run.dirs[action.to].recordMade(action.path, made);
  return applied(action, [{ side: action.to, path: action.path, entry: made }], 0);
}

/** The `delete` op: a file or link, verified first. */
async function deleteEntry(run: TransferRun, action: DeleteAction): Promise<Outcome> {
  const path = run.abs(action.side, action.path);
  const gone = applied(action, [{ side: action.side, path: action.path, entry: null }], 0);
  // Checked before the look too: through a swapped directory the file would only seem gone.
  // A directory above it that is simply gone took the file with it.
  if (!(await run.confinedOrGone(action.side, action.path, 'lstat'))) return gone;
  const current = await run.lstatOrNull(path);
  if (current === null) return gone;
  if (!stillAsExpected(current, action.expected)) return skipped(action, SKIP_REASON.modifiedSinceScan);
  // RACE: an edit landing between this check and the unlink/rename is lost (or, with
  // versioning, kept in the versions dir); there is no compare-and-unlink in POSIX.
  if (run.context.versioning) {
    const moved = await run.setAside(action.side, action.path, action.expected);
    return moved ? gone : skipped(action, SKIP_REASON.modifiedSinceScan);
  }
  if (!(await run.confinedOrGone(action.side, action.path, 'unlink'))) return gone;
  try {
    await run.fs.unlink(path);
  } catch (err) {
    if (!isFsError(err, 'ENOENT')) throw err;
  }
  return gone;
}

async function rmdir(run: TransferRun, action: RmdirAction): Promise<Outcome> {
  const gone = applied(action, [{ side: action.side, path: action.path, entry: null }], 0);
  if (!(await run.confinedOrGone(action.side, action.path, 'rmdir'))) return gone;
  try {
    await run.fs.rmdir(run.abs(action.side, action.path));
  } catch (err) {
    if (isFsError(err, 'ENOTEMPTY')) return skipped(action, SKIP_REASON.directoryNotEmpty);
    if (!isFsError(err, 'ENOENT')) throw err;
  }
  return gone;
}

/**
 * Keep-both: move the loser's version aside on its own side (a rename, after
 * verifying it), then copy those bytes to `copyPath` on every other side in
 * `sides`. The loser's side always gets the rename — its version must leave
 * `path` before the winner is written there, and a rename loses nothing.
 * `landed` is filled as steps land, so a failure part-way still reports them.
 */
async function conflictCopy(run: TransferRun, action: ConflictCopyAction, landed: Landed[]): Promise<Outcome> {
  const { loser, entry, copyPath } = action;
  const original = run.abs(loser, action.path);
  const aside = run.abs(loser, copyPath);
  const confineBoth = async (op: string) => {
    await run.confine(loser, action.path, op);
    if (parentOf(copyPath) !== parentOf(action.path)) await run.confine(loser, copyPath, op);
  };
  await confineBoth('lstat');
  const current = await run.lstatOrNull(original);
  if (!stillAsExpected(current, entry)) return skipped(action, SKIP_REASON.modifiedSinceScan);
  if ((await run.lstatOrNull(aside)) !== null) throw new ActionFailure(takenProblem(copyPath, aside));
  await confineBoth('rename');
  // RACE: rename replaces; something created at `aside` since the check above would be
  // overwritten. The planner picked a free name a moment ago and the window is tiny.
  await run.fs.rename(original, aside);
  landed.push({ side: loser, path: action.path, entry: null });
  landed.push({ side: loser, path: copyPath, entry: await run.fs.lstat(aside) });
  let bytes = 0;
  for (const side of new Set(action.sides)) {
    if (side === loser) continue;
    let result: WriteResult;
    try {
      result =
        entry.kind === 'file'
          ? await run.writeFileViaTemp(action, { origin: aside, originEntry: entry, side, relPath: copyPath, expected: null, bytesBefore: bytes })
          : await run.writeLinkViaTemp(action, { linkEntry: entry, side, relPath: copyPath, expected: null });
    } catch (err) {
      if (isFsError(err, 'ABORTED')) throw err;
      throw new ActionFailure(problemOf(err, copyPath, action.op));
    }
    // Either way nothing is lost: the loser's version is at copyPath on its own side,
    // and the next generation sees it there as a new file and copies it over.
    if (result.status === 'skipped' && result.reason === SKIP_REASON.modifiedSinceScan) {
      throw new ActionFailure(takenProblem(copyPath, run.abs(side, copyPath)));
    }
    if (result.status === 'skipped') return skipped(action, result.reason, landed);
    bytes += result.bytes;
    landed.push({ side, path: copyPath, entry: result.entry });
  }
  return applied(action, landed, bytes);
}
