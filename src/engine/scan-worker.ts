import { parentPort } from 'node:worker_threads';
import { NodeFileSystem } from '../fs/node-file-system.js';
import type { HashChunk, HashChunkReply } from './hash-pool.js';
import { hashFilesSync } from './hash-sync.js';
import type { ScanOptions } from './scan.js';
import { walkCollected } from './scan/walk.js';
import type { ScanReply } from './scan-pool.js';
import { packEntries, transferablesOf } from './snapshot-codec.js';

/**
 * A scan worker (scan-pool.ts, behind NodeFileSystem's `walkTree`): answers
 * one request at a time with a walk of one root, through its own
 * NodeFileSystem (the same edge to the disk, byte names included, as the main
 * thread), and sends the entries back packed (snapshot-codec.ts) so they cross
 * cheaply. It stays alive between requests (scan-pool.ts keeps idle workers),
 * so later scans skip the start-up and run already-optimised code.
 * Between scans it also hashes sets of files for `hashFiles` (hash-pool.ts
 * lends it out), through the same NodeFileSystem.
 */
interface ScanRequest {
  readonly root: string;
  readonly options: ScanOptions;
}

const disk = new NodeFileSystem();
const port = parentPort;
if (port === null) throw new Error('scan-worker.ts must run as a worker_threads Worker (see scan-pool.ts)');
port.on('message', (request: ScanRequest | { readonly hash: HashChunk }) => {
  if ('hash' in request) {
    const { id, root, relPaths, stop } = request.hash;
    const reply: HashChunkReply = { id, outcomes: hashFilesSync(disk, root, relPaths, () => Atomics.load(stop, 0) !== 0) };
    port.postMessage(reply);
    return;
  }
  const { root, options } = request;
  let reply: ScanReply;
  let transfer: ArrayBuffer[] = [];
  try {
    // Packed straight from the walk's arrays: no Map is built only to be iterated again. Against a
    // baseline (options.against, its typed arrays shared with the main thread) only the reported entries.
    const result = walkCollected(disk, root, options);
    const packed = packEntries(result.paths, result.list);
    transfer = transferablesOf(packed);
    reply = {
      ok: true, root: result.root, rootMessage: result.rootMessage, staleTemps: result.staleTemps, visited: result.visited, packed, changes: result.changes,
    };
  } catch (err) {
    // A bug, not a disk problem (those are entries): hand it over with its stack so walkTree can rethrow it.
    reply = { ok: false, message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined };
  }
  port.postMessage(reply, transfer);
});
