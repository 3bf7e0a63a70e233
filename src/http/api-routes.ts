import { isAbsolute } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { describeValue } from '../config/config-error.js';
import { isConduitBusy } from '../db/lease.js';
import {
  addConduit, editConduit, ManagedConduitError, removeConduit, requireConduit,
} from '../service/conduit-admin.js';
import type { ConduitService } from '../service/conduit-service.js';
import { conduitView, generationView, pendingPathView } from '../service/views.js';
import { isRemoteRootText } from '../remote/root-url.js';
import { HttpError, badRequest, notFound } from './errors.js';
import {
  conflictParams, conflictsQuery, eventsQuery, generationParams, generationsQuery, parseInput, resolveBody, runBody,
} from './request-schemas.js';

/** Roots given to the API must be absolute: the service's working directory means nothing to a remote client. */
const API_BASE_DIR = '/';
/** Events per page of `GET …/generations/:n` when the client does not say (a generation may have millions). */
const DEFAULT_EVENTS_LIMIT = 1000;
const DEFAULT_GENERATIONS_LIMIT = 20;

/**
 * The JSON API of SPEC §12. Each route validates its input, calls the same
 * service-layer function the CLI calls, and answers with the projections of
 * `views.ts` — so `GET /api/conduits/x/generations` is `conduit history x --json`.
 */
