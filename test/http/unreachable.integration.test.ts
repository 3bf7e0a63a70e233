import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/http/server.js';
import { conduitDetails, conduitTable } from '../../src/cli/format.js';
import { commitOf, conduitSpec } from '../db/fixtures.js';
import { httpClient } from './support/api-client.js';
import { createDirectService, type DirectService } from './support/direct-service.js';
import { capturingLogger, TEST_TOKEN } from './support/fixtures.js';

/**
 * Issue 10: an unreachable conduit is shown with its reason and its backoff
 * everywhere states are shown — the API's conduit and overview, the metrics,
 * and the CLI's list and show (their formatting, from the same row).
 */

let service: DirectService | undefined;
afterEach(() => {
  service?.close();
  service = undefined;
});

const REASON = 'cannot reach backup.example: ssh: connect to host backup.example port 22: Connection refused';
const NEXT = '2026-12-01T14:03:12.000Z';

async function unreachableConduit(): Promise<DirectService> {
  service = await createDirectService();
  const store = service.store;
  const conduit = store.createConduit(conduitSpec({ name: 'remote', source: `${service.dataDir}/src`, target: `${service.dataDir}/dst` }));
  for (let i = 0; i < 2; i++) {
    const { id } = store.beginGeneration(conduit.id, 'schedule', false, '2026-12-01T14:00:00.000Z');
    store.commitGeneration(commitOf(conduit.id, id, {
      status: 'refused', conduitState: 'unreachable', errorMessage: REASON, lastSyncError: REASON, countsTowardTotals: false,
      reach: { reached: false, nextAttemptAt: () => NEXT },
    }));
  }
  store.addOfflineHints(conduit.id, ['notes/today.md'], '2026-12-01T14:01:00.000Z');
  return service;
}

describe('an unreachable conduit, as shown', () => {
  it('GET /api/conduits/:name and /api/overview carry the state, the reason, the attempt count and the next attempt; /metrics the state', async () => {
    const svc = await unreachableConduit();
    const server = await startHttpServer(svc, { host: '127.0.0.1', port: 0, token: TEST_TOKEN, logger: capturingLogger().logger });
    try {
      const client = httpClient(server.url);
      const one = await client.request('GET', '/api/conduits/remote');
      expect(one.status).toBe(200);
      expect(one.json).toMatchObject({ state: 'unreachable', lastSyncError: REASON, attemptCount: 2, nextAttemptAt: NEXT, offlineHints: 1 });
      const overview = await client.request('GET', '/api/overview');
      const entry = (overview.json as { conduits: { name: string; unreachable: unknown }[] }).conduits.find((c) => c.name === 'remote');
      expect(entry?.unreachable).toEqual({ reason: REASON, attemptCount: 2, nextAttemptAt: NEXT });
      const metrics = await client.request('GET', '/metrics', { token: TEST_TOKEN });
      expect(metrics.text).toMatch(/conduit_state\{conduit="remote",state="unreachable"\} 1/);
    } finally {
      await server.close();
    }
  });

  it('conduit list shows the reason beside the state; conduit show the attempt and the next attempt in local time with its offset', async () => {
    const svc = await unreachableConduit();
    const row = svc.store.getConduit('remote')!;
    expect(conduitTable([row])).toContain(`unreachable: ${REASON}`);
    const details = conduitDetails(row);
    expect(details).toMatch(new RegExp(`^state +unreachable: ${REASON.replace(/[.]/g, '\\.')}$`, 'm'));
    expect(details).toMatch(/^attempts +attempt 2, next attempt at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d [+-]\d\d:\d\d \(automatic runs wait; conduit run remote tries now\)$/m);
    expect(details).toMatch(/^offline changes +1 path changed here while the host was unreachable/m);
  });
});
