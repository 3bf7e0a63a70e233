import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { isConduitBusy } from '../db/lease.js';
import type { ConduitRow } from '../db/store.js';
import type { FileSystem } from '../fs/file-system.js';
import { NodeFileSystem } from '../fs/node-file-system.js';
import type { ConduitService } from '../service/conduit-service.js';
import { requireConduit } from '../service/require-conduit.js';
import { generationView } from '../service/views.js';
import { listVersions, restoreVersion, RestoreRefusedError, VersionRequestError } from '../service/versions.js';
import { HttpError, badRequest, notFound } from './errors.js';
import { parseInput } from './request-schemas.js';

/**
 * What `versioning` kept, over HTTP (the admin page's versions view; the
 * CLI's `conduit versions` and `conduit restore`):
 * - `GET /api/conduits/:name/versions?path=<prefix>` → `[{path, side, versionPath, keptAt, size}]`, newest first;
 * - `POST /api/conduits/:name/restore` `{ "path": "…", "at"?: "<ISO time>" }` → `{restored, replacedVersionPath, generation}`:
 *   404 no such version, 400 bad input, 409 refused on the disk or another process runs the conduit.
 */
const versionsQuery = z.strictObject({ path: z.string().optional() });
const restoreBody = z.strictObject({
  path: z.string({ error: 'expected a path relative to the root' }).min(1, { error: 'expected a path relative to the root' }),
  at: z.iso.datetime({ offset: true, error: 'expected an ISO-8601 time such as 2026-11-23T05:15:00Z' }).optional(),
});

export function registerVersionRoutes(app: FastifyInstance, service: ConduitService): void {
  const store = service.store;
  const fs = new NodeFileSystem();
  // A remote root is reached through the service's kept link (issue 10); a service without one has local roots only.
  const openRoots = (row: ConduitRow): { fs: FileSystem; conduit: ConduitRow } => service.openRoots?.(row) ?? { fs, conduit: row };

  app.get<{ Params: { name: string } }>('/api/conduits/:name/versions', async (request) => {
    const opened = openRoots(requireConduit(store, request.params.name));
    const query = parseInput(versionsQuery, request.query, 'query');
    return listVersions(opened.fs, opened.conduit, query.path).catch(asHttpError);
  });

  app.post<{ Params: { name: string } }>('/api/conduits/:name/restore', async (request) => {
    requireConduit(store, request.params.name);
    const body = parseInput(restoreBody, request.body, 'body');
    const result = await restoreVersion(store, fs, request.params.name, {
      path: body.path, trigger: 'api', ...(body.at !== undefined ? { at: new Date(body.at) } : {}), openRoots,
    }).catch(asHttpError);
    return { restored: result.restored, replacedVersionPath: result.replacedVersionPath, generation: generationView(result.record) };
  });
}

function asHttpError(error: unknown): never {
  if (error instanceof VersionRequestError) throw error.kind === 'not_found' ? notFound(error.message) : badRequest('path', error.message);
  if (error instanceof RestoreRefusedError) throw new HttpError(409, error.message);
  if (isConduitBusy(error)) throw new HttpError(409, `${error.message}; nothing was restored (try again when it has finished)`);
  throw error;
}
