import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { conduit, json } from '../cli/cli-harness.js';
import { ServeArea, conduitEntry, startServe, type Served } from '../service/serve-harness.js';
import { httpClient } from './support/api-client.js';
import { parsePrometheusText, type Exposition } from './support/prometheus-text.js';

/**
 * `/metrics` as an operator scrapes it: a real `conduit serve` in a child
 * process, generations made by `conduit run` in *other* processes (the
 * service never ran them), and a scrape over HTTP on 127.0.0.1. Every number
 * is the database's, so what the CLI did shows.
 */
interface GenerationJson {
  readonly generation: number;
  readonly status: string;
  readonly completedAt: string;
  readonly verificationStatus: string;
}

const seconds = (iso: string): number => Date.parse(iso) / 1000;

/** `chattr +i` (root with CAP_LINUX_IMMUTABLE, on a filesystem that has the flag): a file even root cannot replace. */
function setImmutable(path: string, on: boolean): boolean {
  return spawnSync('chattr', [on ? '+i' : '-i', path], { stdio: 'ignore' }).status === 0;
}

function canMakeImmutable(dir: string): boolean {
  const probe = join(dir, '.immutable-probe');
  writeFileSync(probe, 'probe');
  const can = setImmutable(probe, true);
  if (can) setImmutable(probe, false);
  rmSync(probe, { force: true });
  return can;
}

