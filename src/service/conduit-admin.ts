import type { ConduitSpec } from '../config/conduit-spec.js';
import { ConfigError, describeValue } from '../config/config-error.js';
import { configFileFor } from '../config/config-file.js';
import { ownFilesOf } from '../config/own-files.js';
import { checkTargetsApart, mergeConduitPatch, validateConduit, type ValidateConduitOptions } from '../config/validate-conduit.js';
import type { ConduitState } from '../core/vocabulary.js';
import { StoreError } from '../db/store.js';
import type { ConduitRow, Store } from '../db/store.js';
import { requireConduit, UnknownConduitError } from './require-conduit.js';

export { requireConduit, UnknownConduitError };

/**
 * The conduit is managed by a config file (`serve --config FILE` imported
 * it): a change through the CLI or the API would be reverted by the next
 * SIGHUP or restart, so it is refused (CLI exit 2, HTTP 409), naming the file.
 * The rule (README, "Conduits managed by a config file"): such a conduit is
 * changed or removed in its file, then `kill -HUP` the serve. Pausing and
 * resuming (enable/disable) are allowed: the file's next import keeps them,
 * until the file's own `enabled` changes.
 */
export class ManagedConduitError extends Error {
  constructor(readonly conduitName: string, readonly file: string, what: string) {
    super(`conduit "${conduitName}" is managed by ${file}: ${what} it there and send serve SIGHUP (a change here would be reverted)`);
    this.name = 'ManagedConduitError';
  }
}

function requireUnmanaged(row: ConduitRow, what: string): void {
  if (row.managedBy !== null) throw new ManagedConduitError(row.name, row.managedBy, what);
}

/**
 * Managing conduits: validate fully, check against what the store holds,
 * then write. Shared by the CLI and the HTTP API, so both enforce the same
 * rules. Every function throws before writing anything when the input is bad:
 * `ConfigError` (bad input, field named) or `UnknownConduitError`.
 */

export interface ManageOptions {
  /** Relative roots resolve against this folder (the CWD for the CLI). */
  readonly baseDir: string;
}

/** What a conduit is validated with in this store: the base folder, and the store's own files (SPEC §4: no root may contain them). */
function rulesOf(store: Store, options: ManageOptions): ValidateConduitOptions {
  return { baseDir: options.baseDir, ownFiles: ownFilesOf(store.path) };
}

export function addConduit(store: Store, input: unknown, options: ManageOptions): ConduitRow {
  const spec = validateConduit(input, rulesOf(store, options));
  if (store.getConduit(spec.name)) throw nameTaken(spec.name);
  checkTargetsApart([spec], store.listConduits(), () => '');
  let row: ConduitRow;
  try {
    row = store.createConduit(spec);
  } catch (error) {
    // Another process may have taken the name since the check above.
    if (error instanceof StoreError && error.code === 'duplicate_name') throw nameTaken(spec.name);
    throw error;
  }
  return withEnabledState(store, row);
}

/** Merges `patch` (the fields to change; `null` clears a nullable one) into the named conduit and validates the whole. */
export function editConduit(store: Store, name: string, patch: unknown, options: ManageOptions): ConduitRow {
  const existing = requireConduit(store, name);
  if (existing.managedBy !== null) {
    // Pause or resume only (the API's PATCH {"enabled": …}): allowed, as `enable`/`disable` are.
    const fields = patch !== null && typeof patch === 'object' ? Object.entries(patch as Record<string, unknown>) : [];
    if (fields.length === 1 && fields[0]![0] === 'enabled' && typeof fields[0]![1] === 'boolean') return setConduitEnabled(store, name, fields[0]![1]);
    requireUnmanaged(existing, 'edit');
  }
  const spec = mergeConduitPatch(existing, patch, rulesOf(store, options));
  if (spec.name !== existing.name && store.getConduit(spec.name)) throw nameTaken(spec.name);
  checkTargetsApart([spec], store.listConduits().filter((other) => other.name !== existing.name), () => '');
  const updated = store.updateConduit(existing.name, spec);
  // A baseline describes the old folders: against new ones it would read as mass deletion.
  if (spec.source !== existing.source || spec.target !== existing.target) store.clearBaseline(existing.id);
  return withEnabledState(store, updated);
}

export function setConduitEnabled(store: Store, name: string, enabled: boolean): ConduitRow {
  // Allowed for a conduit a file manages (pause a drive's conduit while it is away): the file's next import keeps
  // it, until the file's own `enabled` changes (importConduits).
  const existing = requireConduit(store, name);
  const row = existing.enabled === enabled ? existing : store.updateConduit(existing.name, { ...specOf(existing), enabled });
  return withEnabledState(store, row);
}

/** Forgets the conduit and its history, baseline and conflicts; the synced folders are never touched. */
export function removeConduit(store: Store, name: string): ConduitRow {
  const existing = requireConduit(store, name);
  requireUnmanaged(existing, 'remove');
  store.removeConduit(existing.name);
  return existing;
}

