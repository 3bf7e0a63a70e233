import { afterAll, afterEach } from 'vitest';
import type { ConduitSpec } from '../../src/config/conduit-spec.js';
import { openStore } from '../../src/db/open-store.js';
import type { GenerationCommit, Store } from '../../src/db/store.js';
import { runGeneration, type GenerationRequest, type GenerationResult } from '../../src/engine/generation.js';
import type { FileSystem } from '../../src/fs/file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { stopScanWorkers } from '../../src/engine/scan.js';
import type { TempArea } from './tree.js';
import { conduitSpec } from '../db/fixtures.js';

/**
 * A real SQLite store with one conduit, and a `run` that drives one
 * generation of it through `runGeneration` (the conduit row is re-read each
 * time, as the service does). Every commit is kept (`commits`) so a test can
 * see which baseline rows a generation wrote.
 */
export interface EngineHarness {
  readonly store: Store;
  readonly commits: GenerationCommit[];
  /** The paths of every `loadBaselineRows` call, in order: which rows a generation held (issue 9). */
  readonly rowLoads: (readonly string[])[];
  readonly name: string;
  run(request?: Partial<Omit<GenerationRequest, 'conduit'>> & { fs?: FileSystem }): Promise<GenerationResult>;
  /** Replace spec fields of the conduit (like `conduit edit`). */
  edit(overrides: Partial<ConduitSpec>): void;
  close(): void;
}

export async function engineHarness(db: string, overrides: Partial<ConduitSpec>): Promise<EngineHarness> {
  const real = await openStore(db);
  const commits: GenerationCommit[] = [];
  const rowLoads: (readonly string[])[] = [];
  // A recording decorator (not a mock): every call goes to the real store.
  const store = new Proxy(real, {
    get(target, key) {
      if (key === 'loadBaselineRows') {
        return (conduitId: number, paths: readonly string[]) => {
          rowLoads.push([...paths]);
          return target.loadBaselineRows(conduitId, paths);
        };
      }
      if (key === 'commitGeneration') {
        return (commit: GenerationCommit) => {
          commits.push(commit);
          return target.commitGeneration(commit);
        };
      }
      const value = Reflect.get(target, key, target) as unknown;
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  const spec = conduitSpec({ name: 'c', exclude: [], ...overrides });
  store.createConduit(spec);
  const nodeFs = new NodeFileSystem();
  let closed = false;
  return {
    store, commits, rowLoads, name: spec.name,
    run: async ({ fs = nodeFs, ...request } = {}) =>
      runGeneration(store, fs, { trigger: 'manual', ...request, conduit: store.getConduit(spec.name)! }),
    edit: (more) => {
      const current = store.getConduit(spec.name)!;
      const next: ConduitSpec = { ...specOf(current), ...more };
      store.updateConduit(spec.name, next);
    },
    close: () => {
      if (closed) return;
      closed = true;
      real.close();
    },
  };
}

/**
 * The lifecycle every engine test file on the real disk shares: after each
 * test, close the harness the test used and remove its temp area (both may be
 * absent, and closing twice is harmless); after the file, stop the idle scan
 * workers so the test process can exit.
 */
export function cleanUpEngineTests(current: () => { readonly harness?: EngineHarness | undefined; readonly area?: TempArea | undefined }): void {
  afterEach(() => {
    const { harness, area } = current();
    harness?.close();
    area?.cleanup();
  });
  afterAll(async () => {
    await stopScanWorkers();
  });
}

function specOf(row: ConduitSpec): ConduitSpec {
  return {
    name: row.name, source: row.source, target: row.target, mode: row.mode, schedule: row.schedule, enabled: row.enabled,
    include: row.include, exclude: row.exclude, useIndexRules: row.useIndexRules, conflict: row.conflict,
    parallelTransfers: row.parallelTransfers, bandwidthLimitMbps: row.bandwidthLimitMbps, maxDeletePercent: row.maxDeletePercent,
    checksum: row.checksum, versioning: row.versioning, verifyTimeoutSeconds: row.verifyTimeoutSeconds,
    sshCommand: row.sshCommand, remoteCommand: row.remoteCommand,
  };
}
