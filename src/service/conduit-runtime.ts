import { parseSchedule } from '../config/schedule.js';
import type { Side } from '../core/entry.js';
import type { Landed } from '../core/plan.js';
import { describeHolder, isConduitBusy } from '../db/lease.js';
import { holdLease, leaseTiming, type HeldLease, type LeaseTiming } from '../db/lease-keeper.js';
import { thisProcess } from '../db/lease-holder.js';
import type { ConduitRow, ConflictRecord, GenerationRecord, Store } from '../db/store.js';
import { runGeneration, type GenerationProgress } from '../engine/generation.js';
import { isConduitTempName } from '../engine/filters.js';
import { rootPresent } from '../fs/root-present.js';
import type { FileSystem } from '../fs/file-system.js';
import type { Logger } from '../log.js';
import { ConduitRoots, type OpenedConduit, type RootsConduit } from '../remote/conduit-roots.js';
import { ChangeAggregator, DEFAULT_AGGREGATOR_OPTIONS, type AggregatorOptions } from '../watch/aggregator.js';
import type { Observation } from '../watch/observation.js';
import type { WatchEvent, Watcher } from '../watch/watcher.js';
import { UnknownConduitError } from './conduit-admin.js';
import type { ConduitService, LiveEvent, PlannedRun, RunningGeneration, SyncRequestOptions } from './conduit-service.js';
import { DATABASE_POLL_MS, DatabaseChanges } from './database-changes.js';
import { resolveConflict, type ResolveChoice } from './resolve-conflict.js';
import { ServiceLeases } from './service-leases.js';
import { Scheduler, type ConduitFacts, type RunReport, type SchedulerRequest } from './scheduler.js';
import { failed, finalCheck, namePaths, VerificationTracker } from './verifier.js';
import { generationView, PENDING_WARN_GENERATIONS } from './views.js';

/**
 * The running service behind `conduit serve` (SPEC §8, §9): the scheduler,
 * one watcher per enabled conduit, the watcher fast path, watcher
 * verification, and the live events — everything the front ends reach
 * through `ConduitService`. It owns no process concerns (signals, config
 * files, HTTP): `app.ts` wires those.
 */
export interface RuntimeOptions {
  readonly store: Store;
  readonly fs: FileSystem;
  readonly logger: Logger;
  maxConcurrentConduits: number;
  readonly aggregator?: Partial<AggregatorOptions>;
  /** The fast path's safety net: a watcher-triggered generation is a full one when the last full one is older than this. Default 10 min. */
  readonly fullScanEveryMs?: number;
  /** How often a `waiting_for_source` conduit's roots are checked. Default 3 s. */
  readonly rootPollMs?: number;
  /** After a stop is asked, transfers in flight are cut after this long. Default 10 s (SPEC §9). */
  readonly cutAfterMs?: number;
  /** Lease TTL and heartbeat (src/db/lease-keeper.ts); default from CONDUIT_LEASE_TTL_MS, else 30 s. */
  readonly leaseTiming?: LeaseTiming;
  /** How often the database is looked at for conduits another process changed (database-changes.ts). Default 750 ms. */
  readonly databasePollMs?: number;
  /** How a conduit's roots are reached (issue 10); default over `fs` and the process environment. The runtime closes it at `stop`. */
  readonly roots?: ConduitRoots;
}

export class ConduitDisabledError extends Error {
  constructor(readonly conduitName: string) {
    super(`conduit "${conduitName}" is disabled; enable it first`);
    this.name = 'ConduitDisabledError';
  }
}

/** One enabled conduit's watcher and what it feeds. */
interface ConduitWatch {
  /** source, target and schedule the watcher was made for: a change of any recreates it. */
  readonly signature: string;
  readonly source: string;
  readonly target: string;
  readonly instant: boolean;
  readonly watcher: Watcher;
  readonly aggregator: ChangeAggregator;
  timer: NodeJS.Timeout | null;
  /** Drops the aggregator's echo expectations when their time to live has passed (they are per path). */
  echoTimer: NodeJS.Timeout | null;
  /** Observations while a generation of the conduit runs (its verification judges them at the end); null when idle. */
  duringRun: Observation[] | null;
  /** When the last full generation of this process completed (the fast path needs one). */
  fullDoneAt: number | null;
}

