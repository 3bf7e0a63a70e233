import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runGeneration } from '../../../src/engine/generation.js';
import { NodeFileSystem } from '../../../src/fs/node-file-system.js';
import { openStore } from '../../../src/db/open-store.js';
import { describeHolder } from '../../../src/db/lease.js';
import { thisProcess } from '../../../src/db/lease-holder.js';
import type { GenerationRecord, Store } from '../../../src/db/store.js';
import { requireConduit } from '../../../src/service/conduit-admin.js';
import type {
  ConduitService, LiveEvent, RunningGeneration, SyncRequestOptions,
} from '../../../src/service/conduit-service.js';
import { resolveConflict, type ResolveChoice } from '../../../src/service/resolve-conflict.js';
import { generationView } from '../../../src/service/views.js';

/**
 * A small but real ConduitService for the HTTP tests, until the scheduler's
 * lands: a real SQLite store in a temporary folder, real generations on the
 * real disk through `runGeneration`, real conflict resolution, and the live
 * events a front end sees. No schedule, no watcher (so no verification:
 * generations stay `unverified`).
 */
export interface DirectService extends ConduitService {
  /** The folder holding the database (a root holding the database file is refused; one inside this folder is not). */
  readonly dataDir: string;
  /** Names passed to `conduitChanged`, in order. */
  readonly changed: readonly string[];
  /** Emits an event as the service would (e.g. a verification the direct service cannot make). */
  emit(event: LiveEvent): void;
  close(): void;
}

export async function createDirectService(): Promise<DirectService> {
  const dataDir = mkdtempSync(join(tmpdir(), 'conduit-http-data-'));
  const databasePath = join(dataDir, 'conduit.db');
  const store: Store = await openStore(databasePath);
  const fs = new NodeFileSystem();
  const listeners = new Set<(event: LiveEvent) => void>();
  const running = new Map<string, RunningGeneration>();
  const changed: string[] = [];
  /** Per conduit: the generation in progress and at most one follow-up that later requests share. */
  const queues = new Map<string, { current: Promise<GenerationRecord>; next?: Promise<GenerationRecord> }>();

  const emit = (event: LiveEvent): void => {
    for (const listener of [...listeners]) listener(event);
  };

  const runOne = async (name: string, options: SyncRequestOptions): Promise<GenerationRecord> => {
    const conduit = requireConduit(store, name);
    const requestedAt = new Date().toISOString();
    let transferStartedMs: number | undefined;
    const result = await runGeneration(store, fs, {
      conduit,
      trigger: options.trigger,
      dryRun: options.dryRun === true,
      force: options.force === true,
      ...(options.paths ? { onlyPaths: options.paths } : {}),
      onProgress: (p) => {
        if (!running.has(name)) {
          emit({ type: 'generation_started', conduit: name, generation: p.generation, trigger: options.trigger, startedAt: requestedAt });
        }
        if (p.phase === 'transferring') transferStartedMs ??= Date.now();
        const seconds = transferStartedMs === undefined ? 0 : (Date.now() - transferStartedMs) / 1000;
        const progress: RunningGeneration = {
          conduit: name, generation: p.generation, trigger: options.trigger, startedAt: requestedAt,
          actionsDone: p.actionsDone, actionsTotal: p.actionsTotal, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal,
          rate: seconds > 0 ? p.bytesDone / seconds : 0,
        };
        running.set(name, progress);
        emit({ type: 'generation_progress', ...progress });
      },
    });
    running.delete(name);
    emit({ type: 'generation_finished', conduit: name, generation: result.record.generation, status: result.record.status, record: generationView(result.record) });
    return result.record;
  };

  const service: DirectService = {
    store,
    dataDir,
    changed,
    emit,
    requestSync(name, options) {
      const queue = queues.get(name);
      if (!queue) {
        const current = runOne(name, options).finally(() => advance(name));
        queues.set(name, { current });
        return current;
      }
      // Requests during a run coalesce into one follow-up (SPEC §9).
      queue.next ??= queue.current.catch(() => undefined).then(() => runOne(name, options));
      return queue.next;
    },
    resolveConflict: (id: number, choice: ResolveChoice) => resolveConflict(store, fs, id, choice),
    conduitChanged(name) {
      changed.push(name);
      emit({ type: 'conduit_changed', conduit: name });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    running: () => [...running.values()],
    heldElsewhere(name) {
      const row = store.getConduit(name);
      const holder = row ? store.leaseHolder(row.id, 'generation', thisProcess()) : null;
      return holder && !holder.self ? describeHolder(holder) : null;
    },
    close() {
      store.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };

  function advance(name: string): void {
    const queue = queues.get(name);
    if (!queue) return;
    if (queue.next) {
      const next = queue.next.finally(() => advance(name));
      queues.set(name, { current: next });
    } else {
      queues.delete(name);
    }
  }

  return service;
}
