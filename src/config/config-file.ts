import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import type { ConduitSpec } from './conduit-spec.js';
import { ConfigError, describeValue, formatFieldPath } from './config-error.js';
import { WHOLE_NUMBER_FIELDS } from './conduit-schema.js';
import { scanJsonText } from './json-text.js';
import { ownFilesOf } from './own-files.js';
import { checkTargetsApart, specToInput, validateConduit } from './validate-conduit.js';
import { issueToConfigError } from './zod-issues.js';

/** The defaults of the config file's own fields (SPEC §10, §12). */
export const CONFIG_DEFAULTS = {
  api: { host: '127.0.0.1', port: 7420 },
  maxConcurrentConduits: 2,
} as const;

/** A validated config file: every conduit complete, every path absolute. */
export interface ConduitConfig {
  /** The database file named by the config (absolute), or null when it names none. */
  readonly database: string | null;
  readonly api: { readonly host: string; readonly port: number };
  readonly maxConcurrentConduits: number;
  readonly conduits: readonly ConduitSpec[];
}

const CONFIG_KEYS = ['database', 'api', 'maxConcurrentConduits', 'conduits'] as const;
const API_KEYS = ['host', 'port'] as const;

const configSchema = z.strictObject({
  database: z.string({ error: 'expected a database file path (a string)' }).min(1, { error: 'expected a database file path' }).optional(),
  api: z.strictObject({
    host: z.string({ error: 'expected a host name or address (a string)' }).min(1, { error: 'expected a host name or address' }).optional(),
    port: z.number({ error: 'expected a port from 0 to 65535' }).int({ error: 'expected a port from 0 to 65535' })
      .min(0, { error: 'expected a port from 0 to 65535' }).max(65_535, { error: 'expected a port from 0 to 65535' }).optional(),
  }, { error: 'expected an object { "host": "...", "port": n }' }).optional(),
  maxConcurrentConduits: z.number({ error: 'expected a whole number from 1 to 64' }).int({ error: 'expected a whole number from 1 to 64' })
    .min(1, { error: 'expected a whole number from 1 to 64' }).max(64, { error: 'expected a whole number from 1 to 64' }).optional(),
  // Each conduit is validated on its own below, so its errors carry the full field path.
  conduits: z.array(z.unknown(), { error: 'expected a list of conduits' }).optional(),
}, { error: 'expected a JSON object with "conduits" (and optionally "database", "api", "maxConcurrentConduits")' });

export interface ParseConfigOptions {
  /** How messages name the file: the path as the user typed it. */
  readonly place: string;
  /** Relative paths in the file resolve against this folder (the file's own folder). */
  readonly baseDir: string;
  /** Conduits already stored: a conduit of the file may not overlap the target of one it does not replace (by name). */
  readonly existing?: readonly ConduitSpec[];
  /**
   * The database the conduits go into (the one actually opened: `--db` may
   * override the file's `database`): no root may contain it or its companions (SPEC §4).
   */
  readonly databasePath?: string;
}

/** Reads and validates a config file; the whole file is checked before anything can be applied. */
export function loadConfigFile(file: string, existing?: readonly ConduitSpec[], databasePath?: string): ConduitConfig {
  const raw = readConfigJson(file);
  return placed(file, () => validateConfig(raw, {
    baseDir: configBaseDir(file), ...(existing ? { existing } : {}), ...(databasePath === undefined ? {} : { databasePath }),
  }));
}

/** Validates config text (JSON). Throws `ConfigError` placed at `options.place`. */
export function parseConfigText(text: string, options: ParseConfigOptions): ConduitConfig {
  const raw = parseConfigJson(text, options.place);
  return placed(options.place, () => validateConfig(raw, options));
}

/** Relative paths in a config file resolve against the file's own folder. */
export function configBaseDir(file: string): string {
  return dirname(resolve(file));
}

/**
 * Reads a config file and parses its JSON, nothing more: lets a command learn
 * the `database` the file names (`configDatabase`) before validating it
 * against that database's conduits.
 */
export function readConfigJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a directory' : (error as Error).message;
    throw new ConfigError('', `expected a readable config file, got ${describeValue(file)} (${reason})`, file);
  }
  return parseConfigJson(text, file);
}

/**
 * Parses config text as strict JSON: besides what JSON.parse refuses, a key
 * given twice in one object (JSON.parse would keep the last silently) and a
 * whole-number field written with a fraction or exponent (`4.0`, `4e0`).
 */
export function parseConfigJson(text: string, place: string): unknown {
  const json = text.replace(/^\uFEFF/, '');
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new ConfigError('', jsonErrorDetail(json, error), place);
  }
  const facts = scanJsonText(json);
  if (facts.duplicate) {
    const { path, firstLine, line } = facts.duplicate;
    const where = firstLine === line ? `both on line ${line}` : `lines ${firstLine} and ${line}`;
    throw new ConfigError(formatFieldPath(path), `expected each field once, got it twice (${where})`, place);
  }
  const inexact = facts.nonIntegerLiterals.find((literal) => isWholeNumberField(literal.path));
  if (inexact) throw new ConfigError(formatFieldPath(inexact.path), `expected a whole number written in digits, got ${inexact.text}`, place);
  return value;
}

