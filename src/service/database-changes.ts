import type { ConduitRow, Store } from '../db/store.js';

/**
 * Notices conduits that another process changed in the database (a CLI
 * `add`, `edit`, `enable`, `disable`, `remove` while `serve` runs, or another
 * serve's API), so that this serve starts, reloads or stops their scheduling
 * and watching (issue 11 §1: one service, one truth).
 *
 * It polls SQLite's `PRAGMA data_version`, which moves only when another
 * connection commits, and is cheap (no table read). When it moved, the
 * conduit rows are read and their definitions compared with what this
 * process last knew: other commits — generations that `conduit run` records,
 * lease heartbeats — change rows' state and times but not their definitions,
 * and are ignored. This process's own changes (API, SIGHUP) do not move
 * data_version; the service tells `noteOwn` about them instead.
 */
export type ConduitChange = 'added' | 'edited' | 'enabled' | 'disabled' | 'removed';

export interface DatabaseChangesOptions {
  /** How often data_version is read. */
  readonly everyMs: number;
  /** A conduit's definition changed in another process. */
  changed(name: string, change: ConduitChange): void;
  /** The database could not be read (e.g. busy); the next poll tries again. */
  failed(error: unknown): void;
}

/** Default poll: well within the "couple of seconds" a user waits for a CLI change to take effect. */
export const DATABASE_POLL_MS = 750;

export class DatabaseChanges {
  /** Conduit name → its definition as this process last knew it. */
  private readonly known = new Map<string, Known>();
  private version: number | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly store: Store, private readonly options: DatabaseChangesOptions) {}

  /** Takes what the database holds now as known, and starts polling. */
  start(): void {
    this.version = this.store.dataVersion();
    for (const row of this.store.listConduits()) this.known.set(row.name, knownOf(row));
    this.timer = setInterval(() => this.poll(), this.options.everyMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
  }

  /** This process changed (or removed) the conduit itself: take its current definition as known, so it is not reported again. */
  noteOwn(name: string): void {
    const row = this.store.getConduit(name);
    if (row) this.known.set(name, knownOf(row));
    else this.known.delete(name);
  }

  /** One look: nothing unless another connection committed since the last one. */
  poll(): void {
    try {
      const version = this.store.dataVersion();
      if (version === this.version) return;
      const rows = this.store.listConduits();
      // Only after a successful read: a busy database is looked at again on the next poll.
      this.version = version;
      this.diff(rows);
    } catch (error) {
      this.options.failed(error);
    }
  }

  private diff(rows: readonly ConduitRow[]): void {
    const seen = new Set<string>();
    const changes: [string, ConduitChange][] = [];
    for (const row of rows) {
      seen.add(row.name);
      const now = knownOf(row);
      const before = this.known.get(row.name);
      this.known.set(row.name, now);
      if (!before) changes.push([row.name, 'added']);
      else if (before.id !== now.id) changes.push([row.name, 'removed'], [row.name, 'added']);
      else if (before.enabled !== now.enabled) changes.push([row.name, now.enabled ? 'enabled' : 'disabled']);
      else if (before.definition !== now.definition) changes.push([row.name, 'edited']);
    }
    for (const name of [...this.known.keys()]) {
      if (seen.has(name)) continue;
      this.known.delete(name);
      changes.push([name, 'removed']);
    }
    for (const [name, change] of changes) this.options.changed(name, change);
  }
}

/** What generations move in a row: its state, totals, times and pending paths. The rest (spec, id, who manages it) is its definition. */
const NOT_DEFINITION: ReadonlySet<string> = new Set([
  'state', 'lastSyncCompletedAt', 'syncGeneration', 'lastSyncError', 'totalSyncs', 'filesSynced', 'bytesTransferred',
  'createdAt', 'updatedAt', 'pendingPaths', 'attemptCount', 'nextAttemptAt', 'offlineHints',
]);

interface Known {
  /** A conduit removed and added again under its name (a new id) is not the same conduit. */
  readonly id: number;
  readonly definition: string;
  readonly enabled: boolean;
}

function knownOf(row: ConduitRow): Known {
  const definition = Object.entries(row).filter(([field]) => !NOT_DEFINITION.has(field));
  return { id: row.id, definition: JSON.stringify(definition), enabled: row.enabled };
}
