import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildHttpApp } from '../../src/http/server.js';
import { injectClient, type ApiClient } from './support/api-client.js';
import { createDirectService, type DirectService } from './support/direct-service.js';
import { capturingLogger, TEST_TOKEN } from './support/fixtures.js';

/** Issue 10 in the API: create/update/list carry a remote root and its ssh settings, with the CLI's validation. */
describe('remote roots through the API', () => {
  let dir: string;
  let service: DirectService;
  let api: ApiClient;
  let close: () => Promise<void>;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-remote-api-'));
    mkdirSync(join(dir, 'src'));
    service = await createDirectService();
    const app = await buildHttpApp(service, { token: TEST_TOKEN, logger: capturingLogger().logger });
    api = injectClient(app);
    close = () => app.close();
  });
  afterAll(async () => {
    await close();
    service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists and updates a conduit with a remote target and its ssh settings', async () => {
    const created = await api.request('POST', '/api/conduits', {
      token: TEST_TOKEN, body: { name: 'far', source: join(dir, 'src'), target: 'me@nas:/srv/far/', mode: 'mirror', sshCommand: 'ssh -v' },
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({ target: 'ssh://me@nas/srv/far', sshCommand: 'ssh -v', remoteCommand: null });
    const list = await api.request('GET', '/api/conduits', { token: TEST_TOKEN });
    expect(list.json).toEqual([expect.objectContaining({ name: 'far', target: 'ssh://me@nas/srv/far', sshCommand: 'ssh -v', remoteCommand: null })]);
    const edited = await api.request('PATCH', '/api/conduits/far', { token: TEST_TOKEN, body: { sshCommand: null, remoteCommand: 'conduit agent' } });
    expect(edited.status).toBe(200);
    expect(edited.json).toMatchObject({ sshCommand: null, remoteCommand: 'conduit agent' });
  });

  it.each([
    [{ target: 'ssh://nas' }, 'target'],
    [{ target: 'relative/dir' }, 'target'],
    [{ source: 'ssh://a/x', target: 'ssh://b/y' }, 'target'],
    [{ target: '/ssh:nas/x' }, 'target'],
    [{ target: 'ssh://nas/x', sshCommand: '' }, 'sshCommand'],
    [{ target: 'ssh://nas/x', remoteCommand: ['conduit', 'agent'] }, 'remoteCommand'],
  ])('refuses %j with a 400 naming %s, and creates nothing', async (fields, field) => {
    const refused = await api.request('POST', '/api/conduits', {
      token: TEST_TOKEN, body: { name: 'bad', source: join(dir, 'src'), mode: 'mirror', ...fields },
    });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(refused.json)).toContain(field);
    expect((await api.request('GET', '/api/conduits/bad', { token: TEST_TOKEN })).status).toBe(404);
  });
});