/** The fields of a config file that hold whole numbers (counts, seconds, days, a port). */
function isWholeNumberField(path: readonly (string | number)[]): boolean {
  const [head, index, field, sub] = path;
  if (path.length === 1) return head === 'maxConcurrentConduits';
  if (path.length === 2) return head === 'api' && index === 'port';
  if (head !== 'conduits' || typeof index !== 'number') return false;
  if (path.length === 3) return (WHOLE_NUMBER_FIELDS.conduit as readonly unknown[]).includes(field);
  return path.length === 4 && field === 'versioning' && (WHOLE_NUMBER_FIELDS.versioning as readonly unknown[]).includes(sub);
}

/** The database a parsed config names, resolved; null when it names none (or names it wrongly: validation reports that). */
export function configDatabase(raw: unknown, baseDir: string): string | null {
  const database = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>)['database'] : undefined;
  return typeof database === 'string' && database !== '' ? resolve(baseDir, database) : null;
}

/** Runs a validation, attributing its `ConfigError`s to a file. */
export function placed<T>(place: string, validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    throw error instanceof ConfigError ? error.at(place) : error;
  }
}

/** Validates an already-parsed config object (e.g. from the API). Errors carry field paths but no place. */
export function validateConfig(raw: unknown, options: Omit<ParseConfigOptions, 'place'>): ConduitConfig {
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    throw issueToConfigError(parsed.error, raw, (path) => (path.length === 1 && path[0] === 'api' ? API_KEYS : CONFIG_KEYS));
  }
  const entries = parsed.data.conduits ?? [];
  const ownFiles = options.databasePath === undefined ? undefined : ownFilesOf(options.databasePath);
  const existingByName = new Map((options.existing ?? []).map((spec) => [spec.name, spec]));
  const conduits = entries.map((entry, index) => {
    try {
      return validateConduit(entry, { baseDir: options.baseDir, ...previousOf(entry, existingByName), ...(ownFiles ? { ownFiles } : {}) });
    } catch (error) {
      throw error instanceof ConfigError ? error.within(`conduits[${index}]`) : error;
    }
  });
  checkUniqueNames(conduits);
  const names = new Set(conduits.map((conduit) => conduit.name));
  checkTargetsApart(conduits, (options.existing ?? []).filter((other) => !names.has(other.name)), (index) => `conduits[${index}]`);
  return {
    database: parsed.data.database === undefined ? null : resolve(options.baseDir, parsed.data.database),
    api: { host: parsed.data.api?.host ?? CONFIG_DEFAULTS.api.host, port: parsed.data.api?.port ?? CONFIG_DEFAULTS.api.port },
    maxConcurrentConduits: parsed.data.maxConcurrentConduits ?? CONFIG_DEFAULTS.maxConcurrentConduits,
    conduits,
  };
}

/**
 * The config file that reproduces `conduits` (what `conduit export` prints and
 * `conduit import` accepts): every field written out, absolute paths.
 */
export function configFileFor(conduits: readonly ConduitSpec[], database: string | null): Record<string, unknown> {
  return {
    ...(database === null ? {} : { database }),
    conduits: conduits.map(specToInput),
  };
}

function previousOf(entry: unknown, existing: ReadonlyMap<string, ConduitSpec>): { previous?: ConduitSpec } {
  const name = entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>)['name'] : undefined;
  const previous = typeof name === 'string' ? existing.get(name) : undefined;
  return previous ? { previous } : {};
}

function checkUniqueNames(conduits: readonly ConduitSpec[]): void {
  const firstIndex = new Map<string, number>();
  conduits.forEach((conduit, index) => {
    const earlier = firstIndex.get(conduit.name);
    if (earlier !== undefined) {
      throw new ConfigError(`conduits[${index}].name`, `expected a unique name, got ${describeValue(conduit.name)} (also conduits[${earlier}].name)`);
    }
    firstIndex.set(conduit.name, index);
  });
}

/** "not valid JSON at line 3, column 7: <reason>", computed from V8's position when it gives one. */
function jsonErrorDetail(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const lineColumn = /\(line (\d+) column (\d+)\)/.exec(message);
  const position = /at position (\d+)/.exec(message);
  let line: number;
  let column: number;
  if (lineColumn) {
    line = Number(lineColumn[1]);
    column = Number(lineColumn[2]);
  } else {
    const offset = position ? Number(position[1]) : text.length;
    const before = text.slice(0, offset).split('\n');
    line = before.length;
    column = (before[before.length - 1]?.length ?? 0) + 1;
  }
  const reason = message.replace(/\s*in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)/, '').replace(/^JSON\.parse: /, '');
  return `not valid JSON at line ${line}, column ${column}: ${reason}`;
}