export function registerApiRoutes(app: FastifyInstance, service: ConduitService): void {
  const store = service.store;

  app.get('/api/conduits', async () => store.listConduits().map(conduitView));

  // addConduit/editConduit validate everything, the own-files rule (SPEC §4) included, before writing.
  app.post('/api/conduits', async (request, reply) => {
    const body = requireAbsoluteRoots(objectBody(request.body));
    const row = addConduit(store, body, { baseDir: API_BASE_DIR });
    service.conduitChanged(row.name);
    return reply.code(201).send(conduitView(row));
  });

  app.get<{ Params: { name: string } }>('/api/conduits/:name', async (request) => conduitView(requireConduit(store, request.params.name)));

  app.patch<{ Params: { name: string } }>('/api/conduits/:name', async (request) => {
    const existing = requireConduit(store, request.params.name);
    const patch = requireAbsoluteRoots(objectBody(request.body));
    const row = refusedIfManaged(() => editConduit(store, existing.name, patch, { baseDir: API_BASE_DIR }));
    service.conduitChanged(existing.name);
    if (row.name !== existing.name) service.conduitChanged(row.name);
    return conduitView(row);
  });

  app.delete<{ Params: { name: string } }>('/api/conduits/:name', async (request) => {
    const row = refusedIfManaged(() => removeConduit(store, request.params.name));
    service.conduitChanged(row.name);
    return conduitView(row);
  });

  // The paths the latest generations did not land, longest pending first (the conduit's `pendingPaths` counts them).
  app.get<{ Params: { name: string } }>('/api/conduits/:name/pending', async (request) => {
    const conduit = requireConduit(store, request.params.name);
    return store.listPendingPaths(conduit.id).map(pendingPathView);
  });

  app.post<{ Params: { name: string } }>('/api/conduits/:name/run', async (request, reply) => {
    const conduit = requireConduit(store, request.params.name);
    const options = parseInput(runBody, request.body, 'body');
    if (!conduit.enabled) throw new HttpError(409, `conduit "${conduit.name}" is disabled; enable it first (PATCH {"enabled": true})`);
    // One generation per conduit at a time, across processes (SPEC §4): another process runs it now.
    const elsewhere = service.heldElsewhere(conduit.name);
    if (elsewhere !== null) throw busy(elsewhere);
    const alreadyRunning = service.running().some((r) => r.conduit === conduit.name);
    // RACE: another process may take the lease between the check above and the run; the run then
    // fails with ConduitBusyError (a 409 when waited for, a log line otherwise) and changes nothing.
    const done = service.requestSync(conduit.name, { trigger: 'api', dryRun: options.dryRun === true, force: options.force === true });
    if (options.wait === true) {
      return generationView(await done.catch((error: unknown) => {
        throw isConduitBusy(error) ? busy(error.message) : error;
      }));
    }
    // Not waited for: the outcome reaches clients as `generation_finished` on /api/events.
    done.catch((error: unknown) => {
      if (isConduitBusy(error)) request.log.info({ conduit: conduit.name, holder: error.message }, 'requested generation not run: the conduit is busy');
      else request.log.error({ err: error, conduit: conduit.name }, 'requested generation failed');
    });
    return reply.code(202).send({ conduit: conduit.name, requested: true, followsRunningGeneration: alreadyRunning });
  });

  app.get<{ Params: { name: string } }>('/api/conduits/:name/generations', async (request) => {
    const conduit = requireConduit(store, request.params.name);
    const query = parseInput(generationsQuery, request.query, 'query');
    const options: { limit: number; before?: number } = { limit: query.limit ?? DEFAULT_GENERATIONS_LIMIT };
    if (query.before !== undefined) options.before = query.before;
    return store.listGenerations(conduit.id, options).map(generationView);
  });

  app.get('/api/conduits/:name/generations/:n', async (request) => {
    const params = parseInput(generationParams, request.params, 'path');
    const query = parseInput(eventsQuery, request.query, 'query');
    const conduit = requireConduit(store, params.name);
    const record = store.getGeneration(conduit.id, params.n);
    if (!record) throw notFound(`conduit "${conduit.name}" has no generation ${params.n} (latest is ${conduit.syncGeneration})`);
    const events = store.listEvents(record.id, {
      ...(query.action ? { action: query.action } : {}),
      limit: query.limit ?? DEFAULT_EVENTS_LIMIT,
      offset: query.offset ?? 0,
    });
    return {
      ...generationView(record),
      events: events.map(({ side, path, action, bytes, message }) => ({ side, path, action, bytes, message })),
    };
  });

  app.get('/api/conflicts', async (request) => {
    const query = parseInput(conflictsQuery, request.query, 'query');
    if (query.conduit !== undefined) requireConduit(store, query.conduit);
    return store.listConflicts({ ...(query.conduit !== undefined ? { conduit: query.conduit } : {}), all: query.status === 'all' });
  });

  app.post('/api/conflicts/:id/resolve', async (request) => {
    const { id } = parseInput(conflictParams, request.params, 'path');
    const { choice } = parseInput(resolveBody, request.body, 'body');
    if (!store.getConflict(id)) throw notFound(`no conflict with id ${id} (see GET /api/conflicts)`);
    // A resolution writes under the conduit's generation lease, as a generation does: 409 while another process runs the conduit.
    return service.resolveConflict(id, choice).catch((error: unknown) => {
      throw isConduitBusy(error) ? new HttpError(409, `${error.message}; nothing was changed (try again when it has finished)`) : error;
    });
  });
}

/** 409: the conduit is managed by a config file (conduit-admin.ts); the message names the file. Nothing was changed. */
function refusedIfManaged<T>(change: () => T): T {
  try {
    return change();
  } catch (error) {
    throw error instanceof ManagedConduitError ? new HttpError(409, error.message) : error;
  }
}

/** 409: the conduit's lease is held by another process; nothing was started. */
function busy(holder: string): HttpError {
  return new HttpError(409, `${holder}; nothing was started (try again when it has finished)`);
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('body', `expected a JSON object, got ${describeValue(body)}`);
  }
  return body as Record<string, unknown>;
}

/** Roots over the API are absolute paths or remote roots: the service's working directory means nothing to a client. */
function requireAbsoluteRoots(body: Record<string, unknown>): Record<string, unknown> {
  for (const field of ['source', 'target'] as const) {
    const value = body[field];
    // A remote root (issue 10) is never relative: validation parses it, and refuses it with the reason when it is bad.
    if (typeof value === 'string' && !isAbsolute(value) && !isRemoteRootText(value)) {
      throw badRequest(field, `expected an absolute path, got ${describeValue(value)}`);
    }
  }
  return body;
}
