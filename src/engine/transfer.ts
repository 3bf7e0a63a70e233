import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { depthOf, parentOf, type Entry, type FileEntry, type Side, type SymlinkEntry } from '../core/entry.js';
import {
  STAGES,
  type Action,
  type ConflictCopyAction,
  type CopyAction,
  type DeleteAction,
  type Landed,
  type MkdirAction,
  type Outcome,
  type Plan,
  type Problem,
  type RmdirAction,
  type Stage,
  type SymlinkAction,
} from '../core/plan.js';
import { FsError, isFsError, type CopyBatches, type FileSystem, type FsErrorCode, type Throttle } from '../fs/file-system.js';
import type { CopyItemResult } from './copy-sync.js';
import { runBounded } from './bounded.js';
import { checkAncestors, isConfinementError, RootDirectories } from './confine.js';
import { tempNameFor } from './temp-name.js';
import { moveToVersions } from './versioning.js';
import { copyViaTemp, driveAsync, linkViaTemp, SKIP_REASON, stillAsExpected, type CopyRequest, type CopyStep, type LinkRequest, type WriteResult } from './copy-protocol.js';

/**
 * Runs a Plan against the two roots: stage by stage (plan.ts `STAGES`),
 * verify-before-write, temp + rename, one Outcome per action. Nothing here
 * throws for a single path's trouble: it becomes that action's Outcome.
 * Every write first checks the directories between its root and its path
 * (confine.ts): nothing is ever written through a directory that is no
 * longer the one the scan saw.
 */

export interface TransferProgress {
  readonly action: Action;
  /** Bytes this action has written so far. */
  readonly bytes: number;
  /** True once per action, when it is finished whatever its outcome. */
  readonly done: boolean;
}

export interface TransferContext {
  readonly fs: FileSystem;
  /** Absolute roots of the two sides. */
  readonly roots: { readonly source: string; readonly target: string };
  /** The writing conduit's temp token (temp-name.ts): every temporary this run makes carries it. */
  readonly tempToken: string;
  /**
   * Each root's directories as scanned (confine.ts); the mkdirs of this run
   * are recorded into them, so a caller that passes them sees those too.
   * Absent: directories are only required to be real directories, not links.
   */
  readonly directories?: { readonly source: RootDirectories; readonly target: RootDirectories };
  /** At most this many actions of one stage run at once (SPEC §3). */
  readonly parallelTransfers: number;
  /** The conduit's bandwidth limit; copies stream through it when set. */
  readonly throttle?: Throttle;
  /** Stop starting actions: the ones not started yet come back `skipped` / `interrupted`; running ones finish. */
  readonly signal?: AbortSignal;
  /**
   * Also cut copies in flight (SPEC §9: SIGTERM waits at most 10 s). A cut
   * copy's temp is removed and its action comes back `skipped` / `interrupted`.
   */
  readonly cutSignal?: AbortSignal;
  /** SPEC §6: where replaced and deleted files go (relative to each side's root, or absolute), and the generation's stamp. */
  readonly versioning?: { readonly dir: string; readonly stamp: string } | null;
  readonly onProgress?: (progress: TransferProgress) => void;
  /** Random part of temporary names; injectable so tests can name them. */
  readonly randomSuffix?: () => string;
  /**
   * Batched copies of small files (`FileSystem.openCopyBatches`; node: copy
   * workers running the same copy protocol synchronously, ~3x faster per
   * file). Used only when there is no throttle and no versioning; everything
   * else stays here.
   */
  readonly copyPool?: CopyBatches;
}

/** Files up to this size may go to the copy workers; bigger ones use the async kernel copy, cut-able between files. */
export const POOLED_COPY_MAX_BYTES = 4 * 1024 * 1024;
/** A batch sent to one copy worker: small enough that a stop request waits for little. */
const POOL_BATCH_FILES = 64;
const POOL_BATCH_BYTES = 16 * 1024 * 1024;

export { SKIP_REASON, stillAsExpected } from './copy-protocol.js';