interface Verification {
  readonly conduit: string;
  readonly record: GenerationRecord;
  readonly tracker: VerificationTracker;
  readonly timer: NodeJS.Timeout;
  settling: boolean;
}

/** Progress events go out at most this often per conduit (the first and the last always). */
const PROGRESS_EVERY_MS = 250;

export class ConduitRuntime implements ConduitService {
  readonly store: Store;
  private readonly fs: FileSystem;
  private readonly log: Logger;
  private readonly scheduler: Scheduler;
  private readonly aggregatorOptions: AggregatorOptions;
  private readonly fullScanEveryMs: number;
  private readonly cutAfterMs: number;
  private readonly watches = new Map<string, ConduitWatch>();
  private readonly verifications = new Set<Verification>();
  private readonly listeners = new Set<(event: LiveEvent) => void>();
  private readonly runningNow = new Map<string, RunningGeneration>();
  private readonly armedSchedules = new Map<string, string>();
  private readonly stopRequested = new AbortController();
  private readonly cut = new AbortController();
  private stopped = false;
  private readonly timing: LeaseTiming;
  /**
   * The `service` leases this process holds: it schedules and watches only
   * these conduits. The enabled ones another `serve` holds stand by, asked
   * for again every heartbeat, and are taken over when that lease is
   * released or expires.
   */
  private readonly serviceLeases: ServiceLeases;
  /** Conduits the CLI (or another process) adds, edits, enables, disables or removes while this serve runs. */
  private readonly databaseChanges: DatabaseChanges;
  /** Each conduit's filesystem and engine paths; one kept link per remote root while the service runs. */
  private readonly roots: ConduitRoots;

  constructor(private readonly options: RuntimeOptions) {
    this.store = options.store;
    this.fs = options.fs;
    this.roots = options.roots ?? new ConduitRoots(options.fs, process.env);
    this.log = options.logger;
    this.aggregatorOptions = { ...DEFAULT_AGGREGATOR_OPTIONS, ...options.aggregator };
    this.fullScanEveryMs = options.fullScanEveryMs ?? 10 * 60_000;
    this.cutAfterMs = options.cutAfterMs ?? 10_000;
    this.timing = options.leaseTiming ?? leaseTiming();
    this.serviceLeases = new ServiceLeases(this.store, this.timing, thisProcess(), {
      gained: (name, from) => this.gainedService(name, from === null ? null : describeHolder(from)),
      lost: (name) => this.lostService(name),
      standingBy: (name, holder) => this.log.info({ conduit: name, holder: describeHolder(holder) },
        'conduit held by another process: leaving it alone until its service lease is released or expires'),
      failed: (error) => this.log.warn({ err: error }, 'could not renew the service leases; trying again at the next heartbeat'),
    });
    this.scheduler = new Scheduler({
      maxConcurrent: () => this.options.maxConcurrentConduits,
      facts: (name) => this.factsOf(name),
      run: (name, request) => this.runOne(name, request),
      rootsPresent: async (name) => {
        const row = this.store.getConduit(name);
        if (row === undefined) return false;
        const { fs, conduit } = this.roots.open(row);
        const [source, target] = await Promise.all([rootPresent(fs, conduit.source), rootPresent(fs, conduit.target)]);
        return source && target;
      },
      onError: (name, error) => this.log.error({ conduit: name, err: error }, 'scheduled generation could not run'),
      // Another process runs the conduit: its automatic runs come back once the lease is free.
      isBusy: isConduitBusy,
      busyRetryMs: Math.min(2_000, this.timing.renewEveryMs),
      ...(options.rootPollMs !== undefined ? { rootPollMs: options.rootPollMs } : {}),
    });
    this.databaseChanges = new DatabaseChanges(this.store, {
      everyMs: options.databasePollMs ?? DATABASE_POLL_MS,
      changed: (name, change) => {
        this.log.info({ conduit: name, change }, 'conduit changed in the database');
        this.conduitChanged(name);
      },
      failed: (error) => this.log.warn({ err: error }, 'could not look for conduits changed in the database; trying again'),
    });
  }

