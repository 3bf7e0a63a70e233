import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { EVENT_ACTIONS } from '../core/vocabulary.js';
import type { FileSystem } from '../fs/file-system.js';
import { requireConduit } from '../service/conduit-admin.js';
import type { ConduitService, PlannedRun, RunningGeneration } from '../service/conduit-service.js';
import type { GenerationStatus, VerificationStatus } from '../core/vocabulary.js';
import { conflictDetail } from './conflict-detail.js';
import { notFound } from './errors.js';
import type { ProgressEstimate, ProgressEstimator } from './progress-estimate.js';
import { conflictParams, generationParams, parseInput } from './request-schemas.js';

/**
 * The routes the admin page needs beyond SPEC §12's (they are plain API
 * routes too): an at-a-glance overview of every conduit, a searchable page
 * of a generation's events with its total, and a conflict's detail with a
 * diff. Same rules as api-routes.ts: inputs validated, 400 naming the field.
 */

/** One conduit in `GET /api/overview`: what its row in the conduits table does not say. */
export interface ConduitOverview {
  readonly name: string;
  /** When the service starts its next generation by itself (ISO-8601 UTC), and why; null when nothing is armed. */
  readonly nextRun: PlannedRun | null;
  /** Another process runs it now (the line naming that process), or null. */
  readonly heldElsewhere: string | null;
  readonly openConflicts: number;
  readonly lastGeneration: {
    readonly generation: number;
    readonly status: GenerationStatus;
    readonly verificationStatus: VerificationStatus;
    readonly startedAt: string;
    readonly completedAt: string | null;
    readonly errorMessage: string | null;
  } | null;
  /** The generation running in this service now, with its estimate; null when none runs. */
  readonly running: (RunningGeneration & ProgressEstimate) | null;
  /** A remote root's host could not be reached (issue 10): why, how many attempts in a row, when the next one is due; null otherwise. */
  readonly unreachable: { readonly reason: string; readonly attemptCount: number; readonly nextAttemptAt: string | null } | null;
}

export const eventSearchQuery = z.strictObject({
  action: z.enum(EVENT_ACTIONS, { error: `expected ${EVENT_ACTIONS.join(' | ')}` }).optional(),
  path: z.string().max(4096, { error: 'expected at most 4096 characters' }).optional(),
  limit: z.string().regex(/^[1-9][0-9]{0,3}$/, { error: 'expected a whole number from 1 to 1000' }).transform(Number)
    .pipe(z.number().max(1000, { error: 'expected a whole number from 1 to 1000' })).optional(),
  offset: z.string().regex(/^[0-9]{1,15}$/, { error: 'expected a whole number from 0' }).transform(Number).optional(),
});

const DEFAULT_EVENTS_PAGE = 100;

export function registerPageRoutes(app: FastifyInstance, service: ConduitService, fs: Pick<FileSystem, 'lstat' | 'readText'>, estimator: ProgressEstimator): void {
  const store = service.store;

  app.get('/api/overview', async () => {
    const open = new Map<string, number>();
    for (const conflict of store.listConflicts()) open.set(conflict.conduit, (open.get(conflict.conduit) ?? 0) + 1);
    const running = new Map(service.running().map((r) => [r.conduit, r]));
    const now = Date.now();
    const conduits: ConduitOverview[] = store.listConduits().map((row) => {
      const last = row.syncGeneration > 0 ? store.getGeneration(row.id, row.syncGeneration) : undefined;
      const current = running.get(row.name);
      return {
        name: row.name,
        nextRun: service.plannedRun?.(row.name) ?? null,
        heldElsewhere: service.heldElsewhere(row.name),
        openConflicts: open.get(row.name) ?? 0,
        lastGeneration: last ? {
          generation: last.generation, status: last.status, verificationStatus: last.verificationStatus,
          startedAt: last.startedAt, completedAt: last.completedAt, errorMessage: last.errorMessage,
        } : null,
        running: current ? { ...current, ...estimator.estimate(current, now) } : null,
        unreachable: row.state === 'unreachable'
          ? { reason: row.lastSyncError ?? 'the host could not be reached', attemptCount: row.attemptCount, nextAttemptAt: row.nextAttemptAt }
          : null,
      };
    });
    return { now: new Date(now).toISOString(), conduits };
  });

  app.get('/api/conduits/:name/generations/:n/events', async (request) => {
    const params = parseInput(generationParams, request.params, 'path');
    const query = parseInput(eventSearchQuery, request.query, 'query');
    const conduit = requireConduit(store, params.name);
    const record = store.getGeneration(conduit.id, params.n);
    if (!record) throw notFound(`conduit "${conduit.name}" has no generation ${params.n} (latest is ${conduit.syncGeneration})`);
    const limit = query.limit ?? DEFAULT_EVENTS_PAGE;
    const offset = query.offset ?? 0;
    const page = store.searchEvents(record.id, {
      ...(query.action ? { action: query.action } : {}),
      ...(query.path ? { pathContains: query.path } : {}),
      limit, offset,
    });
    return {
      conduit: conduit.name, generation: record.generation, total: page.total, offset, limit,
      events: page.events.map(({ side, path, action, bytes, message }) => ({ side, path, action, bytes, message })),
    };
  });

  app.get('/api/conflicts/:id/detail', async (request) => {
    const { id } = parseInput(conflictParams, request.params, 'path');
    const conflict = store.getConflict(id);
    if (!conflict) throw notFound(`no conflict with id ${id} (see GET /api/conflicts)`);
    const conduit = requireConduit(store, conflict.conduit);
    // A remote root is looked at through the service's kept link (issue 10).
    const opened = service.openRoots?.(conduit);
    return opened ? conflictDetail(opened.fs, opened.conduit, conflict) : conflictDetail(fs, conduit, conflict);
  });
}
