import type { Schedule } from '../config/schedule.js';
import type { Trigger } from '../core/vocabulary.js';
import type { GenerationRecord } from '../db/store.js';
import { backoffMs, nextRunAt, refusalBackoffMs } from './schedule-timing.js';

/**
 * Decides when each conduit runs (SPEC §9); what a run does is the caller's
 * (`deps.run`). Rules:
 * - one generation per conduit at a time; every request that arrives while
 *   one runs (or waits for a slot) merges into exactly one follow-up, and all
 *   their promises resolve with that follow-up's record;
 * - at most `maxConcurrent` conduits run at once, first come first served;
 * - clock schedules (`interval`, `cron`) arm a timer from the last start;
 *   `instant` runs a full generation when armed (catching up on what changed
 *   while nobody watched) and is otherwise driven by its watcher; any
 *   automatic schedule whose last generation was interrupted runs at once;
 * - after a failed generation (or one with errors), automatic triggers wait
 *   an exponential backoff (30 s doubling to 30 min) and a retry is armed;
 *   requests from a person (`manual`, `api`) never wait;
 * - a conduit refused because a root is gone (`waiting_for_source`) is
 *   polled cheaply (one existence check of its roots every few seconds) and
 *   runs by itself when they are back;
 * - the same refusal again (same reason) makes automatic triggers wait an
 *   exponential backoff (3 s doubling to 5 min), so that a root missing for
 *   hours (or an emptied one, which the cheap poll sees as present) is not
 *   tried every few seconds; it is reset when the reason changes, a
 *   generation runs, or the poll sees the roots come back;
 * - a run that finds the conduit busy (another process holds its lease,
 *   `deps.isBusy`) is no failure: its requests are refused, and an
 *   automatically scheduled conduit asks again every `busyRetryMs` with a
 *   full generation until the lease is free;
 * - a conduit refused because a remote root's host cannot be reached
 *   (`unreachable`, issue 10) is retried by itself at its next attempt
 *   (the conduit's `next_attempt_at`, exponential backoff with jitter, read
 *   from the database, so a restarted service keeps it); automatic triggers
 *   wait until then, a person's request goes at once; a generation stopped
 *   by a dropped link (`interrupted` while the service runs) is retried like
 *   a failure.
 *
 * Timers use the global `setTimeout` and `Date.now` at call time, so vitest's
 * fake timers drive it in tests.
 */
export interface SchedulerRequest {
  readonly trigger: Trigger;
  readonly dryRun: boolean;
  readonly force: boolean;
  /** The watcher fast path: only these relative paths; null for a full generation. */
  readonly paths: readonly string[] | null;
}

export interface ConduitFacts {
  /** Null when the conduit cannot run by itself now (unknown or disabled). */
  readonly schedule: Schedule | null;
  /** When its latest generation started (ms), from the history; null if never. */
  readonly lastStartedAt: number | null;
  /** Its latest generation did not finish (`interrupted` by a stop, or a crash): the next start finishes the job. */
  readonly lastUnfinished?: boolean;
  /** The conduit is `unreachable`: when its next attempt is due (ms), from the database; null or absent otherwise. */
  readonly nextAttemptAt?: number | null;
  /** Changes seen while its host was unreachable wait to be synced (`offline_hint`): the first start runs a full generation. */
  readonly offlineHints?: boolean;
}

export interface RunReport {
  readonly record: GenerationRecord;
  /** The generation was refused because a root is missing or unreadable (conduit state `waiting_for_source`). */
  readonly waitingForSource: boolean;
  /** The generation was refused because a remote root's host cannot be reached: when the next attempt is due (ms). */
  readonly unreachableUntil?: number | null;
}

export interface SchedulerDeps {
  /** Read at every start, so a re-read config takes effect. */
  maxConcurrent(): number;
  facts(name: string): ConduitFacts;
  run(name: string, request: SchedulerRequest): Promise<RunReport>;
  /** Both roots exist again (a cheap check: no scan). Asked through the filesystem seam, so it may answer later. */
  rootsPresent(name: string): boolean | Promise<boolean>;
  /** A scheduled request failed outside any generation (e.g. the database was busy). */
  onError(name: string, error: unknown): void;
  /** How often a `waiting_for_source` conduit's roots are checked; default 3 s. */
  readonly rootPollMs?: number;
  /** Whether `run` failed because another process runs the conduit (nothing was started). */
  isBusy?(error: unknown): boolean;
  /** How soon an automatic conduit found busy asks again; default 2 s. */
  readonly busyRetryMs?: number;
}

export const FULL_SCHEDULED: SchedulerRequest = { trigger: 'schedule', dryRun: false, force: false, paths: null };