/** Execute the actions of `plan` (the rest of a Plan is for the baseline, not the disk); one Outcome per action, in plan order. */
export async function executePlan(plan: Pick<Plan, 'actions'>, context: TransferContext): Promise<Outcome[]> {
  const run = new PlanRun(context);
  const actions = plan.actions;
  const outcomes = new Array<Outcome | undefined>(actions.length);
  for (const stage of STAGES) {
    const indices = actions.flatMap((action, index) => (action.stage === stage ? [index] : []));
    for (const wave of wavesOf(stage, indices, actions)) {
      const pooled = stage === 'transfer' ? wave.filter((index) => run.suitsCopyPool(actions[index]!)) : [];
      if (pooled.length > 0) await run.copyThroughPool(pooled, actions, outcomes);
      const rest = pooled.length > 0 ? wave.filter((index) => outcomes[index] === undefined && !run.suitsCopyPool(actions[index]!)) : wave;
      const results = await runBounded(rest, context.parallelTransfers, (index) => run.execute(actions[index]!), { signal: context.signal });
      results.forEach((result, k) => {
        const index = rest[k]!;
        outcomes[index] = result.started ? result.value : skipped(actions[index]!, SKIP_REASON.interrupted);
      });
    }
  }
  // Array.from, not map: map skips the holes that batches never started (a stop) leave in `outcomes`.
  return Array.from(outcomes, (outcome, index) => outcome ?? skipped(actions[index]!, SKIP_REASON.interrupted));
}

/**
 * Actions of one stage split into waves that run one after the other:
 * `mkdir` one depth level at a time, shallowest first (parents exist before
 * children); `clear` and `rmdir` deepest first (children are gone before
 * their directory). Other stages are one wave.
 */
function wavesOf(stage: Stage, indices: readonly number[], actions: readonly Action[]): number[][] {
  if (stage !== 'mkdir' && stage !== 'clear' && stage !== 'rmdir') return indices.length > 0 ? [[...indices]] : [];
  const byDepth = new Map<number, number[]>();
  for (const index of indices) {
    const depth = depthOf(actions[index]!.path);
    const wave = byDepth.get(depth);
    if (wave) wave.push(index);
    else byDepth.set(depth, [index]);
  }
  const depths = [...byDepth.keys()].sort((a, b) => (stage === 'mkdir' ? a - b : b - a));
  return depths.map((depth) => byDepth.get(depth)!);
}

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

/** Thrown inside one action to report a Problem on a path other than the action's own (conflict copies). */
class ActionFailure extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

class PlanRun {
  private readonly fs: FileSystem;
  private readonly random: () => string;
  private readonly dirs: { readonly source: RootDirectories; readonly target: RootDirectories };

  constructor(private readonly context: TransferContext) {
    this.fs = context.fs;
    this.random = context.randomSuffix ?? uniqueSuffix;
    this.dirs = context.directories ?? { source: new RootDirectories(context.roots.source), target: new RootDirectories(context.roots.target) };
  }

  /** A temporary beside `dest`, named for this conduit. */
  private tempFor(dest: string): string {
    return join(dirname(dest), tempNameFor(basename(dest), this.context.tempToken, this.random()));
  }

  /** The confinement check (confine.ts) immediately before `op` on `relPath` of `side`. */
  private confine(side: Side, relPath: string, op: string): Promise<void> {
    return checkAncestors(this.fs, this.dirs[side].ancestorsOf(relPath), op, this.abs(side, relPath));
  }

  suitsCopyPool(action: Action): action is CopyAction {
    const c = this.context;
    return c.copyPool !== undefined && !c.throttle && !c.versioning && action.op === 'copy' && action.entry.size <= POOLED_COPY_MAX_BYTES;
  }

  /** Small-file copies through the copy workers, in batches; batches not started when a stop arrives stay without an outcome (interrupted). */
  async copyThroughPool(indices: readonly number[], actions: readonly Action[], outcomes: Array<Outcome | undefined>): Promise<void> {
    const pool = this.context.copyPool!;
    const batches: number[][] = [];
    let batch: number[] = [];
    let batchBytes = 0;
    for (const index of indices) {
      const size = (actions[index] as CopyAction).entry.size;
      if (batch.length > 0 && (batch.length >= POOL_BATCH_FILES || batchBytes + size > POOL_BATCH_BYTES)) {
        batches.push(batch);
        batch = [];
        batchBytes = 0;
      }
      batch.push(index);
      batchBytes += size;
    }
    if (batch.length > 0) batches.push(batch);
    await runBounded(batches, pool.concurrency, async (group) => {
      const copies = group.map((index) => actions[index] as CopyAction);
      let results: CopyItemResult[];
      try {
        results = await pool.copy(copies.map((a) => this.copyRequest(a)));
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        results = copies.map((a) => ({ ok: false, error: { code: 'EOTHER', op: 'copy', path: a.path, message } }));
      }
      group.forEach((index, k) => {
        const outcome = this.pooledOutcome(copies[k]!, results[k]!);
        outcomes[index] = outcome;
        this.context.onProgress?.({ action: outcome.action, bytes: outcome.status === 'applied' ? outcome.bytes : 0, done: true });
      });
    }, { signal: this.context.signal });
  }

