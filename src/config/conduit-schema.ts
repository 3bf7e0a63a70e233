import { z } from 'zod';
import { CONFLICT_POLICIES, MODES } from '../core/vocabulary.js';
import type { ConflictPolicy } from '../core/vocabulary.js';
import { tryParseSchedule } from './schedule.js';

/**
 * The defaults of every optional conduit field (SPEC §10). This is the one
 * place they live: the store, the engine and the API receive complete
 * `ConduitSpec`s.
 */
export const CONDUIT_DEFAULTS = {
  schedule: 'manual',
  enabled: true,
  include: [] as readonly string[],
  exclude: [] as readonly string[],
  useIndexRules: true,
  conflict: 'keep-both' as ConflictPolicy,
  parallelTransfers: 4,
  bandwidthLimitMbps: null as number | null,
  maxDeletePercent: 50,
  checksum: false,
  versioning: null,
  verifyTimeoutSeconds: 30,
  // null: the default of remote/link/link-source.ts (`ssh`, `conduit agent`), which the environment may override.
  sshCommand: null as string | null,
  remoteCommand: null as string | null,
} as const;

export const VERSIONING_DEFAULT_KEEP_DAYS = 30;

/** The fields a conduit definition may have, in the order `export` writes them. */
export const CONDUIT_FIELDS = [
  'name', 'source', 'target', 'mode', 'schedule', 'enabled', 'include', 'exclude', 'useIndexRules', 'conflict',
  'parallelTransfers', 'bandwidthLimitMbps', 'maxDeletePercent', 'checksum', 'versioning', 'verifyTimeoutSeconds',
  'sshCommand', 'remoteCommand',
] as const;

/**
 * The fields that hold whole numbers: a config file must write them in digits
 * (`4`, not `4.0` or `4e0`, which JSON.parse would turn into 4 unseen).
 */
export const WHOLE_NUMBER_FIELDS = {
  conduit: ['parallelTransfers', 'verifyTimeoutSeconds'],
  versioning: ['keepDays'],
} as const;

export const NAME_PATTERN = /^[A-Za-z0-9._-]+$/;

const oneOf = (values: readonly string[]): string => values.join(' | ');

function integerBetween(min: number, max: number) {
  const expected = `expected a whole number from ${min} to ${max}`;
  return z.number({ error: expected }).int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });
}

const pathString = (what: string) =>
  z.string({ error: `expected a ${what} path (a string)` }).min(1, { error: `expected a ${what} path (a string)` });

/** A command line run by `sh -c` (remote/link/link-source.ts): one line, not blank. */
const commandLine = (what: string) =>
  z.string({ error: `expected null or ${what}` })
    .refine((text) => text.trim() !== '', { error: `expected null or ${what}, not a blank one` })
    .refine((text) => !/[\0\n\r]/.test(text), { error: `expected ${what} on one line` });

const patternList = z.array(
  z.string({ error: 'expected a pattern (a string)' }).min(1, { error: 'expected a non-empty pattern' }),
  { error: 'expected a list of patterns (e.g. ["docs/**", "*.pdf"])' },
);

const versioningSchema = z.strictObject(
  {
    dir: z.string({ error: 'expected a directory (relative to each root, or absolute)' })
      .min(1, { error: 'expected a directory (relative to each root, or absolute)' })
      // A relative versioning dir lives inside each root; `..` would let it escape the root.
      .refine((dir) => !dir.split(/[\\/]/).includes('..'), { error: 'expected a directory without ".." segments' }),
    keepDays: integerBetween(1, 36_500).default(VERSIONING_DEFAULT_KEEP_DAYS),
  },
  { error: 'expected null or { "dir": "...", "keepDays": n }' },
);

/**
 * The shape of one conduit as a user writes it (config file, flags, API body).
 * Unknown keys are errors: a typo must never be silently ignored. `conflict`
 * stays optional here, so that the cross-field rules can tell a policy given
 * explicitly for a one-way mode (an error) from the default.
 */
export const conduitInputSchema = z.strictObject({
  name: z.string({ error: 'expected a name (letters, digits, ".", "_", "-")' })
    .regex(NAME_PATTERN, { error: 'expected a name of letters, digits, ".", "_", "-" only' })
    .max(100, { error: 'expected a name of at most 100 characters' })
    // "." and ".." would be path segments in URLs such as /api/conduits/:name.
    .refine((name) => !/^\.+$/.test(name), { error: 'expected a name that is not only dots' }),
  source: pathString('source directory'),
  target: pathString('target directory'),
  mode: z.enum(MODES, { error: `expected ${oneOf(MODES)}` }),
  schedule: z.string({ error: 'expected a schedule string' }).superRefine((text, ctx) => {
    const parsed = tryParseSchedule(text);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `expected ${parsed.expected}`, params: { note: parsed.note } });
  }).optional(),
  enabled: z.boolean({ error: 'expected true or false' }).optional(),
  include: patternList.optional(),
  exclude: patternList.optional(),
  useIndexRules: z.boolean({ error: 'expected true or false' }).optional(),
  conflict: z.enum(CONFLICT_POLICIES, { error: `expected ${oneOf(CONFLICT_POLICIES)}` }).optional(),
  parallelTransfers: integerBetween(1, 64).optional(),
  bandwidthLimitMbps: z.number({ error: 'expected null or a number > 0 (megabits per second)' })
    .positive({ error: 'expected null or a number > 0 (megabits per second)' })
    .refine(Number.isFinite, { error: 'expected null or a number > 0 (megabits per second)' })
    .nullable().optional(),
  maxDeletePercent: z.number({ error: 'expected a number from 0 to 100' })
    .min(0, { error: 'expected a number from 0 to 100' }).max(100, { error: 'expected a number from 0 to 100' }).optional(),
  checksum: z.boolean({ error: 'expected true or false' }).optional(),
  versioning: versioningSchema.nullable().optional(),
  verifyTimeoutSeconds: integerBetween(1, 3_600).optional(),
  sshCommand: commandLine('an ssh command line (e.g. "ssh -F ~/.ssh/other_config")').nullable().optional(),
  remoteCommand: commandLine('a command to run on the far host (e.g. "conduit agent")').nullable().optional(),
}, { error: 'expected an object describing a conduit' });

export type ConduitInput = z.infer<typeof conduitInputSchema>;