/** setTimeout's delay is a signed 32-bit number of ms (~24.8 days); longer waits are chained. */
const MAX_TIMER_MS = 2 ** 31 - 1;
const TRIGGER_PRIORITY: Record<Trigger, number> = { watch: 0, schedule: 1, manual: 2, api: 3 };

interface Waiter {
  resolve(record: GenerationRecord): void;
  reject(error: unknown): void;
}

interface Pending {
  request: SchedulerRequest;
  readonly waiters: Waiter[];
}

class Slot {
  running = false;
  queued = false;
  pending: Pending | null = null;
  lastStartedAt: number | null = null;
  failures = 0;
  backoffUntil = 0;
  /** The reason of the latest refusal in a row, and how many times in a row it came. */
  refusal: string | null = null;
  refusals = 0;
  /** The root poll saw a root missing since the latest refusal: its coming back is news. */
  rootsWereAbsent = false;
  scheduleTimer: NodeJS.Timeout | null = null;
  retryTimer: NodeJS.Timeout | null = null;
  pollTimer: NodeJS.Timeout | null = null;
  deferTimer: NodeJS.Timeout | null = null;
  busyTimer: NodeJS.Timeout | null = null;
  /** When scheduleTimer and retryTimer fire (ms), for `plannedRun`; null while not armed. */
  scheduleDueAt: number | null = null;
  retryDueAt: number | null = null;

  clearTimers(): void {
    for (const timer of [this.scheduleTimer, this.retryTimer, this.pollTimer, this.deferTimer, this.busyTimer]) if (timer !== null) clearTimeout(timer);
    this.scheduleTimer = this.retryTimer = this.pollTimer = this.deferTimer = this.busyTimer = null;
    this.scheduleDueAt = this.retryDueAt = null;
  }
}