describe('GET /metrics of a running serve counts what any process did', () => {
  let area: ServeArea | undefined;
  let served: Served | undefined;
  const immutable: string[] = [];

  afterEach(async () => {
    await served?.stop();
    served = undefined;
    for (const path of immutable.splice(0)) setImmutable(path, false);
    area?.cleanup();
    area = undefined;
  });

  function cli(...args: string[]) {
    return conduit(['--db', area!.db, ...args], { cwd: area!.dir });
  }

  async function scrape(): Promise<Exposition> {
    const response = await httpClient(served!.url).request('GET', '/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return parsePrometheusText(response.text);
  }

  function files(dir: string, contents: Record<string, string>): void {
    for (const [path, content] of Object.entries(contents)) {
      mkdirSync(join(dir, path, '..'), { recursive: true });
      writeFileSync(join(dir, path), content);
    }
  }

  it('generations run by `conduit run` in another process: counters, durations, state, latest generation, verification failures', async () => {
    area = new ServeArea();
    files(area.path('docs-source'), { 'a.txt': 'alpha', 'sub/b.txt': 'bravo bravo' });
    area.writeConfig([conduitEntry('docs', { schedule: 'manual' })]);
    served = await startServe(area);

    const before = await scrape();
    expect(before.types.get('conduit_generations_total')).toBe('counter');
    expect(before.value('conduit_generations_total', { conduit: 'docs', status: 'completed' })).toBe(0);
    expect(before.value('conduit_state', { conduit: 'docs', state: 'never_synced' })).toBe(1);
    expect(before.value('conduit_state', { conduit: 'docs', state: 'current' })).toBe(0);
    expect(before.value('conduit_last_successful_sync_timestamp_seconds', { conduit: 'docs' })).toBeUndefined();
    expect(before.value('conduit_last_generation_timestamp_seconds', { conduit: 'docs' })).toBeUndefined();
    expect(before.value('conduit_generation_duration_seconds_count', { conduit: 'docs' })).toBeUndefined();

    // Generation 1, by the CLI: two files copied.
    expect(cli('run', 'docs').code).toBe(0);
    const first = json<GenerationJson>(cli('--json', 'show-generation', 'docs', '1'));
    let metrics = await scrape();
    expect(metrics.value('conduit_generations_total', { conduit: 'docs', status: 'completed' })).toBe(1);
    expect(metrics.value('conduit_files_copied_total', { conduit: 'docs' })).toBe(2);
    expect(metrics.value('conduit_files_deleted_total', { conduit: 'docs' })).toBe(0);
    expect(metrics.value('conduit_bytes_transferred_total', { conduit: 'docs' })).toBe('alpha'.length + 'bravo bravo'.length);
    expect(metrics.value('conduit_state', { conduit: 'docs', state: 'current' })).toBe(1);
    expect(metrics.value('conduit_state', { conduit: 'docs', state: 'never_synced' })).toBe(0);
    expect(metrics.value('conduit_last_generation_status', { conduit: 'docs', status: 'completed' })).toBe(1);
    expect(metrics.value('conduit_last_generation_status', { conduit: 'docs', status: 'failed' })).toBe(0);
    expect(metrics.value('conduit_last_generation_timestamp_seconds', { conduit: 'docs' })).toBe(seconds(first.completedAt));
    expect(metrics.value('conduit_last_successful_sync_timestamp_seconds', { conduit: 'docs' })).toBe(seconds(first.completedAt));
    expect(metrics.value('conduit_generation_duration_seconds_count', { conduit: 'docs' })).toBe(1);
    expect(metrics.value('conduit_generation_duration_seconds_bucket', { conduit: 'docs', le: '+Inf' })).toBe(1);
    // Cumulative buckets: never fewer below a larger bound, all of them by 4 h.
    const buckets = metrics.samples.filter((s) => s.name === 'conduit_generation_duration_seconds_bucket' && s.labels['conduit'] === 'docs').map((s) => s.value);
    expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
    expect(metrics.value('conduit_generation_duration_seconds_bucket', { conduit: 'docs', le: '14400' })).toBe(1);
    expect(metrics.value('conduit_running_generations')).toBe(0);
    expect(metrics.value('conduit_unresolved_conflicts', { conduit: 'docs' })).toBe(0);
    expect(metrics.value('conduit_verification_failures_total', { conduit: 'docs' })).toBe(0);

    // Generation 2 deletes one file; a dry run afterwards is counted nowhere.
    rmSync(area.path('docs-source', 'a.txt'));
    expect(cli('run', 'docs').code).toBe(0);
    expect(cli('run', 'docs', '--dry-run').code).toBe(0);
    metrics = await scrape();
    expect(metrics.value('conduit_generations_total', { conduit: 'docs', status: 'completed' })).toBe(2);
    expect(metrics.value('conduit_files_deleted_total', { conduit: 'docs' })).toBe(1);
    expect(metrics.value('conduit_files_copied_total', { conduit: 'docs' })).toBe(2);
    expect(metrics.value('conduit_generation_duration_seconds_count', { conduit: 'docs' })).toBe(2);

    // Someone puts the deleted file back in the target: verifying generation 2 fails, and the metric says so.
    files(area.path('docs-target'), { 'a.txt': 'alpha again' });
    const verify = cli('verify', 'docs', '--generation', '2');
    expect(verify.code).toBe(1);
    metrics = await scrape();
    expect(metrics.value('conduit_verification_failures_total', { conduit: 'docs' })).toBe(1);
    expect(metrics.types.get('conduit_verification_failures_total')).toBe('counter');
  }, 120_000);

  it('conduit_last_successful_sync_timestamp_seconds does not count completed_with_errors; the latest generation shows it', async (context) => {
    area = new ServeArea();
    if (!canMakeImmutable(area.dir)) {
      context.skip('chattr +i is not available here (needs root and a filesystem with the immutable flag): no way to make a copy fail for root');
    }
    files(area.path('locked-source'), { 'kept.txt': 'version 1', 'other.txt': 'other' });
    area.writeConfig([conduitEntry('locked', { schedule: 'manual' })]);
    served = await startServe(area);

    expect(cli('run', 'locked').code).toBe(0);
    const first = json<GenerationJson>(cli('--json', 'show-generation', 'locked', '1'));
    expect(first.status).toBe('completed');

    // The source changes, and the target's copy cannot be replaced: generation 2 ends completed_with_errors.
    files(area.path('locked-source'), { 'kept.txt': 'version 2, longer' });
    const locked = area.path('locked-target', 'kept.txt');
    expect(setImmutable(locked, true)).toBe(true);
    immutable.push(locked);
    expect(cli('run', 'locked').code).toBe(1);
    const second = json<GenerationJson>(cli('--json', 'show-generation', 'locked', '2'));
    expect(second.status).toBe('completed_with_errors');
    expect(seconds(second.completedAt)).toBeGreaterThan(seconds(first.completedAt));

    const metrics = await scrape();
    expect(metrics.value('conduit_generations_total', { conduit: 'locked', status: 'completed' })).toBe(1);
    expect(metrics.value('conduit_generations_total', { conduit: 'locked', status: 'completed_with_errors' })).toBe(1);
    expect(metrics.value('conduit_last_successful_sync_timestamp_seconds', { conduit: 'locked' })).toBe(seconds(first.completedAt));
    expect(metrics.value('conduit_last_generation_timestamp_seconds', { conduit: 'locked' })).toBe(seconds(second.completedAt));
    expect(metrics.value('conduit_last_generation_status', { conduit: 'locked', status: 'completed_with_errors' })).toBe(1);
    expect(metrics.value('conduit_last_generation_status', { conduit: 'locked', status: 'completed' })).toBe(0);
  }, 120_000);

  it("prom-client's default process and Node.js metrics are there", async () => {
    area = new ServeArea();
    area.writeConfig([]);
    served = await startServe(area);
    const metrics = await scrape();
    expect(metrics.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(metrics.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(metrics.value('nodejs_heap_size_used_bytes')).toBeGreaterThan(0);
    expect(metrics.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect(metrics.value('process_start_time_seconds')).toBeGreaterThan(Date.parse('2024-01-01') / 1000);
  }, 60_000);
});
