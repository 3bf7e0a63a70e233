import type { Action, CopyAction, MkdirAction, Outcome, Problem } from '../../core/plan.js';
import { FsError, type FsErrorCode } from '../../fs/file-system.js';
import { runBounded } from '../bounded.js';
import type { CopyRequest } from '../copy-protocol.js';
import type { CopyFailure, CopyItemResult, MkdirItemResult } from '../copy-sync.js';
import type { TransferContext } from './context.js';
import { applied, problemOf, skipped } from './outcomes.js';
import type { TransferRun } from './run.js';

/** Files up to this size may go to the copy workers; bigger ones use the async kernel copy, cut-able between files. */
export const POOLED_COPY_MAX_BYTES = 4 * 1024 * 1024;
/** A batch sent to one copy worker: small enough that a stop request waits for little. */
const POOL_BATCH_FILES = 64;
const POOL_BATCH_BYTES = 16 * 1024 * 1024;

/** A copy the copy workers may do: a small file, with a pool, no throttle and no versioning (those stay in executeAction). */
export function suitsCopyPool(context: TransferContext, action: Action): action is CopyAction {
  return context.copyPool !== undefined && !context.throttle && !context.versioning && action.op === 'copy' && action.entry.size <= POOLED_COPY_MAX_BYTES;
}

/** Small-file copies through the copy workers, in batches; batches not started when a stop arrives stay without an outcome (interrupted). */
export async function copyThroughPool(
  run: TransferRun, indices: readonly number[], actions: readonly Action[], outcomes: Array<Outcome | undefined>,
): Promise<void> {
  const pool = run.context.copyPool!;
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
      results = await pool.copy(copies.map((a) => copyRequest(run, a)));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results = copies.map((a) => ({ ok: false, error: { code: 'EOTHER', op: 'copy', path: a.path, message } }));
    }
    group.forEach((index, k) => {
      const outcome = pooledOutcome(copies[k]!, results[k]!);
      outcomes[index] = outcome;
      run.context.onProgress?.({ action: outcome.action, bytes: outcome.status === 'applied' ? outcome.bytes : 0, done: true, outcome });
    });
  }, { signal: run.context.signal });
}

/** The copy protocol's request for one pooled copy: a copy worker runs it synchronously (never versioned: see `suitsCopyPool`). */
function copyRequest(run: TransferRun, action: CopyAction): CopyRequest {
  const dest = run.abs(action.to, action.path);
  return {
    origin: run.abs(action.from, action.path), originEntry: action.entry, dest, expected: action.expected,
    temp: run.tempFor(dest), versioned: false, ancestors: run.dirs[action.to].ancestorsOf(action.path),
  };
}

function pooledOutcome(action: CopyAction, item: CopyItemResult): Outcome {
  if (!item.ok) {
    return { action, status: 'failed', problem: problemOfFailure(item.error, action), landed: [] };
  }
  if (item.result.status === 'skipped') return skipped(action, item.result.reason);
  return applied(action, [{ side: action.to, path: action.path, entry: item.result.entry }], item.result.bytes);
}

/**
 * A depth level of at least this many mkdirs goes to the copy workers (when
 * the pool makes directories): below it, the batch's round trip buys little.
 */
const POOLED_MKDIRS_FROM = 8;
/** Directories per batch: a level of an initial mirror (hundreds) spreads over the workers. */
const POOL_BATCH_DIRS = 64;

/** One depth level of mkdirs (transfer.ts `wavesOf`) that the copy workers may make. */
export function suitsDirectoryPool(context: TransferContext, wave: readonly number[]): boolean {
  return context.copyPool?.makeDirectories !== undefined && wave.length >= POOLED_MKDIRS_FROM;
}

/**
 * One depth level of mkdirs through the copy workers, in batches (the same
 * protocol as `executeAction`, mkdir-protocol.ts, driven synchronously); each
 * directory made is recorded before the next level's requests are built, so
 * writes below it are confined to it. Batches not started when a stop arrives
 * stay without an outcome (interrupted).
 */
export async function mkdirThroughPool(
  run: TransferRun, wave: readonly number[], actions: readonly Action[], outcomes: Array<Outcome | undefined>,
): Promise<void> {
  const pool = run.context.copyPool!;
  const batches: number[][] = [];
  for (let at = 0; at < wave.length; at += POOL_BATCH_DIRS) batches.push(wave.slice(at, at + POOL_BATCH_DIRS));
  await runBounded(batches, pool.concurrency, async (group) => {
    const mkdirs = group.map((index) => actions[index] as MkdirAction);
    let results: MkdirItemResult[];
    try {
      results = await pool.makeDirectories!(mkdirs.map((a) => run.mkdirRequest(a)));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      results = mkdirs.map((a) => ({ ok: false, error: { code: 'EOTHER', op: 'mkdir', path: a.path, message } }));
    }
    group.forEach((index, k) => {
      const action = mkdirs[k]!;
      const item = results[k]!;
      let outcome: Outcome;
      if (item.ok) {
        run.dirs[action.to].recordMade(action.path, item.entry);
        outcome = applied(action, [{ side: action.to, path: action.path, entry: item.entry }], 0);
      } else {
        outcome = { action, status: 'failed', problem: problemOfFailure(item.error, action), landed: [] };
      }
      outcomes[index] = outcome;
      run.context.onProgress?.({ action, bytes: 0, done: true });
    });
  }, { signal: run.context.signal });
}

/** A worker's failure (plain data) as the Problem of `action`. */
function problemOfFailure(e: CopyFailure, action: Action): Problem {
  return problemOf(new FsError(e.code as FsErrorCode, e.op, e.path, e.message), action.path, action.op);
}
