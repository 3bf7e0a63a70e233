import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseSchedule } from '../../src/config/schedule.js';
import type { GenerationStatus } from '../../src/core/vocabulary.js';
import type { GenerationRecord } from '../../src/db/store.js';
import { backoffMs, nextCronRun, nextRunAt, refusalBackoffMs } from '../../src/service/schedule-timing.js';
import { mergeRequests, Scheduler, type RunReport, type SchedulerRequest } from '../../src/service/scheduler.js';

/** A scheduler over fake conduits whose generations end when the test says so. */
function harness(options: { schedules?: Record<string, string>; maxConcurrent?: number; rootsPresent?: () => boolean | Promise<boolean> } = {}) {
  const schedules = { ...options.schedules };
  const runs: { name: string; request: SchedulerRequest; at: number; finish(status?: GenerationStatus, waitingForSource?: boolean, message?: string): void }[] = [];
  let generation = 0;
  const errors: unknown[] = [];
  const scheduler = new Scheduler({
    maxConcurrent: () => options.maxConcurrent ?? 2,
    facts: (name) => ({ schedule: parseSchedule(schedules[name] ?? 'manual'), lastStartedAt: null }),
    rootsPresent: options.rootsPresent ?? (() => true),
    onError: (_name, error) => errors.push(error),
    rootPollMs: 1_000,
    run: (name, request) => new Promise<RunReport>((resolve) => {
      const n = ++generation;
      runs.push({
        name, request, at: Date.now(),
        finish: (status = 'completed', waitingForSource = false, message?: string) =>
          resolve({ record: { ...record(name, n, status, request), errorMessage: message ?? null }, waitingForSource }),
      });
    }),
  });
  return { scheduler, runs, errors, schedules };
}

function record(conduit: string, generation: number, status: GenerationStatus, request: SchedulerRequest): GenerationRecord {
  return {
    id: generation, conduitId: 1, conduit, generation, trigger: request.trigger, status, dryRun: request.dryRun,
    startedAt: new Date().toISOString(), completedAt: new Date().toISOString(), errorMessage: null, errors: [],
    verifiedAt: null, verificationStatus: 'unverified', filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0,
    conflicts: 0, conflictsResolved: 0, bytesTransferred: 0, errorsEncountered: 0, repeatCount: 1, lastRepeatedAt: null,
  };
}

const manual: SchedulerRequest = { trigger: 'manual', dryRun: false, force: false, paths: null };
const watchPaths = (...paths: string[]): SchedulerRequest => ({ trigger: 'watch', dryRun: false, force: false, paths });

beforeEach(() => {
  vi.useFakeTimers({ now: new Date('2026-03-01T10:00:00Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('Scheduler: one generation per conduit, coalesced follow-ups', () => {
  it('coalesces every trigger during a running generation into exactly one follow-up, which all of them get', async () => {
    const { scheduler, runs } = harness();
    const first = scheduler.request('notes', manual);
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    const during = [
      scheduler.request('notes', watchPaths('a')),
      scheduler.request('notes', watchPaths('b')),
      scheduler.request('notes', { ...manual, trigger: 'api' }),
    ];
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    runs[0]!.finish();
    expect((await first).generation).toBe(1);
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(2);
    // The follow-up is full (a full request was among them) and named by the most personal trigger.
    expect(runs[1]!.request).toEqual({ trigger: 'api', dryRun: false, force: false, paths: null });
    runs[1]!.finish();
    const records = await Promise.all(during);
    expect(records.map((r) => r.generation)).toEqual([2, 2, 2]);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(runs).toHaveLength(2);
  });

  it('merges watcher paths of a follow-up into their union', () => {
    expect(mergeRequests(watchPaths('b', 'a'), watchPaths('c', 'a'))).toEqual({ trigger: 'watch', dryRun: false, force: false, paths: ['a', 'b', 'c'] });
    expect(mergeRequests({ ...manual, dryRun: true }, manual).dryRun).toBe(false);
  });

  it('runs at most maxConcurrent conduits at once, the rest in order of request', async () => {
    const { scheduler, runs } = harness({ maxConcurrent: 2 });
    for (const name of ['a', 'b', 'c', 'd']) void scheduler.request(name, manual);
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.name)).toEqual(['a', 'b']);
    runs[1]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.name)).toEqual(['a', 'b', 'c']);
    runs[0]!.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(runs.map((r) => r.name)).toEqual(['a', 'b', 'c', 'd']);
  });
});