  private copyRequest(action: CopyAction): CopyRequest {
    const dest = this.abs(action.to, action.path);
    return {
      origin: this.abs(action.from, action.path), originEntry: action.entry, dest, expected: action.expected,
      temp: this.tempFor(dest), versioned: false, ancestors: this.dirs[action.to].ancestorsOf(action.path),
    };
  }

  private pooledOutcome(action: CopyAction, item: CopyItemResult): Outcome {
    if (!item.ok) {
      const e = item.error;
      return { action, status: 'failed', problem: problemOf(new FsError(e.code as FsErrorCode, e.op, e.path, e.message), action.path, action.op), landed: [] };
    }
    if (item.result.status === 'skipped') return skipped(action, item.result.reason);
    return applied(action, [{ side: action.to, path: action.path, entry: item.result.entry }], item.result.bytes);
  }

  /** Never throws: every failure becomes the action's Outcome, with the original error. */
  async execute(action: Action): Promise<Outcome> {
    const landed: Landed[] = [];
    let outcome: Outcome;
    try {
      outcome = await this.dispatch(action, landed);
    } catch (err) {
      if (isFsError(err, 'ABORTED')) outcome = skipped(action, SKIP_REASON.interrupted, landed);
      else if (err instanceof ActionFailure) outcome = { action, status: 'failed', problem: err.problem, landed };
      else outcome = { action, status: 'failed', problem: problemOf(err, action.path, action.op), landed };
    }
    this.context.onProgress?.({ action, bytes: outcome.status === 'applied' ? outcome.bytes : 0, done: true });
    return outcome;
  }

  private dispatch(action: Action, landed: Landed[]): Promise<Outcome> {
    switch (action.op) {
      case 'copy':
        return this.copy(action);
      case 'symlink':
        return this.symlink(action);
      case 'mkdir':
        return this.mkdir(action);
      case 'delete':
        return this.delete(action);
      case 'rmdir':
        return this.rmdir(action);
      case 'conflict_copy':
        return this.conflictCopy(action, landed);
    }
  }

  private abs(side: Side, relPath: string): string {
    return join(this.context.roots[side], relPath);
  }

  private async copy(action: CopyAction): Promise<Outcome> {
    const result = await this.writeFileViaTemp(action, {
      origin: this.abs(action.from, action.path),
      originEntry: action.entry,
      side: action.to,
      relPath: action.path,
      expected: action.expected,
      bytesBefore: 0,
    });
    if (result.status === 'skipped') return skipped(action, result.reason);
    return applied(action, [{ side: action.to, path: action.path, entry: result.entry }], result.bytes);
  }

  private async symlink(action: SymlinkAction): Promise<Outcome> {
    const result = await this.writeLinkViaTemp(action, { linkEntry: action.entry, side: action.to, relPath: action.path, expected: action.expected });
    if (result.status === 'skipped') return skipped(action, result.reason);
    return applied(action, [{ side: action.to, path: action.path, entry: result.entry }], 0);
  }

  private async mkdir(action: MkdirAction): Promise<Outcome> {
    const path = this.abs(action.to, action.path);
    // Owner rwx is always kept so that conduit can fill the directory (and a later
    // generation can still write into it); a read-only origin directory (0555)
    // therefore lands as 0755. Directory modes are not compared by reconcile.
    const mode = action.entry ? action.entry.mode | 0o700 : undefined;
    await this.confine(action.to, action.path, 'mkdir');
    try {
      await this.fs.mkdir(path, mode);
    } catch (err) {
      if (!isFsError(err, 'EEXIST')) throw err;
      const existing = await this.fs.lstat(path);
      if (existing.kind !== 'dir') throw err;
      this.dirs[action.to].recordMade(action.path, existing);
      return applied(action, [{ side: action.to, path: action.path, entry: existing }], 0);
    }
    try {
      await this.confine(action.to, action.path, 'lstat');
    } catch (err) {
      // RACE: a directory above swapped between the check and the mkdir put the new directory wherever
      // it points. It is conduit's own and empty (mkdir is exclusive): remove it there, like a stray temporary.
      if (isConfinementError(err)) await this.fs.rmdir(path).catch(() => undefined);
      throw err;
    }
    // RACE: swapped for another directory or a link between the mkdir and this lstat, it is recorded
    // as what it is now: a directory (inside the root either way), or not one, and then writes below refuse it.
    const made = await this.fs.lstat(path);
    this.dirs[action.to].recordMade(action.path, made);
    return applied(action, [{ side: action.to, path: action.path, entry: made }], 0);
  }

