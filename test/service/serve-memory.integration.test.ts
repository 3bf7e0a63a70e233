import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/db/open-store.js';
import type { Store } from '../../src/db/store.js';
import { stopScanWorkers } from '../../src/engine/scan.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { createLogger } from '../../src/log.js';
import { ConduitRuntime } from '../../src/service/conduit-runtime.js';
import { conduitSpec } from '../db/fixtures.js';
import { put, tempArea, type TempArea } from '../support/tree.js';

/**
 * `serve` keeps no per-path state between generations (issue 9): what a
 * generation leaves behind for the watcher (one echo expectation per path it
 * wrote, so its own writes do not trigger the next generation) ends with its
 * time to live. It used to be dropped only when the next generation of the
 * conduit finished: after a 100,000-file first sync, ~30 MB of expectations
 * stayed for as long as the conduit was quiet.
 *
 * The runtime of `conduit serve` in this process, on real folders, a real
 * database and the real watcher; waits poll with generous deadlines.
 */

const DEADLINE_MS = 20_000;
const ECHO_TTL_MS = 2_000;

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
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('serve: per-path state between generations', () => {
  it('drops the echo expectations of a generation once their time to live has passed, without waiting for the next generation', async () => {
    area = tempArea('conduit-serve-memory-');
    for (let i = 0; i < 40; i++) put(area.source, `d${i % 4}/f${i}.txt`, `file ${i}`);
    store = await openStore(area.db);
    store.createConduit(conduitSpec({ name: 'm', source: area.source, target: area.target, schedule: 'instant', exclude: [] }));
    runtime = new ConduitRuntime({
      store, fs: new NodeFileSystem(), logger: createLogger({ level: 'silent' }), maxConcurrentConduits: 1,
      aggregator: { echoTtlMs: ECHO_TTL_MS },
    });
    const conduitId = store.getConduit('m')?.id ?? -1;
    let expectationsAfterTheGeneration = 0;
    const service = runtime;
    const unsubscribe = service.subscribe((event) => {
      if (event.type === 'generation_finished') expectationsAfterTheGeneration = service.heldPerPath().echoes;
    });
    await runtime.start();

    // The instant conduit's first (catch-up) generation copies the 40 files and is verified by the watcher.
    await eventually('the first generation, verified', () => store?.getGeneration(conduitId, 1)?.verificationStatus === 'verified');
    unsubscribe();
    expect(store.getGeneration(conduitId, 1)?.filesCopied).toBe(40);
    // The precondition: the generation left one expectation per written path (and its directories).
    expect(expectationsAfterTheGeneration).toBeGreaterThanOrEqual(40);

    await eventually('the echo expectations to be dropped', () => runtime?.heldPerPath().echoes === 0);
    expect(runtime.heldPerPath()).toEqual({ echoes: 0, observationsDuringRuns: 0, verifications: 0 });
    // Nothing ran in between: it was the time to live, not a second generation.
    expect(store.getGeneration(conduitId, 2)).toBeUndefined();
  });
});