describe('Scheduler: schedules', () => {
  it('runs an interval conduit on time, and again one interval after each start', async () => {
    const { scheduler, runs, schedules } = harness();
    schedules['photos'] = 'interval:5m';
    scheduler.arm('photos', { initial: true });
    // Never synced: due now.
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    expect(runs[0]!.request.trigger).toBe('schedule');
    await vi.advanceTimersByTimeAsync(10_000);
    runs[0]!.finish();
    await vi.advanceTimersByTimeAsync(5 * 60_000 - 10_001);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);
  });

  it('never runs a manual conduit by itself', async () => {
    const { scheduler, runs, schedules } = harness();
    schedules['reports'] = 'manual';
    scheduler.arm('reports', { initial: true });
    await vi.advanceTimersByTimeAsync(7 * 24 * 3_600_000);
    expect(runs).toHaveLength(0);
  });

  it('runs a cron conduit at the next matching minute (local time), and then at the one after', async () => {
    const { scheduler, runs, schedules } = harness();
    schedules['nightly'] = 'cron:30 3 * * *';
    const now = Date.now();
    const next = nextCronRun('30 3 * * *', now)!;
    const expected = new Date(now);
    expected.setHours(3, 30, 0, 0);
    if (expected.getTime() <= now) expected.setDate(expected.getDate() + 1);
    expect(next).toBe(expected.getTime());
    scheduler.arm('nightly', { initial: true });
    await vi.advanceTimersByTimeAsync(next - now - 1);
    expect(runs).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(1);
    runs[0]!.finish();
    await vi.advanceTimersByTimeAsync(24 * 3_600_000 - 1);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);
  });

  it('computes next runs: interval from the last start (overdue means now), cron strictly after now, none for manual and instant', () => {
    const now = Date.parse('2026-03-01T10:00:00Z');
    expect(nextRunAt(parseSchedule('interval:5m'), now, now - 60_000)).toBe(now + 4 * 60_000);
    expect(nextRunAt(parseSchedule('interval:5m'), now, now - 3_600_000)).toBe(now);
    expect(nextRunAt(parseSchedule('manual'), now, null)).toBeNull();
    expect(nextRunAt(parseSchedule('instant'), now, null)).toBeNull();
    expect(nextRunAt(parseSchedule('cron:*/15 * * * *'), now, null)).toBe(now + 15 * 60_000);
  });

  it('runs an instant conduit once when armed (the catch-up), then only when asked', async () => {
    const { scheduler, runs, schedules } = harness();
    schedules['notes'] = 'instant';
    scheduler.arm('notes', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    runs[0]!.finish();
    scheduler.arm('notes', { initial: false });
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(runs).toHaveLength(1);
  });
});

