import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import { parseSchedule } from '../../src/config/schedule.js';
import type { GenerationRecord } from '../../src/db/store.js';
import { Scheduler, type RunReport, type SchedulerRequest } from '../../src/service/scheduler.js';

/**
 * The scheduler when another process holds a conduit's lease (issue 8 §5):
 * the run fails with a busy error before anything starts. That is no
 * failure (no backoff, nothing logged as an error): the requests are
 * refused, and an automatic conduit asks again, with a full generation,
 * every `busyRetryMs` until it gets the lease.
 */
class Busy extends Error {}

function harness(schedule: string, busyRuns: number) {
  const runs: SchedulerRequest[] = [];
  const errors: unknown[] = [];
  const scheduler = new Scheduler({
    maxConcurrent: () => 2,
    facts: () => ({ schedule: parseSchedule(schedule), lastStartedAt: null }),
    rootsPresent: () => true,
    onError: (_name, error) => errors.push(error),
    isBusy: (error) => error instanceof Busy,
    busyRetryMs: 2_000,
    run: (name, request) => {
      runs.push(request);
      if (runs.length <= busyRuns) return Promise.reject(new Busy(`conduit ${name} is running in pid 4242 on host h1`));
      return Promise.resolve<RunReport>({ record: record(name, runs.length, request), waitingForSource: false });
    },
  });
  return { scheduler, runs, errors };
}

function record(conduit: string, generation: number, request: SchedulerRequest): GenerationRecord {
  return {
    id: generation, conduitId: 1, conduit, generation, trigger: request.trigger, status: 'completed', dryRun: request.dryRun,
    startedAt: new Date().toISOString(), completedAt: new Date().toISOString(), errorMessage: null, errors: [],
    verifiedAt: null, verificationStatus: 'unverified', filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0,
    conflicts: 0, conflictsResolved: 0, bytesTransferred: 0, errorsEncountered: 0, repeatCount: 1, lastRepeatedAt: null,
  };
}

const watch: SchedulerRequest = { trigger: 'watch', dryRun: false, force: false, paths: ['a.txt'] };
const api: SchedulerRequest = { trigger: 'api', dryRun: false, force: false, paths: null };

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-03-01T10:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

it('an automatic conduit found busy asks again with a full generation until it gets the lease; nothing is logged as an error', async () => {
  const { scheduler, runs, errors } = harness('interval:1h', 2);
  const first = scheduler.request('notes', watch);
  await expect(first).rejects.toBeInstanceOf(Busy);
  expect(runs).toHaveLength(1);

  await vi.advanceTimersByTimeAsync(2_000);
  expect(runs).toHaveLength(2); // busy again
  await vi.advanceTimersByTimeAsync(2_000);
  expect(runs).toHaveLength(3);
  expect(runs.slice(1)).toEqual([
    { trigger: 'schedule', dryRun: false, force: false, paths: null },
    { trigger: 'schedule', dryRun: false, force: false, paths: null },
  ]);
  await vi.advanceTimersByTimeAsync(10 * 60_000);
  expect(runs).toHaveLength(3); // got it: back to its hourly schedule
  expect(errors).toEqual([]);
});

it('busy is no failure: a person\'s request right after runs at once (no backoff), and a manual conduit is not retried', async () => {
  const { scheduler, runs } = harness('manual', 1);
  await expect(scheduler.request('notes', api)).rejects.toThrow(/is running in pid 4242/);
  const again = await scheduler.request('notes', api);
  expect(again.status).toBe('completed');
  await vi.advanceTimersByTimeAsync(60_000);
  expect(runs).toHaveLength(2);
});