  /**
   * Arms every enabled conduit whose service lease this process gets:
   * watchers first (so the first generation's writes are seen), then
   * schedules. The others stand by.
   */
  async start(): Promise<void> {
    const rows = this.serviceLeases.claim(this.store.listConduits().filter((row) => row.enabled));
    await Promise.all(rows.map((row) => this.ensureWatch(row)));
    for (const row of rows) this.armSchedule(row);
    this.serviceLeases.start();
    this.databaseChanges.start();
    this.log.info({ conduits: rows.map((r) => `${r.name} (${r.schedule})`), standingBy: this.serviceLeases.standingBy() }, 'service started');
  }

  setMaxConcurrentConduits(n: number): void {
    this.options.maxConcurrentConduits = n;
    this.scheduler.capacityChanged();
  }

  /**
   * Stop (SIGINT/SIGTERM): nothing new starts, generations in flight stop
   * starting transfers and end `interrupted`, transfers still running after
   * `cutAfterMs` are cut. Resolves when all is closed (not the store).
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.databaseChanges.stop();
    this.scheduler.stop();
    this.stopRequested.abort();
    const cutTimer = setTimeout(() => this.cut.abort(), this.cutAfterMs);
    await this.scheduler.idle();
    clearTimeout(cutTimer);
    for (const v of this.verifications) clearTimeout(v.timer);
    this.verifications.clear();
    await Promise.all([...this.watches.keys()].map((name) => this.closeWatch(name)));
    // Ends each remote root's ssh process and agent (nothing runs on them any more).
    await this.roots.close();
    // Last: another serve on the database may take these conduits over now.
    this.serviceLeases.stop();
  }

  // ------------------------------------------------------------ ConduitService

  requestSync(name: string, options: SyncRequestOptions): Promise<GenerationRecord> {
    const row = this.store.getConduit(name);
    if (!row) return Promise.reject(new UnknownConduitError(name));
    if (!row.enabled) return Promise.reject(new ConduitDisabledError(name));
    return this.scheduler.request(name, {
      trigger: options.trigger, dryRun: options.dryRun === true, force: options.force === true, paths: options.paths ?? null,
    });
  }

  async resolveConflict(id: number, choice: ResolveChoice): Promise<ConflictRecord> {
    const conflict = this.store.getConflict(id);
    // A resolution copies files and advances the baseline, under the conduit's generation lease (resolve-conflict.ts):
    // a generation of this process is waited for; one of another process makes it ConduitBusyError (the API's 409).
    if (conflict) while (this.scheduler.isRunning(conflict.conduit)) await new Promise((r) => setTimeout(r, 50));
    return resolveConflict(this.store, this.fs, id, choice, new Date(), { timing: this.timing, openRoots: (row) => this.roots.open(row) });
  }

  openRoots<C extends RootsConduit>(conduit: C): OpenedConduit<C> {
    return this.roots.open(conduit);
  }

  conduitChanged(name: string): void {
    this.emit({ type: 'conduit_changed', conduit: name });
    if (this.stopped) return;
    this.databaseChanges.noteOwn(name);
    const row = this.store.getConduit(name);
    if (!row || !row.enabled) {
      this.armedSchedules.delete(name);
      this.scheduler.forget(name);
      // RACE: the watcher's close and the link's are not ordered; a remote watcher closed after its link just ends.
      void this.closeWatch(name).finally(() => this.roots.release(name));
      this.serviceLeases.forget(name);
      return;
    }
    if (this.serviceLeases.claim([row]).length === 0) return;
    void this.ensureWatch(row).then(() => this.armSchedule(row)).catch((error: unknown) => {
      this.log.error({ conduit: name, err: error }, 'could not start watching the conduit');
    });
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  running(): readonly RunningGeneration[] {
    return [...this.runningNow.values()];
  }

  plannedRun(name: string): PlannedRun | null {
    const planned = this.scheduler.plannedRun(name);
    return planned === null ? null : { at: new Date(planned.at).toISOString(), why: planned.why };
  }

  heldElsewhere(name: string): string | null {
    const row = this.store.getConduit(name);
    const holder = row ? this.store.leaseHolder(row.id, 'generation', thisProcess()) : null;
    return holder && !holder.self ? describeHolder(holder) : null;
  }

  // ------------------------------------------------------------ service leases

  /** A heartbeat got the conduit's service lease (its holder let it go, died or stalled): arm it here. */
  private gainedService(name: string, from: string | null): void {
    if (this.stopped) return;
    const row = this.store.getConduit(name);
    if (!row || !row.enabled) {
      this.serviceLeases.forget(name);
      return;
    }
    this.log.info({ conduit: name, from: from ?? undefined }, 'took the conduit over: it is scheduled and watched here now');
    void this.ensureWatch(row).then(() => this.armSchedule(row)).catch((error: unknown) => {
      this.log.error({ conduit: name, err: error }, 'could not start watching the conduit');
    });
  }