describe('Scheduler: failures and missing roots', () => {
  it('backs off 30 s doubling to 30 min after failures, while a person may still run it at once', async () => {
    expect([1, 2, 3, 7, 20].map(backoffMs)).toEqual([30_000, 60_000, 120_000, 1_800_000, 1_800_000]);
    const { scheduler, runs, schedules } = harness();
    schedules['photos'] = 'interval:1h';
    scheduler.arm('photos', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    runs[0]!.finish('failed');
    await vi.advanceTimersByTimeAsync(29_999);
    expect(runs).toHaveLength(1);
    // A watcher trigger waits for the backoff too.
    void scheduler.request('photos', watchPaths('x'));
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(runs).toHaveLength(2);
    runs[1]!.finish('failed');
    await vi.advanceTimersByTimeAsync(59_999);
    expect(runs).toHaveLength(2);
    void scheduler.request('photos', manual);
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toHaveLength(3);
    runs[2]!.finish('completed');
    await vi.advanceTimersByTimeAsync(1);
    // Success cleared the backoff and its retry; the next run is the interval's.
    await vi.advanceTimersByTimeAsync(3_600_000 - 100);
    expect(runs).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(200);
    expect(runs).toHaveLength(4);
  });

  it('polls a waiting_for_source conduit\'s roots and runs it by itself when they are back', async () => {
    let present = false;
    const { scheduler, runs, schedules } = harness({ rootsPresent: () => present });
    schedules['photos'] = 'interval:1h';
    scheduler.arm('photos', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    runs[0]!.finish('refused', true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(runs).toHaveLength(1);
    present = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toHaveLength(2);
    expect(runs[1]!.request).toEqual({ trigger: 'schedule', dryRun: false, force: false, paths: null });
  });

  it('waits for a root check that answers later (asked through the filesystem seam), and polls on while it says no', async () => {
    let present = false;
    let asked = 0;
    const { scheduler, runs, schedules } = harness({
      rootsPresent: () => {
        asked++;
        return new Promise<boolean>((resolve) => setTimeout(() => resolve(present), 10));
      },
    });
    schedules['photos'] = 'interval:1h';
    scheduler.arm('photos', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    runs[0]!.finish('refused', true);
    await vi.advanceTimersByTimeAsync(3_100);
    expect(asked).toBe(3);
    expect(runs).toHaveLength(1);
    present = true;
    await vi.advanceTimersByTimeAsync(1_100);
    expect(runs).toHaveLength(2);
  });

  it('refuses new requests once stopped, and rejects the follow-up that had not started', async () => {
    const { scheduler, runs } = harness();
    void scheduler.request('a', manual);
    await vi.advanceTimersByTimeAsync(0);
    const followUp = scheduler.request('a', manual);
    scheduler.stop();
    await expect(followUp).rejects.toThrow(/stopped/);
    await expect(scheduler.request('a', manual)).rejects.toThrow(/stopping/);
    const idle = scheduler.idle();
    runs[0]!.finish('interrupted');
    await idle;
    expect(runs).toHaveLength(1);
  });
});

describe('Scheduler: catching up at start', () => {
  it('runs a clock-scheduled conduit whose last generation was interrupted at once, a manual one not', async () => {
    const runs: string[] = [];
    const scheduler = new Scheduler({
      maxConcurrent: () => 2,
      facts: (name) => ({ schedule: parseSchedule(name === 'byhand' ? 'manual' : 'interval:1h'), lastStartedAt: Date.now() - 60_000, lastUnfinished: true }),
      rootsPresent: () => true,
      onError: () => undefined,
      run: (name, request) => {
        runs.push(name);
        return Promise.resolve({ record: record(name, runs.length, 'completed', request), waitingForSource: false });
      },
    });
    scheduler.arm('big', { initial: true });
    scheduler.arm('byhand', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(['big']);
  });
});

describe('Scheduler: the same refusal again backs off (issue 11 §1)', () => {
  const EMPTIED = 'source root is empty but held 3 files at the last generation (unmounted?)';

  /** Lets fake time pass in 1 s steps, refusing every generation that starts (with `reason(n)`); returns when each started. */
  async function refuseFor(harnessed: ReturnType<typeof harness>, ms: number, reason: (n: number) => string): Promise<number[]> {
    const { runs } = harnessed;
    let finished = 0;
    for (let t = 0; t < ms; t += 1_000) {
      while (finished < runs.length) runs[finished]!.finish('refused', true, reason(finished++));
      await vi.advanceTimersByTimeAsync(1_000);
    }
    return runs.map((run) => run.at);
  }
  const gapsInSeconds = (times: readonly number[]) => times.slice(1).map((t, i) => (t - times[i]!) / 1000);

  it('an emptied root (the poll finds it present) is tried 3 s, 6 s, 12 s … at most 5 min apart, not at every root poll', async () => {
    // The poll every 1 s says "present", as it does for a drive's empty mount point.
    const harnessed = harness({ rootsPresent: () => true });
    harnessed.schedules['drive'] = 'instant';
    harnessed.scheduler.arm('drive', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    const starts = await refuseFor(harnessed, 20 * 60_000, () => EMPTIED);
    expect(gapsInSeconds(starts).slice(0, 9)).toEqual([3, 6, 12, 24, 48, 96, 192, 300, 300]);
    // Twenty minutes of a refused drive: ten tries, not one per poll (1,200).
    expect(starts.length).toBe(10);
  });

  it('a different reason starts the backoff over', async () => {
    const harnessed = harness({ rootsPresent: () => true });
    harnessed.schedules['drive'] = 'instant';
    harnessed.scheduler.arm('drive', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    const starts = await refuseFor(harnessed, 60_000, (n) => (n < 4 ? EMPTIED : 'target root is missing'));
    // The 4th refusal in a row waits 24 s; the next, for another reason, only 3 s.
    expect(gapsInSeconds(starts).slice(0, 6)).toEqual([3, 6, 12, 24, 3, 6]);
  });

  it('roots that were missing and came back run at the next poll, however long the backoff had grown', async () => {
    let present = false;
    const harnessed = harness({ rootsPresent: () => present });
    harnessed.schedules['drive'] = 'interval:1m';
    harnessed.scheduler.arm('drive', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    const starts = await refuseFor(harnessed, 10 * 60_000, () => 'source root is missing');
    // The interval holds while the backoff is shorter; from the 6th refusal in a row, the backoff (96 s, 192 s…).
    expect(gapsInSeconds(starts).slice(0, 7)).toEqual([60, 60, 60, 60, 60, 96, 192]);
    expect(refusalBackoffMs(starts.length)).toBe(300_000);
    const backAt = Date.now();
    present = true;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(harnessed.runs).toHaveLength(starts.length + 1);
    expect(harnessed.runs[starts.length]!.at - backAt).toBeLessThanOrEqual(1_000);
  });

  it('a person\'s request is never held back by it', async () => {
    const harnessed = harness({ rootsPresent: () => true });
    harnessed.schedules['drive'] = 'instant';
    harnessed.scheduler.arm('drive', { initial: true });
    await vi.advanceTimersByTimeAsync(0);
    await refuseFor(harnessed, 5 * 60_000, () => EMPTIED);
    const before = harnessed.runs.length;
    void harnessed.scheduler.request('drive', manual).catch(() => undefined);
    await vi.advanceTimersByTimeAsync(0);
    expect(harnessed.runs).toHaveLength(before + 1);
    expect(harnessed.runs[before]!.request.trigger).toBe('manual');
  });
});
