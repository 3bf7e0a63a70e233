import { parentPort } from 'node:worker_threads';
import { NodeFileSystem } from '../fs/node-file-system.js';
import type { CopyRequest } from './copy-protocol.js';
import { copySync, type CopyItemResult } from './copy-sync.js';

/**
 * A copy worker (copy-pool.ts, behind NodeFileSystem's `openCopyBatches`):
 * runs the copy protocol synchronously on the real disk, through its own
 * NodeFileSystem (the same edge as the main thread, byte names included), for
 * a batch of small files at a time and answers one result per file.
 * Synchronous calls here cost a fraction of the main thread's async ones and
 * leave the event loop free.
 */
export interface CopyBatch {
  readonly id: number;
  readonly requests: readonly CopyRequest[];
}

export interface CopyBatchReply {
  readonly id: number;
  readonly results: readonly CopyItemResult[];
}

const disk = new NodeFileSystem();
const port = parentPort;
if (port === null) throw new Error('copy-worker.ts must run as a worker_threads Worker (see copy-pool.ts)');
port.on('message', (batch: CopyBatch) => {
  const reply: CopyBatchReply = { id: batch.id, results: batch.requests.map((request) => copySync(request, disk)) };
  port.postMessage(reply);
});