  /** A heartbeat found our service lease taken over (this process stalled): stop scheduling and watching the conduit. */
  private lostService(name: string): void {
    if (this.stopped) return;
    this.log.warn({ conduit: name }, 'lost the conduit\'s service lease to another process: no longer scheduling or watching it');
    this.armedSchedules.delete(name);
    this.scheduler.forget(name);
    void this.closeWatch(name);
  }

  // ------------------------------------------------------------ scheduling

  private factsOf(name: string): ConduitFacts {
    const row = this.store.getConduit(name);
    if (!row || !row.enabled) return { schedule: null, lastStartedAt: null };
    const last = row.syncGeneration > 0 ? this.store.getGeneration(row.id, row.syncGeneration) : undefined;
    return {
      // A conduit another serve holds runs here only when asked (the API), like a manual one.
      schedule: parseSchedule(this.serviceLeases.holds(name) ? row.schedule : 'manual'),
      lastStartedAt: last ? Date.parse(last.startedAt) : null,
      lastUnfinished: last?.status === 'interrupted' || last?.status === 'running',
      // Issue 10: an unreachable host's next attempt and the changes kept meanwhile, from the database (they survive a restart).
      nextAttemptAt: row.state === 'unreachable' && row.nextAttemptAt !== null ? Date.parse(row.nextAttemptAt) : null,
      offlineHints: row.offlineHints > 0,
    };
  }

  private armSchedule(row: ConduitRow): void {
    if (this.stopped) return;
    // `initial` (an instant conduit's catch-up run) only when the schedule is new to this process.
    const initial = this.armedSchedules.get(row.name) !== row.schedule;
    this.armedSchedules.set(row.name, row.schedule);
    this.scheduler.arm(row.name, { initial });
  }

  /**
   * One generation, as the scheduler asked for it, under the conduit's
   * generation lease: when another process (a CLI run, another serve) holds
   * it, ConduitBusyError before anything of this run is touched.
   */
  private async runOne(name: string, request: SchedulerRequest): Promise<RunReport> {
    const conduit = this.store.getConduit(name);
    if (!conduit) throw new UnknownConduitError(name);
    if (!conduit.enabled) throw new ConduitDisabledError(name);
    const lease = holdLease(this.store, conduit.id, 'generation', { timing: this.timing });
    try {
      return await this.runLeased(name, request, conduit, lease);
    } finally {
      lease.release();
    }
  }

