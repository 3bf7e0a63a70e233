import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../src/http/server.js';
import { createDirectService, type DirectService } from './support/direct-service.js';
import { addTestConduit, capturingLogger, syncFolders, TEST_TOKEN, writeFiles } from './support/fixtures.js';

/**
 * The routes the admin page reads (src/http/page-routes.ts), through
 * fastify's inject against a real store and real generations on disk.
 */
describe('admin page routes', () => {
  let service: DirectService;
  let app: FastifyInstance;
  const cleanups: (() => void)[] = [];

  beforeEach(async () => {
    service = await createDirectService();
    app = await buildHttpApp(service, { token: TEST_TOKEN, logger: capturingLogger().logger });
  });
  afterEach(async () => {
    await app.close();
    service.close();
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  const folders = (files: Record<string, string>) => {
    const made = syncFolders(files);
    cleanups.push(made.cleanup);
    return made;
  };
  const get = async (url: string) => {
    const response = await app.inject({ method: 'GET', url });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
  };

  describe('GET /api/conduits/:name/generations/:n/events', () => {
    beforeEach(async () => {
      // Names with LIKE's wildcards in them: the search is literal.
      const files: Record<string, string> = { '100%_done.txt': 'a', '100x_done.txt': 'b', 'sub/inner.txt': 'c' };
      for (let i = 0; i < 25; i++) files[`bulk/f${i}.txt`] = String(i);
      const made = folders(files);
      addTestConduit(service, { name: 'docs', source: made.source, target: made.target });
      await service.requestSync('docs', { trigger: 'manual' });
    });

    it('pages the events with the total of all that match', async () => {
      const first = await get('/api/conduits/docs/generations/1/events?limit=10');
      expect(first.status).toBe(200);
      // 28 copies and 2 mkdirs (bulk, sub).
      expect(first.body['total']).toBe(30);
      expect(first.body['events']).toHaveLength(10);
      const last = await get('/api/conduits/docs/generations/1/events?limit=10&offset=25');
      expect(last.body['total']).toBe(30);
      expect(last.body['events']).toHaveLength(5);
    });

    it('searches by a literal fragment of the path (% and _ mean themselves) and filters by action', async () => {
      const literal = await get(`/api/conduits/docs/generations/1/events?path=${encodeURIComponent('%_')}`);
      expect(literal.body['total']).toBe(1);
      expect((literal.body['events'] as { path: string }[]).map((e) => e.path)).toEqual(['100%_done.txt']);
      const mkdirs = await get('/api/conduits/docs/generations/1/events?action=mkdir');
      expect((mkdirs.body['events'] as { path: string }[]).map((e) => e.path).sort()).toEqual(['bulk', 'sub']);
      const both = await get('/api/conduits/docs/generations/1/events?action=copy&path=bulk%2Ff1');
      // f1, f10 … f19
      expect(both.body['total']).toBe(11);
    });

    it('answers bad input with a 400 naming the field', async () => {
      expect(await get('/api/conduits/docs/generations/1/events?limit=0')).toMatchObject({ status: 400, body: { field: 'limit' } });
      expect(await get('/api/conduits/docs/generations/1/events?limit=1001')).toMatchObject({ status: 400, body: { field: 'limit' } });
      expect(await get('/api/conduits/docs/generations/1/events?action=copy-all')).toMatchObject({ status: 400, body: { field: 'action' } });
      expect(await get(`/api/conduits/docs/generations/1/events?path=${'a'.repeat(4097)}`)).toMatchObject({ status: 400, body: { field: 'path' } });
      expect(await get('/api/conduits/docs/generations/1/events?q=x')).toMatchObject({ status: 400, body: { field: 'q', error: 'unknown field "q"' } });
      expect(await get('/api/conduits/docs/generations/9/events')).toMatchObject({ status: 404 });
      expect(await get('/api/conduits/nope/generations/1/events')).toMatchObject({ status: 404 });
    });
  });

  describe('GET /api/conflicts/:id/detail', () => {
    async function conflictOn(files: { source: Record<string, string>; target: Record<string, string> }) {
      const made = folders(files.source);
      mkdirSync(made.target);
      writeFiles(made.target, files.target);
      addTestConduit(service, { name: 'notes', source: made.source, target: made.target, mode: 'bidirectional', conflict: 'manual' });
      await service.requestSync('notes', { trigger: 'manual' });
      const [conflict] = service.store.listConflicts({ conduit: 'notes' });
      return { made, id: conflict!.id };
    }

    it('gives each side\'s real folder, what is there now, and a line diff of small texts', async () => {
      const { made, id } = await conflictOn({
        source: { 'docs/plan.txt': 'one\ntwo\nthree\n' },
        target: { 'docs/plan.txt': 'one\n2\nthree\n' },
      });
      const { status, body } = await get(`/api/conflicts/${id}/detail`);
      expect(status).toBe(200);
      expect(body['source']).toMatchObject({ root: made.source, folder: join(made.source, 'docs'), path: join(made.source, 'docs/plan.txt'), current: { kind: 'file', size: 14 } });
      expect(body['target']).toMatchObject({ root: made.target, folder: join(made.target, 'docs'), current: { kind: 'file', size: 12 } });
      expect(body['diffUnavailable']).toBeNull();
      expect((body['diff'] as { lines: unknown[] }).lines).toEqual([
        { op: ' ', text: 'one' }, { op: '-', text: 'two' }, { op: '+', text: '2' }, { op: ' ', text: 'three' },
      ]);
    });

    it('does not read a file larger than 64 KiB or one that is not text', async () => {
      const big = await conflictOn({ source: { 'a.txt': 'x'.repeat(70 * 1024) }, target: { 'a.txt': 'y' } });
      const answer = await get(`/api/conflicts/${big.id}/detail`);
      expect(answer.body).toMatchObject({ diff: null, diffUnavailable: "the source's version is larger than 64 KiB" });
    });

    it('never reads through a directory that became a symbolic link (confined to the roots)', async () => {
      const { made, id } = await conflictOn({
        source: { 'docs/plan.txt': 'source side' },
        target: { 'docs/plan.txt': 'target side' },
      });
      // The target's docs/ swapped for a link to a folder outside both roots, holding a file of the same name.
      const outside = folders({ 'plan.txt': 'SECRET outside the roots' }).source;
      rmSync(join(made.target, 'docs'), { recursive: true });
      symlinkSync(outside, join(made.target, 'docs'));
      const { status, body } = await get(`/api/conflicts/${id}/detail`);
      expect(status).toBe(200);
      expect(JSON.stringify(body)).not.toContain('SECRET');
      expect(body['diff']).toBeNull();
      expect(body['diffUnavailable']).toBe(`the target's version is not read: '${join(made.target, 'docs')}' is a symbolic link`);
      expect(body['target']).toMatchObject({ current: null });
    });

    it('answers an unknown or malformed id as the other conflict routes do', async () => {
      expect(await get('/api/conflicts/999/detail')).toMatchObject({ status: 404 });
      expect(await get('/api/conflicts/abc/detail')).toMatchObject({ status: 400, body: { field: 'id' } });
    });
  });

  describe('GET /api/overview', () => {
    it('counts each conduit\'s open conflicts and gives its last generation; no planned run without a scheduler', async () => {
      const made = folders({ 'plan.txt': 'source' });
      mkdirSync(made.target);
      writeFileSync(join(made.target, 'plan.txt'), 'target!');
      addTestConduit(service, { name: 'notes', source: made.source, target: made.target, mode: 'bidirectional', conflict: 'manual' });
      const quiet = folders({ 'q.txt': 'q' });
      addTestConduit(service, { name: 'quiet', source: quiet.source, target: quiet.target });
      await service.requestSync('notes', { trigger: 'manual' });
      const { status, body } = await get('/api/overview');
      expect(status).toBe(200);
      const conduits = body['conduits'] as Record<string, unknown>[];
      expect(conduits.find((c) => c['name'] === 'notes')).toMatchObject({
        openConflicts: 1, nextRun: null, heldElsewhere: null, running: null,
        lastGeneration: { generation: 1, status: 'completed' },
      });
      expect(conduits.find((c) => c['name'] === 'quiet')).toMatchObject({ openConflicts: 0, lastGeneration: null });
    });
  });
});