export interface ImportResult {
  readonly created: readonly string[];
  /** Conduits whose definition the file changed. */
  readonly updated: readonly string[];
  /** Conduits the file names exactly as they were. */
  readonly unchanged: readonly string[];
  /** Conduits the file managed before and no longer names: the CLI and API may change them now. */
  readonly released: readonly string[];
  /** Conduits another config file managed before, managed by this one now. */
  readonly tookOver: readonly string[];
  readonly rows: readonly ConduitRow[];
}

export interface ImportOptions {
  /**
   * The config file `serve --config` imports (absolute path): its conduits
   * are managed by it from now on (`ManagedConduitError`). Without it (`conduit
   * import`), a conduit that a file manages is refused like an edit.
   */
  readonly managedBy?: string;
}

/**
 * Upserts validated conduits by name in one transaction. The caller validated
 * them against the store first (`validateConfig(raw, { existing:
 * store.listConduits(), databasePath: store.path })`), so either all land
 * or, on a store error, none.
 */
export function importConduits(store: Store, specs: readonly ConduitSpec[], options: ImportOptions = {}): ImportResult {
  const before = new Map(store.listConduits().map((row) => [row.name, row]));
  // `conduit import` does not change what a file manages; the file given to serve does, even one managed by another
  // file before (the file was moved or renamed): it takes them over (`tookOver`).
  if (options.managedBy === undefined) for (const spec of specs) {
    const existing = before.get(spec.name);
    if (existing) requireUnmanaged(existing, 'change');
  }
  // A pause or resume from the CLI or API stands while the file says what it said at its last import.
  const keepEnabled = new Set(options.managedBy === undefined ? [] : specs.filter((spec) => {
    const existing = before.get(spec.name);
    return existing !== undefined && existing.managedBy === options.managedBy && existing.managedEnabled === spec.enabled;
  }).map((spec) => spec.name));
  const rows = store.upsertConduits(specs, options.managedBy === undefined ? {} : { managedBy: options.managedBy, keepEnabled })
    .map((row) => withEnabledState(store, row));
  const same = (row: ConduitRow): boolean => {
    const previous = before.get(row.name);
    return previous !== undefined && JSON.stringify(specOf(previous)) === JSON.stringify(specOf(row));
  };
  const named = new Set(specs.map((spec) => spec.name));
  return {
    created: rows.filter((row) => !before.has(row.name)).map((row) => row.name),
    updated: rows.filter((row) => before.has(row.name) && !same(row)).map((row) => row.name),
    unchanged: rows.filter((row) => same(row)).map((row) => row.name),
    released: options.managedBy === undefined ? [] : [...before.values()]
      .filter((row) => row.managedBy === options.managedBy && !named.has(row.name)).map((row) => row.name),
    tookOver: options.managedBy === undefined ? [] : [...before.values()]
      .filter((row) => named.has(row.name) && row.managedBy !== null && row.managedBy !== options.managedBy).map((row) => row.name),
    rows,
  };
}

/** A config file (SPEC §10) that `importConduits` accepts and that reproduces every stored conduit. */
export function exportConduits(store: Store): Record<string, unknown> {
  return configFileFor(store.listConduits().map(specOf), store.path);
}

/** The spec part of a row (what `updateConduit` takes). */
export function specOf(row: ConduitRow): ConduitSpec {
  return {
    name: row.name, source: row.source, target: row.target, mode: row.mode, schedule: row.schedule, enabled: row.enabled,
    include: row.include, exclude: row.exclude, useIndexRules: row.useIndexRules, conflict: row.conflict,
    parallelTransfers: row.parallelTransfers, bandwidthLimitMbps: row.bandwidthLimitMbps, maxDeletePercent: row.maxDeletePercent,
    checksum: row.checksum, versioning: row.versioning, verifyTimeoutSeconds: row.verifyTimeoutSeconds,
    sshCommand: row.sshCommand, remoteCommand: row.remoteCommand,
  };
}

/**
 * Keeps `state` in step with `enabled`: a disabled conduit is in state
 * `disabled`; re-enabled, it goes back to what its history says.
 */
function withEnabledState(store: Store, row: ConduitRow): ConduitRow {
  const wanted: ConduitState | undefined = !row.enabled
    ? 'disabled'
    : row.state === 'disabled'
      ? (row.syncGeneration === 0 ? 'never_synced' : row.lastSyncError !== null ? 'failed' : row.pendingPaths > 0 ? 'pending' : 'current')
      : undefined;
  if (wanted === undefined || wanted === row.state) return row;
  store.setConduitState(row.id, wanted);
  return store.getConduitById(row.id) ?? row;
}

function nameTaken(name: string): ConfigError {
  return new ConfigError('name', `expected a name not yet taken, got ${describeValue(name)} (a conduit with that name exists)`);
}
