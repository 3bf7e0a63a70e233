import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiClient, ApiResponse } from './api-client.js';
import { createDirectService, type DirectService } from './direct-service.js';
import { addTestConduit, capturingLogger, syncFolders, TEST_TOKEN, waitFor, writeFiles } from './fixtures.js';
import { parsePrometheusText } from './prometheus-text.js';

/**
 * The API's contract (SPEC §12), run once in-process (`app.inject`) and once
 * over a real socket, against a real store, real generations on the real
 * disk and real conflict resolution.
 */
export interface ApiHarness {
  readonly client: ApiClient;
  close(): Promise<void>;
}

export type OpenHarness = (service: DirectService, logger: ReturnType<typeof capturingLogger>['logger']) => Promise<ApiHarness>;

export function apiContract(open: OpenHarness): void {
  let service: DirectService;
  let harness: ApiHarness;
  let api: ApiClient;
  let logLines: string[];
  let folders: ReturnType<typeof syncFolders>;

  beforeEach(async () => {
    service = await createDirectService();
    const captured = capturingLogger();
    logLines = captured.lines;
    harness = await open(service, captured.logger);
    api = harness.client;
    folders = syncFolders({ 'a.txt': 'alpha', 'sub/b.txt': 'bravo bravo' });
  });

  afterEach(async () => {
    await harness.close();
    // Whatever the test did, the token never reached the log.
    expect(logLines.join('\n')).not.toContain(TEST_TOKEN);
    service.close();
    folders.cleanup();
  });

  const conduitBody = (overrides: Record<string, unknown> = {}) => ({
    name: 'docs', source: folders.source, target: folders.target, mode: 'mirror', schedule: 'manual', ...overrides,
  });

  const expectError = (response: ApiResponse, status: number, field?: string) => {
    expect({ status: response.status, body: response.json }).toMatchObject({ status, body: { error: expect.any(String) } });
    if (field !== undefined) expect(response.json.field).toBe(field);
  };

  describe('success paths', () => {
    it('GET /healthz answers ok', async () => {
      const response = await api.request('GET', '/healthz');
      expect(response.status).toBe(200);
      expect(response.json).toEqual({ status: 'ok' });
    });

    it('POST, GET, PATCH and DELETE /api/conduits manage a conduit with the CLI\'s rules and views', async () => {
      const created = await api.request('POST', '/api/conduits', { body: conduitBody({ exclude: ['*.tmp'] }) });
      expect(created.status).toBe(201);
      expect(created.json).toMatchObject({ name: 'docs', mode: 'mirror', source: folders.source, target: folders.target, exclude: ['*.tmp'], state: 'never_synced', syncGeneration: 0 });
      expect(service.changed).toEqual(['docs']);

      const list = await api.request('GET', '/api/conduits');
      expect(list.status).toBe(200);
      expect(list.json.map((c: { name: string }) => c.name)).toEqual(['docs']);
      const one = await api.request('GET', '/api/conduits/docs');
      expect(one.json).toEqual(created.json);

      const edited = await api.request('PATCH', '/api/conduits/docs', { body: { schedule: 'interval:5m', enabled: false } });
      expect(edited.status).toBe(200);
      expect(edited.json).toMatchObject({ schedule: 'interval:5m', enabled: false, state: 'disabled' });
      expect(service.store.getConduit('docs')?.schedule).toBe('interval:5m');

      const removed = await api.request('DELETE', '/api/conduits/docs');
      expect(removed.status).toBe(200);
      expect(removed.json.name).toBe('docs');
      expect(service.store.getConduit('docs')).toBeUndefined();
      expect((await api.request('GET', '/api/conduits/docs')).status).toBe(404);
      expect(service.changed).toEqual(['docs', 'docs', 'docs']);
    });

    it('POST …/run with wait answers with the finished generation, and the files are on disk', async () => {
      addTestConduit(service, conduitBody());
      const response = await api.request('POST', '/api/conduits/docs/run', { body: { wait: true } });
      expect(response.status).toBe(200);
      expect(response.json).toMatchObject({ conduit: 'docs', generation: 1, status: 'completed', trigger: 'api', filesCopied: 2, bytesTransferred: 16, errors: [] });
      expect(readFileSync(join(folders.target, 'sub/b.txt'), 'utf8')).toBe('bravo bravo');
    });

    it('POST …/run without wait is accepted at once and the generation lands', async () => {
      addTestConduit(service, conduitBody());
      const response = await api.request('POST', '/api/conduits/docs/run');
      expect(response.status).toBe(202);
      expect(response.json).toMatchObject({ conduit: 'docs', requested: true });
      const history = await waitFor('generation 1 to finish', async () => {
        const list = await api.request('GET', '/api/conduits/docs/generations');
        return list.json.length === 1 && list.json[0].status !== 'running' ? list.json : undefined;
      });
      expect(history[0]).toMatchObject({ generation: 1, status: 'completed', trigger: 'api' });
      expect(existsSync(join(folders.target, 'a.txt'))).toBe(true);
    });

    it('GET …/generations pages newest first with limit and before, as `conduit history --json`', async () => {
      addTestConduit(service, conduitBody());
      for (let i = 0; i < 3; i++) {
        writeFiles(folders.source, { [`new-${i}.txt`]: 'x'.repeat(i + 1) });
        await service.requestSync('docs', { trigger: 'manual' });
      }
      const first = await api.request('GET', '/api/conduits/docs/generations?limit=2');
      expect(first.status).toBe(200);
      expect(first.json.map((g: { generation: number }) => g.generation)).toEqual([3, 2]);
      expect(Object.keys(first.json[0]).sort()).toEqual([
        'bytesTransferred', 'completedAt', 'conduit', 'conflicts', 'conflictsResolved', 'dirsCreated', 'dirsDeleted', 'dryRun',
        'errors', 'filesCopied', 'filesDeleted', 'generation', 'lastRepeatedAt', 'repeatCount', 'startedAt', 'status', 'trigger', 'verificationStatus',
      ]);
      const older = await api.request('GET', '/api/conduits/docs/generations?limit=2&before=2');
      expect(older.json.map((g: { generation: number }) => g.generation)).toEqual([1]);
    });

    it('GET …/generations/:n gives the generation with its events, filtered by action', async () => {
      addTestConduit(service, conduitBody());
      await service.requestSync('docs', { trigger: 'manual' });
      const all = await api.request('GET', '/api/conduits/docs/generations/1');
      expect(all.status).toBe(200);
      expect(all.json).toMatchObject({ conduit: 'docs', generation: 1, filesCopied: 2 });
      const actions = all.json.events.map((e: { action: string }) => e.action).sort();
      expect(actions).toEqual(['copy', 'copy', 'mkdir']);
      const copies = await api.request('GET', '/api/conduits/docs/generations/1?action=copy');
      expect(copies.json.events.map((e: { path: string }) => e.path).sort()).toEqual(['a.txt', 'sub/b.txt']);
      expect(copies.json.events[0]).toEqual({ side: 'target', path: expect.any(String), action: 'copy', bytes: expect.any(Number), message: null });
      const paged = await api.request('GET', '/api/conduits/docs/generations/1?limit=1&offset=1');
      expect(paged.json.events).toHaveLength(1);
    });

    it('GET /api/conflicts lists a manual conflict and POST …/resolve settles it on disk', async () => {
      mkdirSync(folders.target);
      writeFiles(folders.target, { 'a.txt': 'the target edit' });
      addTestConduit(service, conduitBody({ mode: 'bidirectional', conflict: 'manual' }));
      await service.requestSync('docs', { trigger: 'manual' });

      const open = await api.request('GET', '/api/conflicts?status=unresolved');
      expect(open.status).toBe(200);
      expect(open.json).toHaveLength(1);
      expect(open.json[0]).toMatchObject({ conduit: 'docs', path: 'a.txt', kind: 'first_sync_differs', resolution: 'unresolved' });

      const resolved = await api.request('POST', `/api/conflicts/${open.json[0].id}/resolve`, { body: { choice: 'source' } });
      expect(resolved.status).toBe(200);
      expect(resolved.json).toMatchObject({ id: open.json[0].id, resolution: 'accepted_source' });
      expect(readFileSync(join(folders.target, 'a.txt'), 'utf8')).toBe('alpha');
      expect((await api.request('GET', '/api/conflicts')).json).toEqual([]);
      expect((await api.request('GET', '/api/conflicts?status=all&conduit=docs')).json).toHaveLength(1);

      const again = await api.request('POST', `/api/conflicts/${open.json[0].id}/resolve`, { body: { choice: 'target' } });
      expectError(again, 409);
    });

    it('GET / serves the admin page and its script, with a strict content security policy', async () => {
      const page = await api.request('GET', '/');
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toMatch(/^text\/html/);
      expect(page.text).toContain('<script type="module" src="/admin.js">');
      expect(page.headers['content-security-policy']).toContain("script-src 'self'");
      const script = await api.request('GET', '/admin.js');
      expect(script.status).toBe(200);
      expect(script.headers['content-type']).toMatch(/^text\/javascript/);
      expect((await api.request('GET', '/admin.css')).status).toBe(200);
    });
  });

  describe('the generation lease', () => {
    it('POST /api/conflicts/:id/resolve while another process holds the conduit\'s generation lease: 409 naming it, nothing changed', async () => {
      mkdirSync(folders.target);
      writeFiles(folders.target, { 'a.txt': 'the target edit' });
      const row = addTestConduit(service, conduitBody({ mode: 'bidirectional', conflict: 'manual' }));
      await service.requestSync('docs', { trigger: 'manual' });
      const [open] = service.store.listConflicts({ conduit: 'docs' });
      // Another host's process, as a row in the lease table (its liveness cannot be asked by pid from here).
      const other = { id: 'another-process', pid: 4242, host: 'elsewhere', pidSpace: 'another-pid-space' };
      expect(service.store.acquireLease(row.id, 'generation', other, 60_000)).toMatchObject({ acquired: true });

      const response = await api.request('POST', `/api/conflicts/${open!.id}/resolve`, { body: { choice: 'source' } });

      expectError(response, 409);
      expect(response.json.error).toMatch(/^conduit docs is running in pid 4242 on host elsewhere since .*; nothing was changed/);
      expect(readFileSync(join(folders.target, 'a.txt'), 'utf8')).toBe('the target edit');
      expect(service.store.getConflict(open!.id)).toMatchObject({ resolution: 'unresolved' });
    });
  });

  describe('live events and metrics', () => {
    it('GET /api/events delivers started → progress → finished for a real run', async () => {
      addTestConduit(service, conduitBody());
      const stream = await api.events();
      try {
        const run = await api.request('POST', '/api/conduits/docs/run', { body: { wait: true } });
        expect(run.status).toBe(200);
        const events = await waitFor('generation_finished on the stream', () =>
          stream.events.some((e) => e.type === 'generation_finished') ? stream.events : undefined);
        const ours = events.filter((e) => e['conduit'] === 'docs' && e['generation'] === 1).map((e) => e.type);
        expect(ours[0]).toBe('generation_started');
        expect(ours.at(-1)).toBe('generation_finished');
        expect(ours.filter((t) => t === 'generation_progress').length).toBeGreaterThan(0);
        expect(ours.slice(1, -1).every((t) => t === 'generation_progress')).toBe(true);
        const progress = events.filter((e) => e.type === 'generation_progress').at(-1)!;
        expect(progress).toMatchObject({ actionsTotal: 3, bytesTotal: 16, rate: expect.any(Number) });
        const finished = events.find((e) => e.type === 'generation_finished')!;
        expect(finished['record']).toMatchObject({ generation: 1, status: 'completed', filesCopied: 2 });
      } finally {
        await stream.close();
      }
    });

    it('GET /metrics is Prometheus text whose counters move after a run', async () => {
      addTestConduit(service, conduitBody());
      const before = parsePrometheusText((await api.request('GET', '/metrics')).text);
      expect(before.types.get('conduit_generations_total')).toBe('counter');
      expect(before.types.get('conduit_generation_duration_seconds')).toBe('histogram');
      expect(before.value('conduit_generations_total', { conduit: 'docs', status: 'completed' }) ?? 0).toBe(0);
      expect(before.value('conduit_unresolved_conflicts', { conduit: 'docs' })).toBe(0);
      expect(before.value('conduit_last_successful_sync_timestamp_seconds', { conduit: 'docs' })).toBeUndefined();

      await api.request('POST', '/api/conduits/docs/run', { body: { wait: true } });
      const response = await api.request('GET', '/metrics');
      expect(response.headers['content-type']).toMatch(/^text\/plain/);
      const after = parsePrometheusText(response.text);
      expect(after.value('conduit_generations_total', { conduit: 'docs', status: 'completed' })).toBe(1);
      expect(after.value('conduit_bytes_transferred_total', { conduit: 'docs' })).toBe(16);
      expect(after.value('conduit_files_copied_total', { conduit: 'docs' })).toBe(2);
      expect(after.value('conduit_files_deleted_total', { conduit: 'docs' })).toBe(0);
      expect(after.value('conduit_generation_duration_seconds_count', { conduit: 'docs' })).toBe(1);
      const lastSync = after.value('conduit_last_successful_sync_timestamp_seconds', { conduit: 'docs' });
      expect(lastSync).toBeGreaterThan(Date.parse('2024-01-01') / 1000);
    });
  });

  describe('the token', () => {
    const mutating = (): [string, string, unknown][] => [
      ['POST', '/api/conduits', conduitBody({ name: 'other' })],
      ['PATCH', '/api/conduits/docs', { schedule: 'interval:1m' }],
      ['DELETE', '/api/conduits/docs', undefined],
      ['POST', '/api/conduits/docs/run', {}],
      ['POST', '/api/conflicts/1/resolve', { choice: 'dismiss' }],
    ];

    it('every mutating route answers 401 without a token and with a wrong one, and changes nothing', async () => {
      addTestConduit(service, conduitBody());
      for (const [method, path, body] of mutating()) {
        for (const token of [null, 'wrong-token-wrong-token']) {
          const response = await api.request(method, path, { body, token });
          expect({ route: `${method} ${path}`, token, status: response.status }).toEqual({ route: `${method} ${path}`, token, status: 401 });
          expect(response.json.field).toBe('authorization');
          expect(response.headers['www-authenticate']).toMatch(/^Bearer/);
        }
      }
      expect(service.store.listConduits().map((c) => [c.name, c.schedule])).toEqual([['docs', 'manual']]);
      expect(service.store.getConduit('docs')?.syncGeneration).toBe(0);
      expect(service.changed).toEqual([]);
    });

    it('a request addressed to a foreign host name (DNS rebinding) is refused on a loopback bind', async () => {
      const response = await api.request('GET', '/api/conduits', { headers: { host: 'attacker.example:7420' } });
      expectError(response, 403, 'host');
    });
  });

  describe('bad input: 400 naming the field, nothing written', () => {
    const cases: [string, () => Record<string, unknown> | string, string][] = [
      ['an unknown mode', () => conduitBody({ mode: 'mirorr' }), 'mode'],
      ['a bad schedule', () => conduitBody({ schedule: 'every tuesday' }), 'schedule'],
      ['overlapping paths (target inside source)', () => conduitBody({ target: join(folders.source, 'inner') }), 'target'],
      ['a relative path', () => conduitBody({ source: 'relative/dir' }), 'source'],
      ['an unknown field', () => conduitBody({ paralel: 3 }), 'paralel'],
      ['a body that is not an object', () => '[1,2]', 'body'],
      ['a body that is not JSON', () => '{"name": ', 'body'],
      ['an oversized body', () => conduitBody({ exclude: Array.from({ length: 20_000 }, (_, i) => `pattern-${i}`) }), 'body'],
    ];
    for (const [what, body, field] of cases) {
      it(`POST /api/conduits with ${what} → field ${field}`, async () => {
        const value = body();
        const response = await api.request('POST', '/api/conduits', typeof value === 'string' ? { rawBody: value } : { body: value });
        expectError(response, 400, field);
        expect(service.store.listConduits()).toEqual([]);
      });
    }

    it('regression: a request body with a key given twice (JSON.parse keeps the last) is a 400 naming the field, nothing changed', async () => {
      const text = JSON.stringify(conduitBody());
      const twice = `${text.slice(0, -1)}, "name": "other"}`;
      const created = await api.request('POST', '/api/conduits', { rawBody: twice });
      expectError(created, 400, 'name');
      expect(created.json.error).toBe('expected each field once, got it twice');
      expect(service.store.listConduits()).toEqual([]);

      addTestConduit(service, conduitBody());
      expectError(await api.request('PATCH', '/api/conduits/docs', { rawBody: '{"enabled": false, "enabled": true}' }), 400, 'enabled');
      expectError(await api.request('PATCH', '/api/conduits/docs', { rawBody: '{"versioning": {"dir": ".v", "keepDays": 3, "dir": ".w"}}' }), 400, 'versioning.dir');
      expect(service.store.getConduit('docs')).toMatchObject({ enabled: true, versioning: null });
      expectError(await api.request('POST', '/api/conduits/docs/run', { rawBody: '{"dryRun": true, "wait": true, "dryRun": false}' }), 400, 'dryRun');
      expect(service.store.getConduit('docs')?.syncGeneration).toBe(0);
      expectError(await api.request('POST', '/api/conflicts/1/resolve', { rawBody: '{"choice": "dismiss", "choice": "source"}' }), 400, 'choice');
    });

    it('a whole-number field written as 4e0 or 4.0 in a body is a 400 naming it, as in a config file', async () => {
      const text = JSON.stringify(conduitBody());
      const exponent = await api.request('POST', '/api/conduits', { rawBody: `${text.slice(0, -1)}, "parallelTransfers": 4e0}` });
      expectError(exponent, 400, 'parallelTransfers');
      expect(exponent.json.error).toBe('expected a whole number written in digits, got 4e0');
      expect(service.store.listConduits()).toEqual([]);
      addTestConduit(service, conduitBody());
      expectError(await api.request('PATCH', '/api/conduits/docs', { rawBody: '{"versioning": {"dir": ".v", "keepDays": 30.0}}' }), 400, 'versioning.keepDays');
      // A number that may have a fraction is any JSON number.
      const fraction = await api.request('PATCH', '/api/conduits/docs', { rawBody: '{"bandwidthLimitMbps": 1.5e1, "parallelTransfers": 8}' });
      expect(fraction.status, JSON.stringify(fraction.json)).toBe(200);
      expect(service.store.getConduit('docs')).toMatchObject({ bandwidthLimitMbps: 15, parallelTransfers: 8, versioning: null });
    });

    it('a root holding the service\'s database is refused by POST and PATCH (source, target), 400 naming the field and the file', async () => {
      const database = join(service.dataDir, 'conduit.db');
      const atDatabase = await api.request('POST', '/api/conduits', { body: conduitBody({ source: service.dataDir }) });
      expectError(atDatabase, 400, 'source');
      expect(atDatabase.json.error).toContain(database);
      expectError(await api.request('POST', '/api/conduits', { body: conduitBody({ target: service.dataDir }) }), 400, 'target');
      expect(service.store.listConduits()).toEqual([]);
      addTestConduit(service, conduitBody());
      const patched = await api.request('PATCH', '/api/conduits/docs', { body: { target: service.dataDir } });
      expectError(patched, 400, 'target');
      expect(patched.json.error).toContain(database);
      expect(service.store.getConduit('docs')?.target).toBe(folders.target);
    });

    it('a root inside the database\'s folder is accepted (it holds none of conduit\'s files): POST and PATCH', async () => {
      const created = await api.request('POST', '/api/conduits', { body: conduitBody({ target: join(service.dataDir, 'copy') }) });
      expect(created.status, JSON.stringify(created.json)).toBe(201);
      const patched = await api.request('PATCH', '/api/conduits/docs', { body: { target: join(service.dataDir, 'elsewhere') } });
      expect(patched.status, JSON.stringify(patched.json)).toBe(200);
      expect(service.store.getConduit('docs')?.target).toBe(join(service.dataDir, 'elsewhere'));
    });

    it('bad PATCH, query, run and resolve inputs name their field', async () => {
      addTestConduit(service, conduitBody());
      expectError(await api.request('PATCH', '/api/conduits/docs', { body: { mode: 'sideways' } }), 400, 'mode');
      expectError(await api.request('PATCH', '/api/conduits/docs', { body: { parallelTransfers: 0 } }), 400, 'parallelTransfers');
      expectError(await api.request('GET', '/api/conduits/docs/generations?limit=abc'), 400, 'limit');
      expectError(await api.request('GET', '/api/conduits/docs/generations?limit=100000'), 400, 'limit');
      expectError(await api.request('GET', '/api/conduits/docs/generations?before=-1'), 400, 'before');
      expectError(await api.request('GET', '/api/conduits/docs/generations/1?action=explode'), 400, 'action');
      expectError(await api.request('GET', '/api/conduits/docs/generations/first'), 400, 'n');
      expectError(await api.request('GET', '/api/conflicts?status=maybe'), 400, 'status');
      expectError(await api.request('POST', '/api/conduits/docs/run', { body: { dryRun: 'yes' } }), 400, 'dryRun');
      expectError(await api.request('POST', '/api/conflicts/1/resolve', { body: { choice: 'mine' } }), 400, 'choice');
      expectError(await api.request('POST', '/api/conflicts/zero/resolve', { body: { choice: 'source' } }), 400, 'id');
      expect(service.store.getConduit('docs')).toMatchObject({ mode: 'mirror', parallelTransfers: 4, syncGeneration: 0 });
    });

    it('running a disabled conduit is a 409, not a run', async () => {
      addTestConduit(service, conduitBody({ enabled: false }));
      expectError(await api.request('POST', '/api/conduits/docs/run', { body: {} }), 409);
      expect(service.store.getConduit('docs')?.syncGeneration).toBe(0);
    });
  });

  describe('unknown names: 404', () => {
    it('every route that names a conduit, generation or conflict answers 404 for an unknown one', async () => {
      addTestConduit(service, conduitBody());
      const requests: [string, string, unknown][] = [
        ['GET', '/api/conduits/nope', undefined],
        ['PATCH', '/api/conduits/nope', { schedule: 'manual' }],
        ['DELETE', '/api/conduits/nope', undefined],
        ['POST', '/api/conduits/nope/run', {}],
        ['GET', '/api/conduits/nope/generations', undefined],
        ['GET', '/api/conduits/nope/generations/1', undefined],
        ['GET', '/api/conduits/docs/generations/99', undefined],
        ['GET', '/api/conflicts?conduit=nope', undefined],
        ['POST', '/api/conflicts/4242/resolve', { choice: 'dismiss' }],
        ['GET', '/api/nothing-here', undefined],
      ];
      for (const [method, path, body] of requests) {
        const response = await api.request(method, path, { body });
        expect({ route: `${method} ${path}`, status: response.status }).toEqual({ route: `${method} ${path}`, status: 404 });
        expect(response.json.error).toEqual(expect.any(String));
      }
    });
  });
}
