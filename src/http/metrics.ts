import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Metric, MetricObjectWithValues, MetricValueWithName } from 'prom-client';
import { CONDUIT_STATES, GENERATION_STATUSES, type GenerationStatus } from '../core/vocabulary.js';
import type { GenerationStatistics } from '../db/generation-statistics.js';
import type { ConduitRow } from '../db/store.js';
import type { ConduitService } from '../service/conduit-service.js';

/**
 * `GET /metrics` (Prometheus text format). Everything conduit-specific is
 * read from the database at scrape time, so the numbers are the history's:
 * a generation that `conduit run` made in another process, or an earlier
 * `serve`, counts as much as one this process ran, and a restart does not
 * reset a counter (the database keeps them). Dry runs change nothing and are
 * counted nowhere but in `conduit_running_generations` while they run.
 * Beside them, prom-client's default process and Node.js metrics.
 *
 * One function per metric family below; each reads the scrape's snapshot.
 */
export interface ServiceMetrics {
  readonly registry: Registry;
  /** Stops whatever the metrics listen to. */
  close(): void;
}

/** Generations take from well under a second (nothing to do) to hours (a first mirror of a big tree). */
export const DURATION_BUCKETS = [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600];

/** What a scrape reads from the database, once for all families (see ScrapeSnapshot). */
interface StoreView {
  readonly conduits: readonly ConduitRow[];
  readonly statistics: GenerationStatistics;
}

export function createServiceMetrics(service: ConduitService): ServiceMetrics {
  // One registry per server, not prom-client's global one: tests start many servers in one process.
  const registry = new Registry();
  const snapshot = new ScrapeSnapshot(() => ({
    conduits: service.store.listConduits(),
    statistics: service.store.generationStatistics(DURATION_BUCKETS),
  }));
  const read = () => snapshot.get();
  registerProcessMetrics(registry);
  registerConduitState(registry, read);
  registerGenerationCounters(registry, read);
  registerVerificationFailures(registry, read);
  registerGenerationDurations(registry, read);
  registerLatestGeneration(registry, read);
  registerLastSuccessfulSync(registry, read);
  registerUnresolvedConflicts(registry, service);
  registerRunningGenerations(registry, read);
  registerPendingPaths(registry, read);
  return { registry, close: () => undefined };
}

/**
 * prom-client's default metrics (CPU, memory, event loop lag, GC, handles),
 * created once per process — each set starts its own event-loop and GC
 * observers — and registered into every server's registry.
 */
let processMetrics: Registry | undefined;
function registerProcessMetrics(registry: Registry): void {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  // getMetricsAsArray is typed as plain objects; they are prom-client's metric instances.
  for (const metric of processMetrics.getMetricsAsArray()) registry.registerMetric(metric as unknown as Metric);
}

/** `conduit_state{conduit,state}`: 1 for the conduit's current state, 0 for every other (so `== 1` selects it). */
function registerConduitState(registry: Registry, read: () => StoreView): void {
  new Gauge({
    name: 'conduit_state',
    help: `The conduit's state: 1 for the current one, 0 for the others (${CONDUIT_STATES.join(', ')}).`,
    labelNames: ['conduit', 'state'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const row of read().conduits) {
        for (const state of CONDUIT_STATES) this.set({ conduit: row.name, state }, row.state === state ? 1 : 0);
      }
    },
  });
}

/**
 * The history's counters: generations by status, and what they moved. A
 * counter's series disappears with its conduit (`conduit remove` forgets
 * its history).
 */
function registerGenerationCounters(registry: Registry, read: () => StoreView): void {
  new Counter({
    name: 'conduit_generations_total',
    help: 'Finished generations (not dry runs) in the history, by conduit and status, whichever process ran them.',
    labelNames: ['conduit', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const { conduits, statistics } = read();
      for (const row of conduits) for (const status of FINISHED_STATUSES) this.inc({ conduit: row.name, status }, 0);
      for (const tally of realTallies(statistics)) if (tally.status !== 'running') this.inc({ conduit: tally.conduit, status: tally.status }, tally.generations);
    },
  });
  perConduitCounter(registry, read, 'conduit_bytes_transferred_total', 'Bytes written by the generations in the history (not dry runs).', (t) => t.bytesTransferred);
  perConduitCounter(registry, read, 'conduit_files_copied_total', 'Files copied by the generations in the history (not dry runs).', (t) => t.filesCopied);
  perConduitCounter(registry, read, 'conduit_files_deleted_total', 'Files deleted by the generations in the history (not dry runs).', (t) => t.filesDeleted);
}

/** `conduit_verification_failures_total{conduit}`: generations whose verification ended `failed:<reason>`. */
function registerVerificationFailures(registry: Registry, read: () => StoreView): void {
  perConduitCounter(
    registry, read, 'conduit_verification_failures_total',
    'Generations whose verification failed (the watcher or `conduit verify` saw something else on disk than what was written).',
    (t) => t.verificationFailures,
  );
}

/** `conduit_generation_duration_seconds{conduit}`: wall-clock durations of the finished generations in the history. */
function registerGenerationDurations(registry: Registry, read: () => StoreView): void {
  new StoredDurationHistogram(registry, read);
}

/**
 * The latest finished generation (not a dry run): `conduit_last_generation_status{conduit,status}`
 * (1 for its status, 0 for the others) and `conduit_last_generation_timestamp_seconds{conduit}` (when it finished).
 */
