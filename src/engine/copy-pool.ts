import type { Worker } from 'node:worker_threads';
import type { CopyBatches } from '../fs/file-system.js';
import type { CopyRequest } from './copy-protocol.js';
import type { CopyItemResult } from './copy-sync.js';
import type { CopyBatchReply } from './copy-worker.js';
import { startModuleWorker } from './module-worker.js';

/**
 * A few copy workers (copy-worker.ts) for one transfer: NodeFileSystem's
 * `openCopyBatches`. `copy` sends a batch of small-file copies to a free
 * worker and resolves with one result per file, in order. At most `size`
 * batches run at once; more wait their turn.
 */
export class CopyPool implements CopyBatches {
  private readonly idle: Worker[] = [];
  private readonly waiting: Array<(worker: Worker) => void> = [];
  private readonly all: Worker[] = [];
  private readonly dead = new Set<Worker>();
  private nextId = 1;

  private constructor(readonly size: number) {
    for (let i = 0; i < size; i++) this.idle.push(this.startWorker());
  }

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

  async copy(requests: readonly CopyRequest[]): Promise<CopyItemResult[]> {
    const worker = this.idle.pop() ?? (await new Promise<Worker>((resolve) => this.waiting.push(resolve)));
    try {
      return await this.ask(worker, requests);
    } finally {
      // A worker that died (it should not) is replaced, so the pool keeps its size.
      const usable = this.dead.has(worker) ? this.startWorker() : worker;
      const next = this.waiting.shift();
      if (next) next(usable);
      else this.idle.push(usable);
    }
  }

  private ask(worker: Worker, requests: readonly CopyRequest[]): Promise<CopyItemResult[]> {
    const id = this.nextId++;
    return new Promise<CopyItemResult[]>((resolve, reject) => {
      const onMessage = (reply: CopyBatchReply) => {
        if (reply.id !== id) return;
        detach();
        resolve([...reply.results]);
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
      worker.postMessage({ id, requests });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}