  private async delete(action: DeleteAction): Promise<Outcome> {
    const path = this.abs(action.side, action.path);
    const gone = applied(action, [{ side: action.side, path: action.path, entry: null }], 0);
    // Checked before the look too: through a swapped directory the file would only seem gone.
    // A directory above it that is simply gone took the file with it.
    if (!(await this.confinedOrGone(action.side, action.path, 'lstat'))) return gone;
    const current = await this.lstatOrNull(path);
    if (current === null) return gone;
    if (!stillAsExpected(current, action.expected)) return skipped(action, SKIP_REASON.modifiedSinceScan);
    // RACE: an edit landing between this check and the unlink/rename is lost (or, with
    // versioning, kept in the versions dir); there is no compare-and-unlink in POSIX.
    if (this.context.versioning) {
      const moved = await this.setAside(action.side, action.path, action.expected);
      return moved ? gone : skipped(action, SKIP_REASON.modifiedSinceScan);
    }
    if (!(await this.confinedOrGone(action.side, action.path, 'unlink'))) return gone;
    try {
      await this.fs.unlink(path);
    } catch (err) {
      if (!isFsError(err, 'ENOENT')) throw err;
    }
    return gone;
  }

  private async rmdir(action: RmdirAction): Promise<Outcome> {
    const gone = applied(action, [{ side: action.side, path: action.path, entry: null }], 0);
    if (!(await this.confinedOrGone(action.side, action.path, 'rmdir'))) return gone;
    try {
      await this.fs.rmdir(this.abs(action.side, action.path));
    } catch (err) {
      if (isFsError(err, 'ENOTEMPTY')) return skipped(action, SKIP_REASON.directoryNotEmpty);
      if (!isFsError(err, 'ENOENT')) throw err;
    }
    return gone;
  }

  /** For removals: `confine`, but false (nothing left to remove) when a directory above the path is gone. */
  private async confinedOrGone(side: Side, relPath: string, op: string): Promise<boolean> {
    try {
      await this.confine(side, relPath, op);
      return true;
    } catch (err) {
      if (isFsError(err, 'ENOENT')) return false;
      throw err;
    }
  }

  /**
   * Keep-both: move the loser's version aside on its own side (a rename, after
   * verifying it), then copy those bytes to `copyPath` on every other side in
   * `sides`. The loser's side always gets the rename — its version must leave
   * `path` before the winner is written there, and a rename loses nothing.
   * `landed` is filled as steps land, so a failure part-way still reports them.
   */
  private async conflictCopy(action: ConflictCopyAction, landed: Landed[]): Promise<Outcome> {
    const { loser, entry, copyPath } = action;
    const original = this.abs(loser, action.path);
    const aside = this.abs(loser, copyPath);
    const confineBoth = async (op: string) => {
      await this.confine(loser, action.path, op);
      if (parentOf(copyPath) !== parentOf(action.path)) await this.confine(loser, copyPath, op);
    };
    await confineBoth('lstat');
    const current = await this.lstatOrNull(original);
    if (!stillAsExpected(current, entry)) return skipped(action, SKIP_REASON.modifiedSinceScan);
    if ((await this.lstatOrNull(aside)) !== null) throw new ActionFailure(takenProblem(copyPath, aside));
    await confineBoth('rename');
    // RACE: rename replaces; something created at `aside` since the check above would be
    // overwritten. The planner picked a free name a moment ago and the window is tiny.
    await this.fs.rename(original, aside);
    landed.push({ side: loser, path: action.path, entry: null });
    landed.push({ side: loser, path: copyPath, entry: await this.fs.lstat(aside) });
    let bytes = 0;
    for (const side of new Set(action.sides)) {
      if (side === loser) continue;
      let result: WriteResult;
      try {
        result =
          entry.kind === 'file'
            ? await this.writeFileViaTemp(action, { origin: aside, originEntry: entry, side, relPath: copyPath, expected: null, bytesBefore: bytes })
            : await this.writeLinkViaTemp(action, { linkEntry: entry, side, relPath: copyPath, expected: null });
      } catch (err) {
        if (isFsError(err, 'ABORTED')) throw err;
        throw new ActionFailure(problemOf(err, copyPath, action.op));
      }
      // Either way nothing is lost: the loser's version is at copyPath on its own side,
      // and the next generation sees it there as a new file and copies it over.
      if (result.status === 'skipped' && result.reason === SKIP_REASON.modifiedSinceScan) {
        throw new ActionFailure(takenProblem(copyPath, this.abs(side, copyPath)));
      }
      if (result.status === 'skipped') return skipped(action, result.reason, landed);
      bytes += result.bytes;
      landed.push({ side, path: copyPath, entry: result.entry });
    }
    return applied(action, landed, bytes);
  }

