import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConduitService, LiveEvent } from '../service/conduit-service.js';

/**
 * `GET /metrics` (Prometheus text format). What happens during this
 * process's life — generations finishing, bytes and files moved, how long
 * generations took — are counters and a histogram fed by the service's live
 * events. What the database knows at any moment — open conflicts, the last
 * successful sync — are gauges read from the store at scrape time, so they
 * are right even for generations that `conduit run` made in another process.
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Stops listening to the service. */
  close(): void;
}

/** Generations take from well under a second (nothing to do) to hours (a first mirror of a big tree). */
const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600];

export function createServiceMetrics(service: ConduitService): ServiceMetrics {
  // One registry per server, not prom-client's global one: tests start many servers in one process.
  const registry = new Registry();
  const generations = new Counter({
    name: 'conduit_generations_total',
    help: 'Generations finished since the service started, by conduit and status.',
    labelNames: ['conduit', 'status'] as const,
    registers: [registry],
  });
  const bytes = new Counter({
    name: 'conduit_bytes_transferred_total',
    help: 'Bytes written by finished generations since the service started.',
    labelNames: ['conduit'] as const,
    registers: [registry],
  });
  const files = new Counter({
    name: 'conduit_files_transferred_total',
    help: 'Files copied or deleted by finished generations since the service started.',
    labelNames: ['conduit', 'action'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'conduit_generation_duration_seconds',
    help: 'Wall-clock duration of finished generations.',
    labelNames: ['conduit'] as const,
    buckets: DURATION_BUCKETS,
    registers: [registry],
  });
  new Gauge({
    name: 'conduit_unresolved_conflicts',
    help: 'Conflicts waiting for a decision (conduit resolve), by conduit.',
    labelNames: ['conduit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const open = new Map<string, number>(service.store.listConduits().map((row) => [row.name, 0]));
      for (const conflict of service.store.listConflicts()) open.set(conflict.conduit, (open.get(conflict.conduit) ?? 0) + 1);
      for (const [conduit, count] of open) this.set({ conduit }, count);
    },
  });
  new Gauge({
    name: 'conduit_last_successful_sync_timestamp_seconds',
    help: 'When the last generation that completed (with or without errors) finished, Unix time; absent before the first.',
    labelNames: ['conduit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const row of service.store.listConduits()) {
        if (row.lastSyncCompletedAt !== null) this.set({ conduit: row.name }, Date.parse(row.lastSyncCompletedAt) / 1000);
      }
    },
  });
  new Gauge({
    name: 'conduit_pending_paths',
    help: 'Paths the latest generations did not land (skipped or failed; retried by the next), by conduit. Above 0 the conduit is not current.',
    labelNames: ['conduit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const row of service.store.listConduits()) this.set({ conduit: row.name }, row.pendingPaths);
    },
  });
  new Gauge({
    name: 'conduit_running_generations',
    help: 'Generations running right now.',
    registers: [registry],
    collect() {
      this.set(service.running().length);
    },
  });

  const onEvent = (event: LiveEvent): void => {
    if (event.type !== 'generation_finished') return;
    const { record } = event;
    generations.inc({ conduit: event.conduit, status: event.status });
    if (record.dryRun) return;
    bytes.inc({ conduit: event.conduit }, record.bytesTransferred);
    files.inc({ conduit: event.conduit, action: 'copied' }, record.filesCopied);
    files.inc({ conduit: event.conduit, action: 'deleted' }, record.filesDeleted);
    if (record.completedAt !== null) {
      const seconds = (Date.parse(record.completedAt) - Date.parse(record.startedAt)) / 1000;
      if (Number.isFinite(seconds) && seconds >= 0) duration.observe({ conduit: event.conduit }, seconds);
    }
  };
  const unsubscribe = service.subscribe(onEvent);
  return { registry, close: unsubscribe };
}
