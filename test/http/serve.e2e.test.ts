import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, repoRoot } from '../cli/cli-harness.js';
import { httpClient } from './support/api-client.js';
import { syncFolders, waitFor } from './support/fixtures.js';
import { parsePrometheusText } from './support/prometheus-text.js';

/**
 * The API as a user meets it: `conduit serve` in a child process (the built
 * CLI), its real scheduler-backed service, its token from the environment or
 * from the 0600 file it creates beside the database.
 */
interface Served {
  readonly child: ChildProcess;
  readonly url: string;
  readonly stderr: () => string;
}

async function serve(cwd: string, database: string, env: Record<string, string>): Promise<Served> {
  const childEnv: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, CONDUIT_API_TOKEN: undefined, CONDUIT_DB: undefined, ...env, CONDUIT_LOG_LEVEL: 'info' })) {
    if (value !== undefined) childEnv[key] = value;
  }
  const child = spawn(process.execPath, [join(repoRoot, 'bin/conduit.js'), 'serve', '--db', database, '--host', '127.0.0.1', '--port', '0'], { cwd, env: childEnv });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => { stderr += chunk; });
  const url = await waitFor('serve to log its URL', () => {
    if (child.exitCode !== null) throw new Error(`conduit serve exited ${child.exitCode}: ${stderr}`);
    return /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(stderr)?.[1];
  });
  return { child, url, stderr: () => stderr };
}

async function stop(served: Served): Promise<number | null> {
  if (served.child.exitCode !== null) return served.child.exitCode;
  const exited = new Promise<number | null>((resolve) => served.child.once('exit', (code) => resolve(code)));
  served.child.kill('SIGTERM');
  return exited;
}

describe('conduit serve: HTTP API end to end', () => {
  let dir: string;
  let served: Served | undefined;
  let folders: ReturnType<typeof syncFolders>;

  beforeAll(() => ensureBuilt(), 180_000);
  afterEach(async () => {
    if (served) await stop(served);
    served = undefined;
    folders?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds a conduit, runs it, shows its history, events and metrics, with the token from CONDUIT_API_TOKEN; SIGTERM exits 0', async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-serve-e2e-'));
    folders = syncFolders({ 'a.txt': 'alpha', 'deep/b.txt': 'bravo' });
    const token = 'e2e-token-from-the-environment';
    served = await serve(dir, join(dir, 'conduit.db'), { CONDUIT_API_TOKEN: token });
    const api = httpClient(served.url);

    expect((await api.request('GET', '/healthz')).json).toEqual({ status: 'ok' });
    expect((await api.request('GET', '/')).text).toContain('<title>conduit');
    const body = { name: 'docs', source: folders.source, target: folders.target, mode: 'mirror' };
    expect((await api.request('POST', '/api/conduits', { body, token: null })).status).toBe(401);
    const created = await api.request('POST', '/api/conduits', { body, token });
    expect(created.status).toBe(201);

    const stream = await api.events();
    try {
      const run = await api.request('POST', '/api/conduits/docs/run', { body: { wait: true }, token });
      expect(run.status).toBe(200);
      expect(run.json).toMatchObject({ conduit: 'docs', generation: 1, trigger: 'api', status: 'completed', filesCopied: 2 });
      expect(readFileSync(join(folders.target, 'deep/b.txt'), 'utf8')).toBe('bravo');
      const types = await waitFor('started and finished on the live stream', () => {
        const seen = stream.events.filter((e) => e['conduit'] === 'docs').map((e) => e.type);
        return seen.includes('generation_finished') ? seen : undefined;
      });
      expect(types[0]).toBe('generation_started');
      expect(types.indexOf('generation_finished')).toBeGreaterThan(0);
    } finally {
      await stream.close();
    }

    const history = await api.request('GET', '/api/conduits/docs/generations');
    expect(history.json.map((g: { generation: number }) => g.generation)).toEqual([1]);
    const detail = await api.request('GET', '/api/conduits/docs/generations/1?action=copy');
    expect(detail.json.events.map((e: { path: string }) => e.path).sort()).toEqual(['a.txt', 'deep/b.txt']);
    const metrics = parsePrometheusText((await api.request('GET', '/metrics')).text);
    expect(metrics.value('conduit_generations_total', { conduit: 'docs', status: 'completed' })).toBe(1);

    expect(served.stderr()).not.toContain(token);
    expect(await stop(served)).toBe(0);
    served = undefined;
  });

  it('without CONDUIT_API_TOKEN creates a 0600 token file beside the database and accepts that token', async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-serve-e2e-'));
    folders = syncFolders({ 'a.txt': 'alpha' });
    const database = join(dir, 'data', 'conduit.db');
    served = await serve(dir, database, {});
    const file = join(dir, 'data', 'conduit-api-token');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const token = readFileSync(file, 'utf8').trim();
    const api = httpClient(served.url);
    const body = { name: 'docs', source: folders.source, target: folders.target, mode: 'mirror' };
    expect((await api.request('POST', '/api/conduits', { body, token: 'not-the-token' })).status).toBe(401);
    expect((await api.request('POST', '/api/conduits', { body, token })).status).toBe(201);
    // The data directory holds the service's own files: no root may contain them (a folder inside it is fine).
    const atData = await api.request('POST', '/api/conduits', { body: { ...body, name: 'bad', target: join(dir, 'data') }, token });
    expect({ status: atData.status, field: atData.json.field }).toEqual({ status: 400, field: 'target' });
    expect(atData.json.error).toContain(database);
    expect(served.stderr()).not.toContain(token);
  });
});