  private async runLeased(name: string, request: SchedulerRequest, conduit: ConduitRow, lease: HeldLease): Promise<RunReport> {
    const w = this.watches.get(name);
    // The fast path needs a full generation of this process behind it, not too long ago.
    const fast = request.paths !== null && w !== undefined && w.fullDoneAt !== null && Date.now() - w.fullDoneAt < this.fullScanEveryMs
      // Changes kept while the host was unreachable (issue 10): the first generation that reaches it scans everything and clears them.
      && conduit.offlineHints === 0 && conduit.state !== 'unreachable';
    const onlyPaths = fast ? request.paths ?? undefined : undefined;
    if (w) {
      w.aggregator.runStarted(!fast);
      w.duringRun = [];
      if (w.timer !== null) clearTimeout(w.timer);
      w.timer = null;
    }
    const log = this.log.child({ conduit: name });
    let lastProgressAt = 0;
    const onProgress = (p: GenerationProgress): void => {
      const first = !this.runningNow.has(name);
      const now = Date.now();
      const previous = this.runningNow.get(name);
      const startedAt = previous?.startedAt ?? new Date(now).toISOString();
      const elapsed = (now - Date.parse(startedAt)) / 1000;
      const current: RunningGeneration = {
        conduit: name, generation: p.generation, trigger: request.trigger, startedAt,
        actionsDone: p.actionsDone, actionsTotal: p.actionsTotal, bytesDone: p.bytesDone, bytesTotal: p.bytesTotal,
        rate: elapsed > 0 ? Math.round(p.bytesDone / elapsed) : 0,
      };
      this.runningNow.set(name, current);
      if (first) {
        log.info({ generation: p.generation, trigger: request.trigger, onlyPaths: onlyPaths?.length ?? null }, 'generation started');
        this.emit({ type: 'generation_started', conduit: name, generation: p.generation, trigger: request.trigger, startedAt });
      }
      if (first || p.phase === 'recording' || now - lastProgressAt >= PROGRESS_EVERY_MS) {
        lastProgressAt = now;
        this.emit({ type: 'generation_progress', ...current });
      }
    };
    let result;
    try {
      // A remote root becomes its mount path, reached through the split filesystem.
      const opened = this.roots.open(conduit);
      result = await runGeneration(this.store, opened.fs, {
        conduit: opened.conduit, trigger: request.trigger, dryRun: request.dryRun, force: request.force,
        signal: this.stopRequested.signal, cutSignal: this.cut.signal, lease,
        ...(onlyPaths ? { onlyPaths } : {}),
        verification: 'waiting_watcher', onProgress,
      });
    } finally {
      this.runningNow.delete(name);
    }
    const record = result.record;
    const now = Date.now();
    const held = w?.duringRun ?? [];
    if (w) {
      w.duringRun = null;
      w.aggregator.runFinished(request.dryRun ? [] : result.written, now);
      this.armEchoExpiry(w);
      if (!fast && !request.dryRun && (record.status === 'completed' || record.status === 'completed_with_errors')) w.fullDoneAt = now;
    }
    const after = this.store.getConduitById(conduit.id);
    const waitingForSource = record.status === 'refused' && after?.state === 'waiting_for_source';
    const unreachable = record.status === 'refused' && !request.dryRun && after?.state === 'unreachable';
    // The watcher's paths of a run the host refused are kept until a generation reaches it (issue 10).
    if (unreachable && request.paths !== null) this.keepOfflineHints(conduit.id, request.paths);
    log.info({
      generation: record.generation, status: record.status, scanned: result.scanned, fastPath: fast,
      filesCopied: record.filesCopied, filesDeleted: record.filesDeleted, errors: record.errorsEncountered, message: record.errorMessage ?? undefined,
    }, 'generation finished');
    if (after && after.pendingPaths > 0) this.warnPending(log, after);
    this.emit({ type: 'generation_finished', conduit: name, generation: record.generation, status: record.status, record: generationView(record) });
    if (record.verificationStatus === 'verified') {
      this.emit({ type: 'generation_verified', conduit: name, generation: record.generation, verificationStatus: 'verified', verifiedAt: record.verifiedAt });
    } else if (record.verificationStatus === 'waiting_watcher') {
      this.startVerification(conduit, record, result.written, held);
    }
    if (w) this.armBatchTimer(name, w);
    const unreachableUntil = unreachable && after.nextAttemptAt !== null ? Date.parse(after.nextAttemptAt) : null;
    return { record, waitingForSource, unreachableUntil };
  }

  /** Changes the local watcher saw while the conduit's host is unreachable, kept in the database (a restart keeps them). */
  private keepOfflineHints(conduitId: number, paths: readonly string[]): void {
    try {
      this.store.addOfflineHints(conduitId, paths, new Date().toISOString());
    } catch (error) {
      // The hints only hurry things up: the first full generation that reaches the host scans everything anyway.
      this.log.warn({ err: error, paths: paths.length }, 'could not keep the changes seen while the host is unreachable');
    }
  }

  /** Paths that did not land for several generations in a row deserve a person's look (a file written all the time, a permission). */
  private warnPending(log: Logger, conduit: ConduitRow): void {
    const stuck = this.store.listPendingPaths(conduit.id, 100).filter((p) => p.generations >= PENDING_WARN_GENERATIONS);
    if (stuck.length === 0) return;
    log.warn({
      pendingPaths: conduit.pendingPaths,
      stuck: stuck.slice(0, 5).map((p) => ({ path: p.path, reason: p.reason, since: p.sinceGeneration, generations: p.generations })),
    }, `${stuck.length} path(s) pending for ${PENDING_WARN_GENERATIONS} generations or more (see conduit show ${conduit.name})`);
  }

