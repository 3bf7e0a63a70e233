import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseSchedule } from '../../src/config/schedule.js';
import type { GenerationStatus } from '../../src/core/vocabulary.js';
import type { GenerationRecord } from '../../src/db/store.js';
import { Scheduler, type ConduitFacts, type RunReport, type SchedulerRequest } from '../../src/service/scheduler.js';

/**
 * Issue 10: the scheduler retries an unreachable conduit at its next attempt
 * (the database's next_attempt_at, which the run reports and the facts carry
 * across restarts); automatic triggers wait until then, a person's request
 * does not. Fake timers drive it.
 */

interface Run {
  readonly name: string;
  readonly request: SchedulerRequest;
  readonly at: number;
  /** `unreachableUntil`: the refusal was `unreachable`, next attempt due then. */
  finish(status?: GenerationStatus, unreachableUntil?: number): void;
}

function harness(facts: Omit<Partial<ConduitFacts>, 'schedule'> & { schedule: string }) {
  const runs: Run[] = [];
  let generation = 0;
  const current = { ...facts };
  const scheduler = new Scheduler({
    maxConcurrent: () => 2,
    facts: () => ({ lastStartedAt: null, ...current, schedule: parseSchedule(current.schedule) }),
    rootsPresent: () => true,
    onError: () => undefined,
    run: (name, request) => new Promise<RunReport>((resolve) => {
      const n = ++generation;
      runs.push({
        name, request, at: Date.now(),
        finish: (status = 'completed', unreachableUntil) => resolve({
          record: record(name, n, status, request, unreachableUntil === undefined ? null : 'cannot reach host: Connection refused'),
          waitingForSource: false,
          unreachableUntil: unreachableUntil ?? null,
        }),
      });
    }),
  });
  return { scheduler, runs, facts: current };
}

function record(conduit: string, generation: number, status: GenerationStatus, request: SchedulerRequest, errorMessage: string | null): GenerationRecord {
  return {
    id: generation, conduitId: 1, conduit, generation, trigger: request.trigger, status, dryRun: request.dryRun,
    startedAt: new Date().toISOString(), completedAt: new Date().toISOString(), errorMessage, errors: [],
    verifiedAt: null, verificationStatus: 'unverified', filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0,
    conflicts: 0, conflictsResolved: 0, bytesTransferred: 0, errorsEncountered: 0, repeatCount: 1, lastRepeatedAt: null,
  };
}

const T0 = Date.parse('2026-03-01T10:00:00Z');
const watchPaths = (...paths: string[]): SchedulerRequest => ({ trigger: 'watch', dryRun: false, force: false, paths });

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Scheduler: an unreachable host', () => {
  it('is retried by itself at each next attempt, not before; the retry is planned; a reach ends the retries', async () => {
    const { scheduler, runs } = harness({ schedule: 'instant' });
    scheduler.arm('remote', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    runs[0]!.finish('refused', T0 + 2_100);
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.plannedRun('remote')).toEqual({ at: T0 + 2_100, why: 'retry' });

    await vi.advanceTimersByTimeAsync(2_099);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);
    expect(runs[1]!.request).toEqual({ trigger: 'schedule', dryRun: false, force: false, paths: null });
    expect(runs[1]!.at).toBe(T0 + 2_100);

    // The second attempt's backoff is longer (the engine computed it): the scheduler goes by it exactly.
    runs[1]!.finish('refused', T0 + 2_100 + 4_300);
    await vi.advanceTimersByTimeAsync(4_299);
    expect(runs).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(3);

    runs[2]!.finish('completed');
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.plannedRun('remote')).toBeNull();
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(runs).toHaveLength(3);
  });

  it('makes watcher batches wait for the next attempt (merged into it), while a person\'s run goes at once', async () => {
    const { scheduler, runs } = harness({ schedule: 'instant' });
    void scheduler.request('remote', { trigger: 'manual', dryRun: false, force: false, paths: null });
    await vi.advanceTimersByTimeAsync(0);
    runs[0]!.finish('refused', T0 + 10_000);
    await vi.advanceTimersByTimeAsync(1_000);

    const watched = scheduler.request('remote', watchPaths('a.txt'));
    await vi.advanceTimersByTimeAsync(3_000);
    expect(runs).toHaveLength(1);

    const person = scheduler.request('remote', { trigger: 'api', dryRun: false, force: false, paths: null });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(2);
    expect(runs[1]!.at).toBe(T0 + 4_000);
    // The watcher's batch was merged into the person's run: both get its record.
    runs[1]!.finish('completed');
    expect((await person).generation).toBe(2);
    expect((await watched).generation).toBe(2);
  });

  it('after a restart, an unreachable conduit is tried at its recorded next attempt, not at once (an instant one skips its catch-up until then)', async () => {
    const { scheduler, runs } = harness({ schedule: 'instant', nextAttemptAt: T0 + 45_000 });
    scheduler.arm('remote', { initial: true });
    await vi.advanceTimersByTimeAsync(44_999);
    expect(runs).toHaveLength(0);
    expect(scheduler.plannedRun('remote')).toEqual({ at: T0 + 45_000, why: 'retry' });
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.request.paths).toBeNull();
  });

  it('after a restart, a next attempt already past is tried at once', async () => {
    const { scheduler, runs } = harness({ schedule: 'interval:1h', nextAttemptAt: T0 - 5_000 });
    scheduler.arm('remote', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
  });

  it('after a restart, offline hints left by a reachable host run a full generation at once (a clock schedule would wait)', async () => {
    const { scheduler, runs } = harness({ schedule: 'interval:1h', lastStartedAt: T0 - 60_000, offlineHints: true });
    scheduler.arm('remote', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.request.paths).toBeNull();
  });

  it('a manual conduit is never retried by itself', async () => {
    const { scheduler, runs } = harness({ schedule: 'manual' });
    void scheduler.request('remote', { trigger: 'manual', dryRun: false, force: false, paths: null });
    await vi.advanceTimersByTimeAsync(0);
    runs[0]!.finish('refused', T0 + 2_000);
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(runs).toHaveLength(1);
    expect(scheduler.plannedRun('remote')).toBeNull();
  });

  it('a generation interrupted while the service runs on (a dropped link) is retried after the failure backoff', async () => {
    const { scheduler, runs } = harness({ schedule: 'instant' });
    scheduler.arm('remote', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    runs[0]!.finish('interrupted');
    await vi.advanceTimersByTimeAsync(29_999);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);
  });
});
