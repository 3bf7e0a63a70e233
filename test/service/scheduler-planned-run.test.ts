import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseSchedule } from '../../src/config/schedule.js';
import type { GenerationStatus } from '../../src/core/vocabulary.js';
import type { GenerationRecord } from '../../src/db/store.js';
import { BACKOFF_FIRST_MS } from '../../src/service/schedule-timing.js';
import { Scheduler, type RunReport, type SchedulerRequest } from '../../src/service/scheduler.js';

/**
 * `Scheduler.plannedRun`: the admin page's "next run" is what the scheduler
 * has armed — the clock schedule, or the retry after a failure — never a
 * guess recomputed elsewhere.
 */
const NOW = Date.parse('2026-03-01T10:00:00Z');

function harness(schedule: string, lastStartedAt: number | null) {
  const finishes: ((status: GenerationStatus) => void)[] = [];
  const scheduler = new Scheduler({
    maxConcurrent: () => 1,
    facts: () => ({ schedule: parseSchedule(schedule), lastStartedAt }),
    rootsPresent: () => true,
    onError: () => undefined,
    run: (name, request) => new Promise<RunReport>((resolve) => {
      finishes.push((status) => resolve({ record: record(name, status, request), waitingForSource: false }));
    }),
  });
  return { scheduler, finishes };
}

/** The fields the scheduler reads, and the usual others; the cast keeps it valid as GenerationRecord grows. */
function record(conduit: string, status: GenerationStatus, request: SchedulerRequest): GenerationRecord {
  return <GenerationRecord>{
    id: 1, conduitId: 1, conduit, generation: 1, trigger: request.trigger, status, dryRun: request.dryRun,
    startedAt: new Date().toISOString(), completedAt: new Date().toISOString(), errorMessage: null, errors: [],
    verifiedAt: null, verificationStatus: 'unverified', filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0,
    conflicts: 0, conflictsResolved: 0, bytesTransferred: 0, errorsEncountered: 0, repeatCount: 1, lastRepeatedAt: null,
  };
}

beforeEach(() => {
  vi.useFakeTimers({ now: NOW });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Scheduler.plannedRun', () => {
  it('is the armed clock schedule: an interval from the last start', () => {
    const { scheduler } = harness('interval:5m', NOW - 60_000);
    scheduler.arm('photos', { initial: true });
    expect(scheduler.plannedRun('photos')).toEqual({ at: NOW + 4 * 60_000, why: 'schedule' });
  });

  it('is nothing for manual and instant conduits, and nothing once the conduit is forgotten', () => {
    const manual = harness('manual', null);
    manual.scheduler.arm('m', { initial: true });
    expect(manual.scheduler.plannedRun('m')).toBeNull();
    const interval = harness('interval:1h', NOW);
    interval.scheduler.arm('i', { initial: true });
    expect(interval.scheduler.plannedRun('i')).not.toBeNull();
    interval.scheduler.forget('i');
    expect(interval.scheduler.plannedRun('i')).toBeNull();
    expect(interval.scheduler.plannedRun('never-seen')).toBeNull();
  });

  it('is the retry after a failed generation when that comes first, and the schedule again once one completes', async () => {
    const { scheduler, finishes } = harness('interval:1h', NOW);
    scheduler.arm('photos', { initial: true });
    void scheduler.request('photos', { trigger: 'manual', dryRun: false, force: false, paths: null });
    await vi.advanceTimersByTimeAsync(0);
    finishes[0]!('failed');
    await vi.advanceTimersByTimeAsync(0);
    expect(scheduler.plannedRun('photos')).toEqual({ at: NOW + BACKOFF_FIRST_MS, why: 'retry' });
    // The retry fires and starts a generation: while it runs, only the hourly schedule is armed.
    await vi.advanceTimersByTimeAsync(BACKOFF_FIRST_MS);
    expect(finishes).toHaveLength(2);
    expect(scheduler.plannedRun('photos')?.why).toBe('schedule');
    finishes[1]!('completed');
    await vi.advanceTimersByTimeAsync(0);
    // An hour from the start of the generation that completed.
    expect(scheduler.plannedRun('photos')).toEqual({ at: NOW + BACKOFF_FIRST_MS + 3_600_000, why: 'schedule' });
  });
});