  // ------------------------------------------------------------ watching

  private async ensureWatch(row: ConduitRow): Promise<void> {
    const signature = JSON.stringify([row.source, row.target, row.schedule, row.versioning?.dir ?? null, row.sshCommand, row.remoteCommand]);
    const existing = this.watches.get(row.name);
    if (existing?.signature === signature) return;
    if (existing) await this.closeWatch(row.name);
    const name = row.name;
    const versionDir = row.versioning && !row.versioning.dir.startsWith('/') ? row.versioning.dir.replace(/\/+$/, '') : null;
    const { fs, conduit: seen } = this.roots.open(row);
    const watcher = fs.watch([seen.source, seen.target], {
      ignoreName: isConduitTempName,
      ...(versionDir ? { ignorePath: (rel: string) => rel === versionDir || rel.startsWith(`${versionDir}/`) } : {}),
    }, (events) => this.onWatchEvents(name, events));
    const entry: ConduitWatch = {
      signature, source: seen.source, target: seen.target, instant: row.schedule === 'instant', watcher,
      aggregator: new ChangeAggregator(this.aggregatorOptions), timer: null, echoTimer: null, duringRun: null, fullDoneAt: null,
    };
    this.watches.set(name, entry);
    await watcher.ready;
    this.log.debug({ conduit: name }, 'watching');
  }

  private async closeWatch(name: string): Promise<void> {
    const w = this.watches.get(name);
    if (!w) return;
    this.watches.delete(name);
    if (w.timer !== null) clearTimeout(w.timer);
    if (w.echoTimer !== null) clearTimeout(w.echoTimer);
    await w.watcher.close();
    this.log.debug({ conduit: name }, 'stopped watching');
  }

  /** Comes back when the aggregator's next echo expectation expires, until none is left. */
  private armEchoExpiry(w: ConduitWatch): void {
    if (w.echoTimer !== null) clearTimeout(w.echoTimer);
    w.echoTimer = null;
    const next = w.aggregator.expireEchoes(Date.now());
    if (next === null || this.stopped) return;
    w.echoTimer = setTimeout(() => this.armEchoExpiry(w), Math.max(0, next - Date.now()) + 1);
  }

  /**
   * What the service holds per path, summed over its conduits: echo
   * expectations, observations held while a generation runs, and the open
   * verifications (each holds the paths its generation wrote). All of it
   * ends with its generation, its verification or its time to live: between
   * generations it drops to 0.
   */
  heldPerPath(): { echoes: number; observationsDuringRuns: number; verifications: number } {
    let echoes = 0;
    let observationsDuringRuns = 0;
    for (const w of this.watches.values()) {
      echoes += w.aggregator.echoCount;
      observationsDuringRuns += w.duringRun?.length ?? 0;
    }
    return { echoes, observationsDuringRuns, verifications: this.verifications.size };
  }

  private onWatchEvents(name: string, events: readonly WatchEvent[]): void {
    const w = this.watches.get(name);
    if (!w) return;
    const now = Date.now();
    const seen: string[] = [];
    for (const event of events) {
      const side: Side = event.root === w.source ? 'source' : 'target';
      if (event.type === 'error') {
        this.log.warn({ conduit: name, side, error: event.message }, 'watcher error: the next generation scans everything');
        w.aggregator.fault(`watcher error on the ${side}: ${event.message}`, now);
        continue;
      }
      if (event.type === 'root') {
        this.log.info({ conduit: name, side, present: event.present }, event.present ? 'root is there (again)' : 'root disappeared');
        // A vanished root must be noticed (the generation is refused: waiting_for_source). A root that
        // appears is often our own doing (the first generation creates the target); a conduit waiting
        // for its source is brought back by the scheduler's root poll instead.
        if (!event.present) w.aggregator.fault(`the ${side} root disappeared`, now);
        continue;
      }
      const observation: Observation = { side, path: event.path, state: event.state };
      w.duringRun?.push(observation);
      for (const v of this.verifications) {
        if (v.conduit !== name) continue;
        v.tracker.observe(observation, true);
        this.checkVerification(v);
      }
      w.aggregator.observe(observation, now);
      seen.push(event.path);
    }
    // Unreachable: what the watcher saw waits for the host in the database (a restart keeps it; issue 10).
    if (seen.length > 0) {
      const row = this.store.getConduit(name);
      if (row?.state === 'unreachable') this.keepOfflineHints(row.id, seen);
    }
    this.armBatchTimer(name, w);
  }

