import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/http/server.js';
import { httpClient } from './support/api-client.js';
import { createDirectService } from './support/direct-service.js';
import { addTestConduit, capturingLogger, syncFolders, TEST_TOKEN, writeFiles } from './support/fixtures.js';

/** Issue 11 §2/§3: the versions `versioning` kept, listed and restored over real HTTP on 127.0.0.1 (the admin page's calls). */
describe('GET /api/conduits/:name/versions, POST /api/conduits/:name/restore', () => {
  it('lists newest first, narrows by path, restores (trigger api), and answers 404/400 for what does not exist', async () => {
    const service = await createDirectService();
    const folders = syncFolders();
    const server = await startHttpServer(service, { host: '127.0.0.1', port: 0, token: TEST_TOKEN, logger: capturingLogger().logger });
    try {
      addTestConduit(service, { name: 'm', source: folders.source, target: folders.target, versioning: { dir: '.v', keepDays: 3650 } });
      writeFiles(join(folders.target, '.v'), { 'a/n.20260101T000000Z.txt': 'jan', 'a/n.20260201T000000Z.txt': 'feb', 'o.20260115T000000Z': 'other' });
      const client = httpClient(server.url);

      const listed = await client.request('GET', '/api/conduits/m/versions');
      expect(listed.status).toBe(200);
      expect(listed.json.map((v: { path: string; keptAt: string }) => [v.path, v.keptAt])).toEqual([
        ['a/n.txt', '2026-02-01T00:00:00.000Z'], ['o', '2026-01-15T00:00:00.000Z'], ['a/n.txt', '2026-01-01T00:00:00.000Z'],
      ]);
      expect(Object.keys(listed.json[0]).sort()).toEqual(['keptAt', 'path', 'side', 'size', 'versionPath']);
      expect((await client.request('GET', '/api/conduits/m/versions?path=a')).json).toHaveLength(2);

      const restored = await client.request('POST', '/api/conduits/m/restore', { body: { path: 'a/n.txt', at: '2026-01-20T00:00:00Z' } });
      expect(restored.status, restored.text).toBe(200);
      expect(restored.json.restored).toMatchObject({ path: 'a/n.txt', side: 'target', keptAt: '2026-01-01T00:00:00.000Z' });
      expect(restored.json.generation).toMatchObject({ trigger: 'api', status: 'completed', filesCopied: 1 });
      expect(readFileSync(join(folders.target, 'a/n.txt'), 'utf8')).toBe('jan');

      const missing = await client.request('POST', '/api/conduits/m/restore', { body: { path: 'zzz' } });
      expect(missing.status).toBe(404);
      const badTime = await client.request('POST', '/api/conduits/m/restore', { body: { path: 'a/n.txt', at: 'soon' } });
      expect([badTime.status, badTime.json.field]).toEqual([400, 'at']);
      const noToken = await client.request('POST', '/api/conduits/m/restore', { body: { path: 'a/n.txt' }, token: null });
      expect(noToken.status).toBe(401);
      expect((await client.request('GET', '/api/conduits/nope/versions')).status).toBe(404);
    } finally {
      await server.close();
      service.close();
      folders.cleanup();
    }
  });
});
