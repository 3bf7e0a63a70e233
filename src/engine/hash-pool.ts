import { availableParallelism } from 'node:os';
import { posix } from 'node:path';
import type { Worker } from 'node:worker_threads';
import type { HashOutcome } from '../fs/file-system.js';
import { abortedOutcome } from './hash-sync.js';
import { borrowScanWorker, returnScanWorker } from './scan-pool.js';

/**
 * NodeFileSystem's `hashFiles`: a set of files is cut into chunks, and a few
 * lanes, each holding one scan worker (scan-pool.ts lends them; right after a
 * scan they are idle and warm), hash chunk after chunk synchronously
 * (scan-worker.ts → hash-sync.ts → NodeFileSystem `hashFileSync`), off the
 * main thread. The queue and the lanes are shared by every call, so both
 * roots' sets hash at once on as many cores as there are, and two
 * generations never start more workers than that between them.
 *
 * Measured before (issue 8): one `fs.hash` per file, 20,000 files of
 * 1-16 KiB, 2.4-2.9 s per side on the main thread, almost all of it per-file
 * overhead (a 256 KiB read stream, promises, thread-pool round trips), not
 * SHA-256.
 */

/** One chunk of a set, as the scan worker gets it. `stop` is shared: non-zero once the caller's signal aborted. */
export interface HashChunk {
  readonly id: number;
  readonly root: string;
  readonly relPaths: readonly string[];
  readonly stop: Int32Array;
}

export interface HashChunkReply {
  readonly id: number;
  readonly outcomes: readonly HashOutcome[];
}

/** More lanes than cores only queue on the CPU; beyond the two kept scan workers each lane starts one (~50 ms). */
const MAX_LANES = 4;
const LANES = Math.max(1, Math.min(availableParallelism(), MAX_LANES));

/**
 * Files per chunk, at most: large enough that a chunk's message round trip
 * (~0.1 ms) is small beside its reads (~15 ms for 512 small files), small
 * enough that the lanes share the work evenly and an abort that arrives
 * between chunks stops the rest at once.
 */
const MAX_CHUNK_FILES = 512;

interface Job {
  readonly chunk: HashChunk;
  readonly settle: (outcomes: readonly HashOutcome[]) => void;
}

const queue: Job[] = [];
let runningLanes = 0;
let nextChunkId = 1;

/** Hash `relPaths` under `root` in the scan workers: one outcome per path, in order; never rejects. */
export async function hashInWorkers(root: string, relPaths: readonly string[], signal?: AbortSignal): Promise<HashOutcome[]> {
  if (relPaths.length === 0) return [];
  const stop = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  const onAbort = (): void => void Atomics.store(stop, 0, 1);
  if (signal?.aborted) onAbort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const size = Math.max(1, Math.min(MAX_CHUNK_FILES, Math.ceil(relPaths.length / (LANES * 4))));
    const parts: Array<Promise<readonly HashOutcome[]>> = [];
    for (let at = 0; at < relPaths.length; at += size) {
      const chunk: HashChunk = { id: nextChunkId++, root, relPaths: relPaths.slice(at, at + size), stop };
      parts.push(new Promise((settle) => queue.push({ chunk, settle })));
    }
    startLanes();
    return (await Promise.all(parts)).flat();
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

function startLanes(): void {
  while (runningLanes < LANES && queue.length > 0) {
    runningLanes++;
    void lane();
  }
}

/** Takes chunks from the queue until it is empty, on one borrowed worker (replaced if it dies). */
async function lane(): Promise<void> {
  let worker: Worker | undefined;
  try {
    for (let job = queue.shift(); job !== undefined; job = queue.shift()) {
      const { chunk } = job;
      if (Atomics.load(chunk.stop, 0) !== 0) {
        job.settle(chunk.relPaths.map((rel) => abortedOutcome(posix.join(chunk.root, rel))));
        continue;
      }
      worker ??= borrowScanWorker();
      const answer = await ask(worker, chunk);
      if (typeof answer === 'string') {
        // The worker is gone (it should not die): this chunk's files have no hash, the next chunk gets a new worker.
        worker = undefined;
        job.settle(chunk.relPaths.map((rel) => lostOutcome(posix.join(chunk.root, rel), answer)));
      } else {
        job.settle(answer);
      }
    }
  } finally {
    runningLanes--;
    if (worker !== undefined) returnScanWorker(worker);
  }
}

/** The chunk's outcomes, or why the worker could not give them. */
function ask(worker: Worker, chunk: HashChunk): Promise<readonly HashOutcome[] | string> {
  return new Promise((resolve) => {
    const onMessage = (reply: HashChunkReply): void => {
      if (reply.id !== chunk.id) return;
      detach();
      resolve(reply.outcomes);
    };
    const onError = (err: Error): void => {
      detach();
      resolve(`the hash worker failed: ${err.message}`);
    };
    const onExit = (code: number): void => {
      detach();
      resolve(`the hash worker exited (code ${code}) in the middle of a set`);
    };
    const detach = (): void => {
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
    worker.postMessage({ hash: chunk });
  });
}

function lostOutcome(path: string, why: string): HashOutcome {
  return { error: { code: 'EOTHER', message: `EOTHER: ${why}, hash '${path}'` } };
}