export class Scheduler {
  private readonly slots = new Map<string, Slot>();
  private readonly queue: string[] = [];
  private active = 0;
  private stopping = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: SchedulerDeps) {}

  /** Ask for a generation; resolves with the record of the generation that satisfied it. */
  request(name: string, request: SchedulerRequest): Promise<GenerationRecord> {
    if (this.stopping) return Promise.reject(new Error(`conduit "${name}": the service is stopping, no new generation starts`));
    const slot = this.slot(name);
    return new Promise<GenerationRecord>((resolve, reject) => {
      if (slot.pending) {
        slot.pending.request = mergeRequests(slot.pending.request, request);
        slot.pending.waiters.push({ resolve, reject });
      } else {
        slot.pending = { request, waiters: [{ resolve, reject }] };
      }
      this.consider(name, slot);
    });
  }

  /**
   * (Re)reads a conduit's schedule and arms its timers: at start, and when
   * it is added, edited, enabled or disabled. `initial` also runs an
   * `instant` conduit's catch-up generation.
   */
  arm(name: string, options: { initial: boolean }): void {
    if (this.stopping) return;
    const slot = this.slot(name);
    if (slot.scheduleTimer !== null) clearTimeout(slot.scheduleTimer);
    slot.scheduleTimer = null;
    slot.scheduleDueAt = null;
    const facts = this.deps.facts(name);
    if (facts.schedule === null) {
      this.forget(name);
      return;
    }
    const automatic = facts.schedule.kind !== 'manual';
    if (options.initial && automatic && typeof facts.nextAttemptAt === 'number') {
      // Unreachable when the service (re)started: its retry is due at the recorded next attempt, not now.
      this.afterUnreachable(name, slot, facts.nextAttemptAt);
    } else {
      const catchUp = facts.schedule.kind === 'instant' || (automatic && (facts.lastUnfinished === true || facts.offlineHints === true));
      if (options.initial && catchUp) {
        this.fire(name, FULL_SCHEDULED);
        return; // the run re-arms the clock schedule when it finishes
      }
    }
    const now = Date.now();
    const next = nextRunAt(facts.schedule, now, slot.lastStartedAt ?? facts.lastStartedAt);
    if (next === null) return;
    const delay = next - now;
    slot.scheduleDueAt = next;
    slot.scheduleTimer = setTimeout(() => {
      slot.scheduleTimer = null;
      if (delay <= MAX_TIMER_MS) slot.scheduleDueAt = null;
      if (delay > MAX_TIMER_MS) this.arm(name, { initial: false });
      else this.fire(name, FULL_SCHEDULED);
    }, Math.min(Math.max(0, delay), MAX_TIMER_MS));
  }

  /** The conduit is gone or disabled: no timers; requests not yet started are refused. */
  forget(name: string): void {
    const slot = this.slots.get(name);
    if (!slot) return;
    slot.clearTimers();
    this.rejectPending(slot, new Error(`conduit "${name}" was removed or disabled before its generation started`));
    if (!slot.running) this.slots.delete(name);
  }

  /** `maxConcurrent()` may have grown: start what now fits. */
  capacityChanged(): void {
    this.pump();
  }

  /**
   * When the scheduler will start the conduit's next generation by itself,
   * and why (its clock schedule, or the retry after a failure); null when
   * nothing is armed (manual, instant, disabled, or held by another serve).
   */
  plannedRun(name: string): { readonly at: number; readonly why: 'schedule' | 'retry' } | null {
    const slot = this.slots.get(name);
    if (!slot) return null;
    const { scheduleDueAt: schedule, retryDueAt: retry } = slot;
    if (retry !== null && (schedule === null || retry <= schedule)) return { at: retry, why: 'retry' };
    return schedule === null ? null : { at: schedule, why: 'schedule' };
  }

  isRunning(name: string): boolean {
    return this.slots.get(name)?.running === true;
  }

  /** Stop starting anything: timers cleared, requests not yet started refused. Running generations are the caller's to stop. */
  stop(): void {
    this.stopping = true;
    for (const [name, slot] of this.slots) {
      slot.clearTimers();
      this.rejectPending(slot, new Error(`conduit "${name}": the service stopped before the generation started`));
    }
    this.queue.length = 0;
  }

  /** Resolves when no generation runs. */
  idle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private slot(name: string): Slot {
    let slot = this.slots.get(name);
    if (!slot) {
      slot = new Slot();
      this.slots.set(name, slot);
    }
    return slot;
  }

  /** A request of the scheduler's own: nobody awaits it, failures are reported. */
  private fire(name: string, request: SchedulerRequest): void {
    this.request(name, request).catch((error: unknown) => {
      // Busy is no error: afterBusy asks again.
      if (!this.stopping && this.deps.isBusy?.(error) !== true) this.deps.onError(name, error);
    });
  }

  private consider(name: string, slot: Slot): void {
    if (slot.running || slot.queued || !slot.pending || this.stopping) return;
    const now = Date.now();
    if (isAutomatic(slot.pending.request.trigger) && now < slot.backoffUntil) {
      // Backing off after a failure: an automatic trigger waits; a person's request (merged in later) does not.
      if (slot.deferTimer === null) {
        slot.deferTimer = setTimeout(() => {
          slot.deferTimer = null;
          this.consider(name, slot);
        }, slot.backoffUntil - now);
      }
      return;
    }
    slot.queued = true;
    this.queue.push(name);
    this.pump();
  }

  private pump(): void {
    while (this.active < this.deps.maxConcurrent() && this.queue.length > 0 && !this.stopping) {
      const name = this.queue.shift()!;
      const slot = this.slots.get(name);
      if (!slot) continue;
      slot.queued = false;
      if (slot.running || !slot.pending) continue;
      this.start(name, slot, slot.pending);
    }
  }

  private start(name: string, slot: Slot, pending: Pending): void {
    slot.pending = null;
    slot.running = true;
    slot.lastStartedAt = Date.now();
    this.active++;
    this.deps.run(name, pending.request).then(
      (report) => {
        for (const waiter of pending.waiters) waiter.resolve(report.record);
        this.afterRun(name, slot, report);
      },
      (error: unknown) => {
        for (const waiter of pending.waiters) waiter.reject(error);
        if (this.deps.isBusy?.(error) === true) this.afterBusy(name, slot);
        else this.afterFailure(name, slot);
      },
    ).finally(() => {
      slot.running = false;
      this.active--;
      if (!this.slots.has(name) && slot.pending) this.rejectPending(slot, new Error(`conduit "${name}" was removed`));
      this.consider(name, slot);
      this.pump();
      if (this.active === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    });
  }

  private afterRun(name: string, slot: Slot, report: RunReport): void {
    const status = report.record.status;
    if (status === 'refused' && !report.record.dryRun && typeof report.unreachableUntil === 'number') {
      this.afterUnreachable(name, slot, report.unreachableUntil);
    } else if (status === 'refused' && !report.record.dryRun) {
      this.afterRefusal(slot, report.record.errorMessage ?? '');
    } else if (!report.record.dryRun) {
      slot.refusal = null;
      slot.refusals = 0;
    }
    // `interrupted` while the service runs on: not a stop request, so a dropped link (or a lost lease); retried like a failure.
    if (status === 'failed' || status === 'completed_with_errors' || (status === 'interrupted' && !this.stopping)) {
      this.afterFailure(name, slot);
      return;
    }
    if (status === 'completed') {
      slot.failures = 0;
      slot.backoffUntil = 0;
      if (slot.retryTimer !== null) clearTimeout(slot.retryTimer);
      slot.retryTimer = null;
      slot.retryDueAt = null;
    }
    if (report.waitingForSource) this.pollRoots(name, slot);
    if (!report.record.dryRun) this.arm(name, { initial: false });
  }

  private afterFailure(name: string, slot: Slot): void {
    if (this.stopping) return;
    slot.failures++;
    const wait = backoffMs(slot.failures);
    slot.backoffUntil = Date.now() + wait;
    const facts = this.deps.facts(name);
    // `manual` runs only when asked; the others are retried.
    if (facts.schedule !== null && facts.schedule.kind !== 'manual' && slot.retryTimer === null) {
      slot.retryDueAt = Date.now() + wait;
      slot.retryTimer = setTimeout(() => {
        slot.retryTimer = null;
        slot.retryDueAt = null;
        this.fire(name, FULL_SCHEDULED);
      }, wait);
    }
    this.arm(name, { initial: false });
  }

  /**
   * The host was unreachable (issue 10): automatic triggers wait until its
   * next attempt (`at`, the conduit's next_attempt_at), and then a full
   * generation tries again by itself; a manual conduit only waits.
   */
  private afterUnreachable(name: string, slot: Slot, at: number): void {
    if (this.stopping) return;
    slot.refusal = null;
    slot.refusals = 0;
    slot.backoffUntil = at;
    const facts = this.deps.facts(name);
    if (facts.schedule === null || facts.schedule.kind === 'manual') return;
    if (slot.retryTimer !== null) clearTimeout(slot.retryTimer);
    slot.retryDueAt = at;
    slot.retryTimer = setTimeout(() => {
      slot.retryTimer = null;
      slot.retryDueAt = null;
      this.fire(name, FULL_SCHEDULED);
    }, Math.min(Math.max(0, at - Date.now()), MAX_TIMER_MS));
  }

  /** The same refusal again: automatic triggers wait longer each time (a person's request does not). */
  private afterRefusal(slot: Slot, reason: string): void {
    if (slot.refusal === reason) slot.refusals++;
    else {
      slot.refusal = reason;
      slot.refusals = 1;
    }
    slot.rootsWereAbsent = false;
    slot.backoffUntil = Math.max(slot.backoffUntil, Date.now() + refusalBackoffMs(slot.refusals));
  }

  /** Another process runs the conduit: an automatic one asks again soon, with a full generation (what changed meanwhile is in it). */
  private afterBusy(name: string, slot: Slot): void {
    if (this.stopping || slot.busyTimer !== null) return;
    const facts = this.deps.facts(name);
    if (facts.schedule === null || facts.schedule.kind === 'manual') return;
    slot.busyTimer = setTimeout(() => {
      slot.busyTimer = null;
      this.fire(name, FULL_SCHEDULED);
    }, this.deps.busyRetryMs ?? 2_000);
  }

  /** Until the roots are back: a cheap existence check every few seconds, then a full generation. */
  private pollRoots(name: string, slot: Slot): void {
    const facts = this.deps.facts(name);
    if (slot.pollTimer !== null || facts.schedule === null || facts.schedule.kind === 'manual') return;
    const check = (): void => {
      slot.pollTimer = null;
      if (this.stopping || !this.slots.has(name)) return;
      void Promise.resolve().then(() => this.deps.rootsPresent(name)).catch(() => false).then((present) => {
        if (this.stopping || !this.slots.has(name) || slot.pollTimer !== null) return;
        if (present) {
          // Roots seen missing and now back: news, the refusal backoff does not hold it up.
          if (slot.rootsWereAbsent) {
            slot.rootsWereAbsent = false;
            slot.backoffUntil = 0;
            slot.refusal = null;
            slot.refusals = 0;
          }
          this.fire(name, FULL_SCHEDULED);
        } else {
          slot.rootsWereAbsent = true;
          slot.pollTimer = setTimeout(check, this.deps.rootPollMs ?? 3_000);
        }
      });
    };
    slot.pollTimer = setTimeout(check, this.deps.rootPollMs ?? 3_000);
  }

  private rejectPending(slot: Slot, error: Error): void {
    const pending = slot.pending;
    slot.pending = null;
    for (const waiter of pending?.waiters ?? []) waiter.reject(error);
  }
}

function isAutomatic(trigger: Trigger): boolean {
  return trigger === 'schedule' || trigger === 'watch';
}

/**
 * Two requests as the one generation that satisfies both: the more personal
 * trigger names it, it is a dry run only if both asked for one, forced if
 * either was, and full unless both named paths (then their union).
 */
export function mergeRequests(a: SchedulerRequest, b: SchedulerRequest): SchedulerRequest {
  return {
    trigger: TRIGGER_PRIORITY[b.trigger] > TRIGGER_PRIORITY[a.trigger] ? b.trigger : a.trigger,
    dryRun: a.dryRun && b.dryRun,
    force: a.force || b.force,
    paths: a.paths === null || b.paths === null ? null : [...new Set([...a.paths, ...b.paths])].sort(),
  };
}
