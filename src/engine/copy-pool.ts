import type { Worker } from 'node:worker_threads';
import type { CopyBatches } from '../fs/file-system.js';
import type { CopyRequest } from './copy-protocol.js';
import type { CopyItemResult, MkdirItemResult } from './copy-sync.js';
import type { CopyBatch, CopyBatchReply, CopyBatchWork } from './copy-worker.js';
import type { MkdirRequest } from './mkdir-protocol.js';
import { startModuleWorker } from './module-worker.js';

/**
 * A few copy workers (copy-worker.ts) for one transfer: NodeFileSystem's
 * `openCopyBatches`. `copy` sends a batch of small-file copies to a free
 * worker and resolves with one result per file, in order; `makeDirectories`
 * the same for a batch of directories. At most `size` batches run at once;
 * more wait their turn. Workers start when a batch first needs one.
 */
export class CopyPool implements CopyBatches {
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<(worker: Worker) => void> = [];
  private readonly all: Worker[] = [];
  private readonly dead = new Set<Worker>();
  private nextId = 1;

  // Workers start on first use, up to `size`: a pool that gets one batch starts one worker, and the
  // split filesystem's local pool, opened for every transfer of a remote conduit, starts none when
  // every copy crosses the link (a worker's start-up is ~50 ms of CPU the link's two ends could use).
  private constructor(readonly size: number) {}

  private startWorker(): Worker {
    const worker = startModuleWorker(import.meta.url, 'copy-worker');
    worker.once('exit', () => this.dead.add(worker));
    this.all.push(worker);
    return worker;
  }

  get concurrency(): number {
    return this.size;
  }

  static start(size: number): CopyPool {
    return new CopyPool(Math.max(1, size));
  }

  copy(requests: readonly CopyRequest[]): Promise<CopyItemResult[]> {
    return this.onWorker<CopyItemResult>({ requests });
  }

  makeDirectories(requests: readonly MkdirRequest[]): Promise<MkdirItemResult[]> {
    return this.onWorker<MkdirItemResult>({ directories: requests });
  }

  private async onWorker<R>(work: CopyBatchWork): Promise<R[]> {
    const worker = this.idle.pop() ?? (this.all.length < this.size ? this.startWorker() : await new Promise<Worker>((resolve) => this.waiting.push(resolve)));
    try {
      return await this.ask<R>(worker, work);
    } finally {
      // A worker that died (it should not) is replaced, so the pool keeps its size.
      const usable = this.dead.has(worker) ? this.startWorker() : worker;
      const next = this.waiting.shift();
      if (next) next(usable);
      else this.idle.push(usable);
    }
  }

  private ask<R>(worker: Worker, work: CopyBatchWork): Promise<R[]> {
    const id = this.nextId++;
    return new Promise<R[]>((resolve, reject) => {
      const onMessage = (reply: CopyBatchReply) => {
        if (reply.id !== id) return;
        detach();
        resolve([...(reply.results as readonly R[])]);
      };
      const onError = (err: Error) => {
        detach();
        reject(new Error(`copy worker failed: ${err.message}`));
      };
      const onExit = (code: number) => {
        detach();
        reject(new Error(`copy worker exited (code ${code}) in the middle of a batch`));
      };
      const detach = () => worker.off('message', onMessage).off('error', onError).off('exit', onExit);
      worker.on('message', onMessage).on('error', onError).on('exit', onExit);
      const batch: CopyBatch = { id, ...work };
      worker.postMessage(batch);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}
