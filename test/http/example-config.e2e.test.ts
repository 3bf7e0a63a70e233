import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../cli/cli-harness.js';
import { API_TOKEN, ServeArea, startServe, type Served } from '../service/serve-harness.js';

/**
 * Issue 8 §3: the shipped example (conduits.example.json and example/) passes
 * the own-files rule, and its conduits can be edited through the API. Before,
 * `PATCH {"enabled": false}` on `reports` was a 400 ("expected a directory
 * apart from conduit's own data"), because the example database sits in the
 * folder above the example roots.
 */

let area: ServeArea | undefined;
let served: Served | undefined;

afterEach(async () => {
  await served?.stop('SIGTERM');
  served = undefined;
  area?.cleanup();
  area = undefined;
});

async function patch(url: string, name: string, body: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(`${url}/api/conduits/${name}`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_TOKEN}` },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

describe('the shipped example config', () => {
  it('serves with its database beside the example roots, and every example conduit is editable by PATCH', async () => {
    area = new ServeArea();
    // A copy of the example as shipped: the config file as is, beside a copy of example/.
    cpSync(join(repoRoot, 'conduits.example.json'), area.config);
    cpSync(join(repoRoot, 'example'), area.path('example'), { recursive: true });
    const config = JSON.parse(readFileSync(area.config, 'utf8')) as { database: string; conduits: { name: string }[] };
    expect(config.database).toBe('./conduit.db');
    served = await startServe(area);
    for (const { name } of config.conduits) {
      const disabled = await patch(served.url, name, { enabled: false });
      expect({ name, status: disabled.status, body: disabled.json }).toMatchObject({ name, status: 200, body: { name, enabled: false } });
      const enabled = await patch(served.url, name, { enabled: true });
      expect({ name, status: enabled.status }).toEqual({ name, status: 200 });
    }
  });
});
