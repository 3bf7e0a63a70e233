import { z } from 'zod';
import { describeValue, formatFieldPath } from '../config/config-error.js';
import { EVENT_ACTIONS } from '../core/vocabulary.js';
import { badRequest } from './errors.js';

/**
 * The zod schemas of the API's own inputs (route parameters, query strings,
 * the small bodies of run and resolve). Conduit definitions are not here:
 * they go through `src/config`, the same validation as the CLI and the
 * config file.
 */

const positiveInteger = (what: string) =>
  z.string().regex(/^[1-9][0-9]{0,15}$/, { error: `expected ${what}` }).transform(Number);

export const generationsQuery = z.strictObject({
  limit: positiveInteger('a whole number from 1 to 500').pipe(z.number().max(500, { error: 'expected a whole number from 1 to 500' })).optional(),
  before: positiveInteger('a generation number (1, 2, …)').optional(),
});

export const generationParams = z.object({
  name: z.string(),
  n: positiveInteger('a generation number (1, 2, …)'),
});

export const eventsQuery = z.strictObject({
  action: z.enum(EVENT_ACTIONS, { error: `expected ${EVENT_ACTIONS.join(' | ')}` }).optional(),
  limit: positiveInteger('a whole number from 1 to 5000').pipe(z.number().max(5000, { error: 'expected a whole number from 1 to 5000' })).optional(),
  offset: z.string().regex(/^[0-9]{1,15}$/, { error: 'expected a whole number from 0' }).transform(Number).optional(),
});

export const conflictsQuery = z.strictObject({
  status: z.enum(['unresolved', 'all'], { error: 'expected unresolved | all' }).optional(),
  conduit: z.string().optional(),
});

export const conflictParams = z.object({ id: positiveInteger('a conflict id (see GET /api/conflicts)') });

/** `POST /api/conflicts/:id/resolve`: the CLI's `--keep source|target|both` or `--dismiss`, as one field. */
export const resolveBody = z.strictObject({
  choice: z.enum(['source', 'target', 'both', 'dismiss'], { error: 'expected source | target | both | dismiss' }),
});

/** `POST /api/conduits/:name/run`: the CLI's `--dry-run` and `--force`, and whether to answer only once it finished. */
export const runBody = z.strictObject({
  dryRun: z.boolean({ error: 'expected true or false' }).optional(),
  force: z.boolean({ error: 'expected true or false' }).optional(),
  wait: z.boolean({ error: 'expected true or false' }).optional(),
});

/** Parses `value`, or throws a 400 naming the first bad field (`limit`, `choice`); `whole` names the input itself (`body`, `query`). */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, whole: string): z.output<S> {
  const parsed = schema.safeParse(value ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  if (!issue) throw badRequest(whole, 'invalid input');
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '';
    throw badRequest(key, `unknown field ${JSON.stringify(key)}`);
  }
  const field = formatFieldPath(issue.path) || whole;
  let given: unknown = value;
  for (const key of issue.path) given = given !== null && typeof given === 'object' ? (given as Record<PropertyKey, unknown>)[key] : undefined;
  throw badRequest(field, `${issue.message}, got ${describeValue(given)}`);
}
