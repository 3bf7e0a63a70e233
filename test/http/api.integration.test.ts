import { describe, expect, it } from 'vitest';
import { startHttpServer } from '../../src/http/server.js';
import { httpClient } from './support/api-client.js';
import { apiContract } from './support/api-contract.js';
import { createDirectService } from './support/direct-service.js';
import { capturingLogger, TEST_TOKEN } from './support/fixtures.js';

/** The same contract over a real socket on 127.0.0.1, port chosen by the kernel. */
describe('HTTP API (real HTTP on 127.0.0.1)', () => {
  apiContract(async (service, logger) => {
    const server = await startHttpServer(service, { host: '127.0.0.1', port: 0, token: TEST_TOKEN, logger });
    return { client: httpClient(server.url), close: () => server.close() };
  });

  it('reports the port it bound and closes even with a live-event stream open', async () => {
    const service = await createDirectService();
    const server = await startHttpServer(service, { host: '127.0.0.1', port: 0, token: TEST_TOKEN, logger: capturingLogger().logger });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9][0-9]*$/);
      const stream = await httpClient(server.url).events();
      await server.close();
      await stream.close();
      await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    } finally {
      service.close();
    }
  });

  it('a port in use is a ConfigError naming --port', async () => {
    const service = await createDirectService();
    const logger = capturingLogger().logger;
    const first = await startHttpServer(service, { host: '127.0.0.1', port: 0, token: TEST_TOKEN, logger });
    try {
      const port = Number(new URL(first.url).port);
      await expect(startHttpServer(service, { host: '127.0.0.1', port, token: TEST_TOKEN, logger })).rejects.toMatchObject({ field: '--port' });
    } finally {
      await first.close();
      service.close();
    }
  });
});