  /** SPEC §3 for one file: the protocol of copy-protocol.ts, each step on this run's FileSystem. */
  private writeFileViaTemp(
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
  private writeLinkViaTemp(action: Action, w: { linkEntry: SymlinkEntry; side: Side; relPath: string; expected: Entry | null }): Promise<WriteResult> {
    const dest = this.abs(w.side, w.relPath);
    const request: LinkRequest = {
      link: w.linkEntry, dest, expected: w.expected,
      temp: this.tempFor(dest), versioned: Boolean(this.context.versioning), ancestors: this.dirs[w.side].ancestorsOf(w.relPath),
    };
    return driveAsync(linkViaTemp(request), this.stepsFor(action, w.side, w.relPath, 0));
  }

  /** Each protocol step on this run's FileSystem; copies report their progress for `action`. */
  private stepsFor(action: Action, side: Side, relPath: string, bytesBefore: number): (step: CopyStep) => Promise<unknown> {
    return (step) => {
      switch (step.op) {
        case 'lstat':
          return this.lstatOrNull(step.path);
        case 'copyFile':
          return this.fs.copyFile(step.from, step.to, {
            throttle: this.context.throttle,
            signal: this.context.cutSignal,
            onProgress: (n) => this.context.onProgress?.({ action, bytes: bytesBefore + n, done: false }),
          });
        case 'symlink':
          return this.fs.symlink(step.linkTarget, step.path);
        case 'setAttributes':
          return this.fs.setAttributes(step.path, step.mode === undefined ? { mtimeNs: step.mtimeNs } : { mode: step.mode, mtimeNs: step.mtimeNs });
        case 'setAside':
          return this.setAside(side, relPath, step.entry);
        case 'rename':
          return this.fs.rename(step.from, step.to);
        case 'unlink':
          return this.fs.unlink(step.path);
        case 'confine':
          return checkAncestors(this.fs, step.ancestors, step.before, step.path);
      }
    };
  }

  private async setAside(side: Side, relPath: string, entry: FileEntry | SymlinkEntry): Promise<boolean> {
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
  private async lstatOrNull(path: string): Promise<Entry | null> {
    try {
      return await this.fs.lstat(path);
    } catch (err) {
      if (isFsError(err, 'ENOENT') || isFsError(err, 'ENOTDIR')) return null;
      throw err;
    }
  }
}

function applied(action: Action, landed: readonly Landed[], bytes: number): Outcome {
  return { action, status: 'applied', landed, bytes };
}

function skipped(action: Action, reason: string, landed: readonly Landed[] = []): Outcome {
  return { action, status: 'skipped', reason, landed };
}

/** The original error as a Problem on the relative path the action was writing. */
function problemOf(err: unknown, relPath: string, op: string): Problem {
  if (err instanceof FsError) return { path: relPath, op, code: err.code, message: err.message, transient: err.transient };
  return { path: relPath, op, code: 'EOTHER', message: err instanceof Error ? err.message : String(err), transient: false };
}

function takenProblem(relPath: string, absPath: string): Problem {
  const message = `EEXIST: conflict copy name already taken, rename '${absPath}'`;
  return { path: relPath, op: 'conflict_copy', code: 'EEXIST', message, transient: true };
}
