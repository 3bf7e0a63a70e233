import { parentPort } from 'node:worker_threads';
import { NodeFileSystem } from '../fs/node-file-system.js';
import type { CopyRequest } from './copy-protocol.js';
import { copySync, makeDirectorySync, type CopyItemResult, type MkdirItemResult } from './copy-sync.js';
import type { MkdirRequest } from './mkdir-protocol.js';

/**
 * A copy worker (copy-pool.ts, behind NodeFileSystem's `openCopyBatches`):
 * runs the copy protocol synchronously on the real disk, through its own
 * NodeFileSystem (the same edge as the main thread, byte names included), for
 * a batch of small files (or of directories, mkdir-protocol.ts) at a time,
 * and answers one result per item.
 * Synchronous calls here cost a fraction of the main thread's async ones and
 * leave the event loop free.
 */
/** A batch's work: small-file copies, or directories to make (one depth level). */
export type CopyBatchWork = { readonly requests: readonly CopyRequest[] } | { readonly directories: readonly MkdirRequest[] };

export type CopyBatch = { readonly id: number } & CopyBatchWork;

export interface CopyBatchReply {
  readonly id: number;
  readonly results: readonly CopyItemResult[] | readonly MkdirItemResult[];
}

const disk = new NodeFileSystem();
const port = parentPort;
if (port === null) throw new Error('copy-worker.ts must run as a worker_threads Worker (see copy-pool.ts)');
port.on('message', (batch: CopyBatch) => {
  const results = 'directories' in batch
    ? batch.directories.map((request) => makeDirectorySync(request, disk))
    : batch.requests.map((request) => copySync(request, disk));
  const reply: CopyBatchReply = { id: batch.id, results };
  port.postMessage(reply);
});