function registerLatestGeneration(registry: Registry, read: () => StoreView): void {
  new Gauge({
    name: 'conduit_last_generation_status',
    help: `Status of the conduit's latest finished generation (not a dry run): 1 for it, 0 for the others (${FINISHED_STATUSES.join(', ')}).`,
    labelNames: ['conduit', 'status'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const latest of read().statistics.latest) {
        for (const status of FINISHED_STATUSES) this.set({ conduit: latest.conduit, status }, latest.status === status ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: 'conduit_last_generation_timestamp_seconds',
    help: "When the conduit's latest finished generation (not a dry run) finished, Unix time; absent before the first.",
    labelNames: ['conduit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const latest of read().statistics.latest) {
        if (latest.completedAt !== null) this.set({ conduit: latest.conduit }, unixSeconds(latest.completedAt));
      }
    },
  });
}

/**
 * `conduit_last_successful_sync_timestamp_seconds{conduit}`: the latest generation
 * that `completed` — without errors: one that left paths failed is no success to alert on.
 */
function registerLastSuccessfulSync(registry: Registry, read: () => StoreView): void {
  new Gauge({
    name: 'conduit_last_successful_sync_timestamp_seconds',
    help: 'When the latest generation that completed without errors (not a dry run) finished, Unix time; absent before the first.',
    labelNames: ['conduit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const tally of realTallies(read().statistics)) {
        if (tally.status === 'completed' && tally.lastCompletedAt !== null) this.set({ conduit: tally.conduit }, unixSeconds(tally.lastCompletedAt));
      }
    },
  });
}

/** `conduit_unresolved_conflicts{conduit}`: conflicts waiting for a decision. */
function registerUnresolvedConflicts(registry: Registry, service: ConduitService): void {
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
}

/** `conduit_pending_paths{conduit}`: paths the latest generations did not land (issue 11 §1); above 0 the conduit is not current. */
function registerPendingPaths(registry: Registry, read: () => StoreView): void {
  new Gauge({
    name: 'conduit_pending_paths',
    help: 'Paths the latest generations did not land (skipped or failed; retried by the next), by conduit. Above 0 the conduit is not current.',
    labelNames: ['conduit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const row of read().conduits) this.set({ conduit: row.name }, row.pendingPaths);
    },
  });
}

/** `conduit_running_generations`: generations the database says are running, dry runs included, whichever process runs them. */
function registerRunningGenerations(registry: Registry, read: () => StoreView): void {
  new Gauge({
    name: 'conduit_running_generations',
    help: 'Generations running right now (dry runs included), whichever process runs them.',
    registers: [registry],
    collect() {
      let running = 0;
      for (const tally of read().statistics.tallies) if (tally.status === 'running') running += tally.generations;
      this.set(running);
    },
  });
}

const FINISHED_STATUSES = GENERATION_STATUSES.filter((status): status is Exclude<GenerationStatus, 'running'> => status !== 'running');

function realTallies(statistics: GenerationStatistics) {
  return statistics.tallies.filter((tally) => !tally.dryRun);
}

/** A counter per conduit summing one field of its real (not dry-run) generations; 0 for a conduit with none. */
function perConduitCounter(
  registry: Registry, read: () => StoreView, name: string, help: string,
  field: (tally: GenerationStatistics['tallies'][number]) => number,
): void {
  new Counter({
    name,
    help,
    labelNames: ['conduit'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const { conduits, statistics } = read();
      for (const row of conduits) this.inc({ conduit: row.name }, 0);
      for (const tally of realTallies(statistics)) this.inc({ conduit: tally.conduit }, field(tally));
    },
  });
}

function unixSeconds(iso: string): number {
  return Date.parse(iso) / 1000;
}

/**
 * A histogram whose buckets the database counts (Store.generationStatistics)
 * rather than `observe()` calls in this process. prom-client's registry asks
 * a histogram through `getForPromString` (text) or `get` (JSON); both answer
 * from the scrape's snapshot.
 */
const DURATION_NAME = 'conduit_generation_duration_seconds';
const DURATION_HELP = 'Wall-clock duration of the finished generations (not dry runs) in the history.';

class StoredDurationHistogram extends Histogram<'conduit' | 'le'> {
  constructor(registry: Registry, private readonly read: () => StoreView) {
    super({
      name: DURATION_NAME,
      help: DURATION_HELP,
      labelNames: ['conduit'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    });
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<'conduit' | 'le'>>> {
    return this.getForPromString();
  }

  async getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<'conduit' | 'le'>>> {
    const name = DURATION_NAME;
    const values: MetricValueWithName<'conduit' | 'le'>[] = [];
    for (const tally of this.read().statistics.durations) {
      DURATION_BUCKETS.forEach((bound, i) => values.push({ metricName: `${name}_bucket`, labels: { conduit: tally.conduit, le: bound }, value: tally.atMost[i] ?? 0 }));
      values.push({ metricName: `${name}_bucket`, labels: { conduit: tally.conduit, le: '+Inf' }, value: tally.count });
      values.push({ metricName: `${name}_sum`, labels: { conduit: tally.conduit }, value: tally.sumSeconds });
      values.push({ metricName: `${name}_count`, labels: { conduit: tally.conduit }, value: tally.count });
    }
    // prom-client's types say `type` is an enum; its registry writes this string into the text, as its own Histogram returns it.
    return { name, help: DURATION_HELP, type: 'histogram', aggregator: 'sum', values } as unknown as MetricObjectWithValues<MetricValueWithName<'conduit' | 'le'>>;
  }
}

/**
 * One database read per scrape: prom-client calls every family's collect in
 * the same synchronous turn, so the first one reads and the rest reuse it;
 * the copy is dropped at the next turn of the event loop, so the next scrape
 * reads afresh.
 */
class ScrapeSnapshot {
  private current: StoreView | undefined;

  constructor(private readonly load: () => StoreView) {}

  get(): StoreView {
    if (!this.current) {
      this.current = this.load();
      setImmediate(() => { this.current = undefined; });
    }
    return this.current;
  }
}
