import { describe, expect, it } from 'vitest';
import { buildHttpApp, startHttpServer } from '../../src/http/server.js';
import { ConfigError } from '../../src/config/config-error.js';
import { injectClient } from './support/api-client.js';
import { apiContract } from './support/api-contract.js';
import { createDirectService } from './support/direct-service.js';
import { capturingLogger, TEST_TOKEN } from './support/fixtures.js';

/** The API in-process, through fastify's inject: no socket, same app. */
describe('HTTP API (in-process)', () => {
  apiContract(async (service, logger) => {
    const app = await buildHttpApp(service, { token: TEST_TOKEN, logger });
    return { client: injectClient(app), close: () => app.close() };
  });
});

describe('HTTP API bound to a non-loopback address', () => {
  it('needs the token for every read too, except the page\'s static files and /healthz', async () => {
    const service = await createDirectService();
    const { logger, lines } = capturingLogger();
    const app = await buildHttpApp(service, { token: TEST_TOKEN, logger, host: '0.0.0.0' });
    try {
      const api = injectClient(app);
      for (const path of ['/api/conduits', '/api/conflicts', '/metrics', '/api/events']) {
        const refused = await api.request('GET', path, { headers: { host: 'conduit.lan:7420' } });
        expect({ path, status: refused.status }).toEqual({ path, status: 401 });
      }
      const allowed = await api.request('GET', '/api/conduits', { token: TEST_TOKEN, headers: { host: 'conduit.lan:7420' } });
      expect(allowed.status).toBe(200);
      for (const path of ['/', '/admin.js', '/admin.css', '/healthz']) {
        expect({ path, status: (await api.request('GET', path, { headers: { host: 'conduit.lan' } })).status }).toEqual({ path, status: 200 });
      }
      expect(lines.join('\n')).not.toContain(TEST_TOKEN);
    } finally {
      await app.close();
      service.close();
    }
  });

  it('is refused at start without a strong token, before binding anything', async () => {
    const service = await createDirectService();
    try {
      const start = startHttpServer(service, { host: '0.0.0.0', port: 0, token: 'short', logger: capturingLogger().logger });
      await expect(start).rejects.toBeInstanceOf(ConfigError);
      await expect(start).rejects.toMatchObject({ field: '--host' });
    } finally {
      service.close();
    }
  });
});