  /** Instant conduits: come back when the aggregator's batch is due. */
  private armBatchTimer(name: string, w: ConduitWatch): void {
    if (w.timer !== null) clearTimeout(w.timer);
    w.timer = null;
    if (!w.instant || this.stopped) {
      // Only instant conduits sync from watcher events; the others watch for verification only.
      if (!w.instant) w.aggregator.take(Number.MAX_SAFE_INTEGER);
      return;
    }
    const due = w.aggregator.due();
    if (due === null) return;
    w.timer = setTimeout(() => {
      w.timer = null;
      const batch = w.aggregator.take(Date.now());
      if (batch === null) {
        this.armBatchTimer(name, w);
        return;
      }
      // The fast path handles deletions too: the engine's delete guard judges them against the whole index.
      const paths = batch.full ? null : batch.paths;
      this.log.debug({ conduit: name, full: paths === null, reason: batch.reason, deletions: batch.deletions, paths: batch.paths.slice(0, 5) }, 'watcher batch');
      this.scheduler.request(name, { trigger: 'watch', dryRun: false, force: false, paths }).catch((error: unknown) => {
        if (this.stopped) return;
        // RACE: another process removed the conduit after this batch was armed and before the database poll saw it.
        if (error instanceof UnknownConduitError) this.log.debug({ conduit: name }, 'the conduit was removed before its watcher batch ran');
        else this.log.error({ conduit: name, err: error }, 'watch-triggered generation could not run');
      });
    }, Math.max(0, due - Date.now()));
  }

  // ------------------------------------------------------------ verification

  private startVerification(conduit: ConduitRow, record: GenerationRecord, written: readonly Landed[], held: readonly Observation[]): void {
    const tracker = new VerificationTracker(written);
    for (const observation of held) tracker.observe(observation, false);
    const seconds = conduit.verifyTimeoutSeconds;
    const v: Verification = {
      conduit: conduit.name, record, tracker, settling: false,
      timer: setTimeout(() => {
        if (v.settling) return;
        const missing = tracker.unconfirmed();
        this.settleVerification(v, failed(`no watcher confirmation within ${seconds} s for ${namePaths(missing)}`));
      }, seconds * 1000),
    };
    this.verifications.add(v);
    this.checkVerification(v);
  }

  private checkVerification(v: Verification): void {
    if (v.settling) return;
    const verdict = v.tracker.verdict();
    if (verdict.state === 'pending') return;
    if (verdict.state === 'disagrees') {
      this.settleVerification(v, failed(verdict.reason));
      return;
    }
    v.settling = true;
    const conduit = this.store.getConduit(v.conduit);
    if (!conduit) {
      this.settleVerification(v, failed('the conduit was removed'));
      return;
    }
    const opened = this.roots.open(conduit);
    finalCheck(this.store, opened.fs, opened.conduit, v.tracker.expectedStates()).then(
      (reason) => this.settleVerification(v, reason === null ? 'verified' : failed(reason)),
      (error: unknown) => this.settleVerification(v, failed(`the final check failed: ${error instanceof Error ? error.message : String(error)}`)),
    );
  }

  private settleVerification(v: Verification, status: 'verified' | `failed:${string}`): void {
    if (!this.verifications.delete(v)) return;
    clearTimeout(v.timer);
    if (this.stopped) return;
    const verifiedAt = status === 'verified' ? new Date().toISOString() : null;
    try {
      this.store.setVerification(v.record.id, status, verifiedAt);
    } catch (error) {
      this.log.error({ conduit: v.conduit, generation: v.record.generation, err: error }, 'could not record the verification');
      return;
    }
    const log = this.log.child({ conduit: v.conduit });
    if (status === 'verified') log.info({ generation: v.record.generation }, 'generation verified');
    else log.warn({ generation: v.record.generation, verification: status }, 'generation verification failed');
    this.emit({ type: 'generation_verified', conduit: v.conduit, generation: v.record.generation, verificationStatus: status, verifiedAt });
  }

  private emit(event: LiveEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.log.warn({ err: error, event: event.type }, 'a live-event listener threw');
      }
    }
  }
}

