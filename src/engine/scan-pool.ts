import type { Worker } from 'node:worker_threads';
import { startModuleWorker } from './module-worker.js';
import type { ScanChanges } from '../core/change-set.js';
import type { RootState, ScanOptions, ScanResult } from './scan.js';
import { unpackSnapshot, type PackedSnapshot } from './snapshot-codec.js';

/**
 * The node implementation's scan workers (NodeFileSystem `walkTree`): the
 * walk of scan/walk.ts runs in a worker thread, where the synchronous calls that
 * make it fast block only that thread; the service's event loop stays free,
 * and the two roots of a conduit scan in parallel on two cores. The worker
 * (scan-worker.ts) walks with its own NodeFileSystem, so it meets the disk
 * through the same edge (byte names included) as everything else.
 */

/** What the scan worker sends back (scan-worker.ts). */
export type ScanReply =
  | {
      readonly ok: true;
      readonly root: RootState;
      readonly rootMessage: string | undefined;
      readonly staleTemps: readonly string[];
      readonly visited: number;
      readonly packed: PackedSnapshot;
      /** Present exactly when the scan ran `against` a baseline. */
      readonly changes: ScanChanges | undefined;
    }
  | { readonly ok: false; readonly message: string; readonly stack: string | undefined };

/**
 * Walk a root on the real disk inside a scan worker (NodeFileSystem's
 * `walkTree`).
 */
export function scanInWorker(root: string, options: ScanOptions): Promise<ScanResult> {
  return new Promise<ScanResult>((resolve, reject) => {
    const worker = acquireWorker();
    const onMessage = (reply: ScanReply): void => {
      detach();
      // Judged by what the walk looked at, not what it sent: against a baseline a no-op sends next to nothing.
      releaseWorker(worker, reply.ok ? Math.max(reply.packed.count, reply.visited) : 0);
      if (!reply.ok) {
        const err = new Error(`scan of ${root} failed in the scan worker: ${reply.message}`);
        if (reply.stack !== undefined) err.stack = `${err.message}\n--- in the worker ---\n${reply.stack}`;
        reject(err);
        return;
      }
      try {
        const entries = unpackSnapshot(reply.packed);
        const result: ScanResult = { root: reply.root, rootMessage: reply.rootMessage, entries, staleTemps: reply.staleTemps, visited: reply.visited };
        resolve(reply.changes === undefined ? result : { ...result, changes: reply.changes });
      } catch (err) {
        reject(err);
      }
    };
    const onError = (err: Error): void => {
      detach();
      reject(new Error(`scan of ${root}: the scan worker crashed: ${err.message}`, { cause: err }));
    };
    const onExit = (code: number): void => {
      detach();
      reject(new Error(`scan of ${root}: the scan worker exited (code ${code}) without an answer`));
    };
    const detach = (): void => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    // Only plain data crosses: the rules are already plain (FilterRules), onlyPaths an array of strings.
    // The baseline's columns (store: loadColumns) sit on SharedArrayBuffers, so they are shared, not copied
    // (both roots' workers read the one copy of the common columns), and stay usable here; the path string
    // is copied once per worker (strings cannot be shared). Columns on ordinary buffers are copied, never
    // transferred: the caller keeps them.
    worker.postMessage({ root, options: { rules: options.rules, onlyPaths: options.onlyPaths, tempToken: options.tempToken, against: options.against } });
  });
}

/**
 * Idle scan workers, kept so that the next scan skips the worker start-up
 * (~40-60 ms measured) and runs code the JIT has already optimised. Two:
 * one per root of the conduit being synced. Idle workers are unref'd, so they
 * never keep the process alive.
 */
const IDLE_WORKERS_KEPT = 2;
const idleWorkers: Worker[] = [];

/**
 * A worker that has just walked more entries than this is stopped rather than
 * kept: its heap (the walk's paths, entries and garbage, ~60 MB per 200,000
 * entries) would otherwise stay resident beside the main thread's snapshots
 * for the rest of the generation, and for as long as the worker idles. The
 * next scan then pays a worker start-up (~40-60 ms), small against a walk of
 * that size (~1 s). Measured on the 200,000-file no-op (bench noop-tiny):
 * peak RSS of `conduit run` ~466 MB with the workers kept, ~345 MB stopped.
 */
const RETIRE_AFTER_ENTRIES = 50_000;

function acquireWorker(): Worker {
  const worker = idleWorkers.pop() ?? startScanWorker();
  worker.ref();
  return worker;
}

function releaseWorker(worker: Worker, entries: number): void {
  if (idleWorkers.length >= IDLE_WORKERS_KEPT || entries > RETIRE_AFTER_ENTRIES) {
    void worker.terminate();
    return;
  }
  worker.unref();
  idleWorkers.push(worker);
}

/**
 * Lend a scan worker to another job that reads next to the disk (hashing,
 * hash-pool.ts): an idle one when there is one, warm from the scan just
 * finished. The borrower has it to itself until it gives it back with
 * `returnScanWorker` (a worker that died is simply not given back).
 */
export function borrowScanWorker(): Worker {
  return acquireWorker();
}

export function returnScanWorker(worker: Worker): void {
  releaseWorker(worker, 0);
}

/**
 * Start the idle scan workers now, so a one-shot command (`conduit run`) can
 * overlap their start-up with its other preparations (config, database).
 */
export function prewarmScanWorkers(): void {
  while (idleWorkers.length < IDLE_WORKERS_KEPT) {
    const worker = startScanWorker();
    worker.unref();
    idleWorkers.push(worker);
  }
}

/** Stop the idle scan workers (tests, shutdown). Workers busy with a scan finish it first and are then stopped. */
export async function stopScanWorkers(): Promise<void> {
  await Promise.all(idleWorkers.splice(0).map((w) => w.terminate()));
}

/** A scan worker (scan-worker.ts), from dist/ or, under vitest, from the TypeScript sources (module-worker.ts). */
function startScanWorker(): Worker {
  const here = import.meta.url;
  const worker = startModuleWorker(here, 'scan-worker');
  // An idle worker that dies (it should not) must not be handed out again.
  worker.once('exit', () => {
    const at = idleWorkers.indexOf(worker);
    if (at >= 0) idleWorkers.splice(at, 1);
  });
  return worker;
}
