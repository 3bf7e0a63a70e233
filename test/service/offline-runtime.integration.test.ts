import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/db/open-store.js';
import type { Store } from '../../src/db/store.js';
import { stopScanWorkers } from '../../src/engine/scan.js';
import { UnreachableError } from '../../src/fs/file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { createLogger } from '../../src/log.js';
import { ConduitRuntime } from '../../src/service/conduit-runtime.js';
import { conduitSpec } from '../db/fixtures.js';
import { put, readTree, tempArea, type TempArea } from '../support/tree.js';

/**
 * Issue 10 under the service, in this process: the runtime of `conduit
 * serve` on real folders, a real database and the real watcher, over the
 * node filesystem with a `connect` that stands for the target host's link
 * (the one thing made up; test/remote/offline-serve.e2e.test.ts does it over
 * a real sshd). While the host is unreachable the watcher's changes are kept
 * in the database; a restart keeps them; the first generation that reaches
 * the host syncs them, clears them and resets the attempts.
 */

const DEADLINE_MS = 60_000;

/** Node's filesystem, behind a "link" whose host can be made unreachable. */
class LinkedNodeFileSystem extends NodeFileSystem {
  unreachable: string | null = null;
  private readonly link = new AbortController();

  connect(): Promise<AbortSignal> {
    if (this.unreachable !== null) return Promise.reject(new UnreachableError('backup.example', this.unreachable));
    return Promise.resolve(this.link.signal);
  }
}

let area: TempArea | undefined;
let store: Store | undefined;
let runtime: ConduitRuntime | undefined;

afterEach(async () => {
  await runtime?.stop();
  store?.close();
  await stopScanWorkers();
  area?.cleanup();
  runtime = store = area = undefined;
});

async function eventually(what: string, check: () => boolean): Promise<void> {
  const deadline = Date.now() + DEADLINE_MS;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function startRuntime(fs: LinkedNodeFileSystem): ConduitRuntime {
  runtime = new ConduitRuntime({ store: store!, fs, logger: createLogger({ level: 'silent' }), maxConcurrentConduits: 1, aggregator: { quietMs: 50 } });
  return runtime;
}

describe('serve while the host is unreachable', () => {
  it('keeps the watcher\'s changes in the database, through a restart, and syncs them when the host answers', async () => {
    area = tempArea('conduit-offline-runtime-');
    put(area.source, 'a.txt', 'a');
    store = await openStore(area.db);
    store.createConduit(conduitSpec({ name: 'r', source: area.source, target: area.target, schedule: 'instant', exclude: [] }));
    const id = store.getConduit('r')!.id;
    const fs = new LinkedNodeFileSystem();
    await startRuntime(fs).start();
    await eventually('the catch-up generation', () => store!.getConduit('r')!.state === 'current');

    fs.unreachable = 'ssh: connect to host backup.example port 22: Connection refused';
    put(area.source, 'b.txt', 'b, while the host is down');
    await eventually('the watcher\'s generation refused as unreachable', () => store!.getConduit('r')!.state === 'unreachable');
    put(area.source, 'sub/c.txt', 'c, while the host is down');
    // The watcher may name a new directory rather than each file in it: a hint at or above each changed path.
    const covered = (path: string) => store!.listOfflineHints(id).some((h) => path === h.path || path.startsWith(`${h.path}/`));
    await eventually('both changes kept', () => covered('b.txt') && covered('sub/c.txt'));
    await eventually('a second attempt', () => store!.getConduit('r')!.attemptCount >= 2);
    expect(readTree(area.target)).toEqual({ 'a.txt': 'a' });

    // A restart of serve: the hints and the backoff are read back from the database.
    await runtime!.stop();
    expect(covered('b.txt') && covered('sub/c.txt')).toBe(true);
    await startRuntime(fs).start();
    expect(store.getConduit('r')!.state).toBe('unreachable');

    fs.unreachable = null;
    await eventually('the kept changes synced', () => store!.getConduit('r')!.state === 'current' && store!.getConduit('r')!.offlineHints === 0);
    expect(readTree(area.target)).toEqual(readTree(area.source));
    expect(store.getConduit('r')!).toMatchObject({ attemptCount: 0, nextAttemptAt: null, lastSyncError: null });
  }, 120_000);
});
