import { pathsWhere } from '../core/change-set/columns.js';
import { restrictToAffected } from '../core/change-set/restrict.js';
import { conflictStamp } from '../core/conflict-name.js';
import { isUnder, type Entry, type Snapshot } from '../core/entry.js';
import { nextBaseline } from '../core/next-baseline.js';
import { reconcile } from '../core/reconcile.js';
import type { ConflictPolicy, Resolution } from '../core/vocabulary.js';
import { holdLease, type HeldLease, type LeaseTiming } from '../db/lease-keeper.js';
import { StoreError, type ConduitRow, type ConflictRecord, type EntrySummary, type Store } from '../db/store.js';
import type { FileSystem } from '../fs/file-system.js';
import { hashWhereContentDecides } from '../engine/content-hashes.js';
import { summary } from '../engine/generation/record.js';
import { scanOptionsFor } from '../engine/generation.js';
import { RootDirectories } from '../engine/confine.js';
import { scanAgainstColumns } from '../engine/generation/affected.js';
import { tempTokenFor } from '../engine/temp-name.js';
import { executePlan } from '../engine/transfer.js';

export type ResolveChoice = 'source' | 'target' | 'both' | 'dismiss';

/** The conflict exists but cannot be resolved as asked (already resolved, a side is offline…): bad input, exit 2. */
export class ConflictNotResolvableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictNotResolvableError';
  }
}

/**
 * The side to keep no longer holds what the conflict recorded (kind, size,
 * mtime): resolving would copy something nobody has looked at — a symlink
 * swapped in since, an edit made since. A refusal (exit 3); the next
 * generation refreshes the conflict with what is there now.
 */
export class ConflictChangedError extends ConflictNotResolvableError {
  constructor(message: string) {
    super(message);
    this.name = 'ConflictChangedError';
  }
}

export interface ResolveOptions {
  /**
   * The conduit's generation lease, when the caller took it (`resolve
   * --wait`). Without one, resolveConflict takes it itself.
   */
  readonly lease?: HeldLease;
  /** Lease TTL and heartbeat for the lease it takes itself (the service's own); default from CONDUIT_LEASE_TTL_MS. */
  readonly timing?: LeaseTiming;
  /** The conduit's filesystem and engine paths (remote/conduit-roots.ts `open`); without it, `fs` and the stored roots. */
  readonly openRoots?: (conduit: ConduitRow) => { readonly fs: FileSystem; readonly conduit: ConduitRow };
}

/**
 * `conduit resolve` / `POST /api/conflicts/:id/resolve`: settle one open
 * conflict now. The chosen side becomes the policy of a reconcile restricted
 * to the conflict's path (and subtree), so resolving goes through the same
 * verify-before-write, temp-and-rename transfer as a generation, and the
 * baseline advances only from what landed. `dismiss` changes nothing on disk.
 *
 * Every choice but `dismiss` writes files or the baseline, so it runs under
 * the conduit's generation lease, as a generation does (SPEC §4: one owner
 * per conduit at a time, across processes): while another process (or this
 * one) runs the conduit, ConduitBusyError before anything is changed (exit 4,
 * 409).
 */
export async function resolveConflict(
  store: Store, fs: FileSystem, id: number, choice: ResolveChoice, now = new Date(), options: ResolveOptions = {},
): Promise<ConflictRecord> {
  const { conduit } = openConflict(store, id, choice);
  if (choice === 'dismiss') {
    store.resolveConflict(id, 'dismissed', now.toISOString());
    return store.getConflict(id)!;
  }
  const lease = options.lease ?? holdLease(store, conduit.id, 'generation', options.timing ? { timing: options.timing } : {});
  try {
    // Asked again under the lease: a generation that ran meanwhile (`--wait`) may have settled the conflict or changed the conduit.
    const current = openConflict(store, id, choice);
    const opened = options.openRoots ? options.openRoots(current.conduit) : { fs, conduit: current.conduit };
    return await resolveUnderLease(store, opened.fs, current.conflict, opened.conduit, choice, now, lease);
  } finally {
    if (!options.lease) lease.release();
  }
}

/** The conflict and its conduit, when it is open and `choice` fits it; StoreError('not_found') or ConflictNotResolvableError otherwise. */
export function openConflict(store: Store, id: number, choice: ResolveChoice): { conflict: ConflictRecord; conduit: ConduitRow } {
  const conflict = store.getConflict(id);
  if (!conflict) throw new StoreError('not_found', `no conflict with id ${id} (see conduit conflicts)`);
  if (conflict.resolution !== 'unresolved') throw new ConflictNotResolvableError(`conflict ${id} is already resolved (${conflict.resolution})`);
  const conduit = store.getConduit(conflict.conduit);
  if (!conduit) throw new StoreError('not_found', `conflict ${id} belongs to a conduit that no longer exists`);
  if (conduit.mode !== 'bidirectional' && choice === 'both') {
    throw new ConflictNotResolvableError(`--keep both needs a bidirectional conduit; "${conduit.name}" is ${conduit.mode} (use --keep source or --keep target)`);
  }
  return { conflict, conduit };
}

/** A lease taken over under us (this process stalled) stops the resolution's transfer like a stop request. */
async function resolveUnderLease(
  store: Store, fs: FileSystem, conflict: ConflictRecord, conduit: ConduitRow, choice: Exclude<ResolveChoice, 'dismiss'>, now: Date, lease: HeldLease,
): Promise<ConflictRecord> {
  // A remote root's host first (issue 10), on the filesystem the resolution uses: unreachable, UnreachableError before anything is changed.
  await fs.connect?.();
  const lost = lease.lost;
  const id = conflict.id;
  const oneWay = conduit.mode !== 'bidirectional';

  const path = conflict.path;
  const inScope = (p: string) => p === path || isUnder(p, path);
  const only = <T>(m: ReadonlyMap<string, T>) => new Map([...m].filter(([p]) => inScope(p)));
  // Every row of the conflict's subtree, found in the columns (no per-path object for the rest of the baseline).
  const columns = store.loadBaselineColumns(conduit.id);
  const baseline = store.loadBaselineRows(conduit.id, pathsWhere(columns.source, inScope));

  if (oneWay && choice === 'target') {
    // The target's version stays as the target's own: the conduit stops tracking it.
    store.commitResolution({
      conduitId: conduit.id, conflictId: id, resolution: 'accepted_target', resolvedAt: now.toISOString(),
      baselineUpserts: new Map(), baselineDeletes: [...baseline.keys()], fence: lease.fence,
    });
    return store.getConflict(id)!;
  }

  const options = await scanOptionsFor(fs, conduit, [path], store.path);
  const roots = { source: conduit.source, target: conduit.target };
  // Scanned against the baseline as a generation scans (generation/affected.ts); the subtree's rows then
  // give back every entry the scans left out, so reconcile sees the subtree whole.
  const { source, target } = await scanAgainstColumns(fs, columns, roots, options, conduit.checksum);
  for (const [side, scan] of [['source', source], ['target', target]] as const) {
    if (scan.root !== 'ok') throw new ConflictNotResolvableError(`cannot resolve conflict ${id}: the ${side} root is ${scan.root.replace(/_/g, ' ')}`);
  }
  const subtree = restrictToAffected(baseline, source, target);
  // Content decides here as in a generation (SPEC §3): without hashes no pair is ever "the same",
  // and `--keep both` would save a conflict copy of bytes the winner already holds.
  const hashed = await hashWhereContentDecides(
    fs, { mode: 'bidirectional', checksum: conduit.checksum }, baseline, roots,
    only(subtree.source), only(subtree.target), lost,
  );
  const unreadable = hashed.problems[0];
  if (unreadable) throw new ConflictNotResolvableError(`cannot resolve conflict ${id}: ${unreadable.path}: ${unreadable.message}`);
  const s: Snapshot = hashed.source;
  const t: Snapshot = hashed.target;
  for (const side of choice === 'both' ? (['source', 'target'] as const) : [choice]) {
    const change = changeSinceDetection(conflict[side], (side === 'source' ? s : t).get(path));
    if (change !== null) {
      throw new ConflictChangedError(
        `conflict ${id} (${conduit.name}: ${path}) not resolved: the ${side} changed since the conflict was detected (${change}); `
        + `run the conduit again to see the conflict as it is now`,
      );
    }
  }
  const policy: ConflictPolicy = choice === 'both' ? 'keep-both' : choice;
  const plan = reconcile({ mode: 'bidirectional', policy, baseline, source: s, target: t, stamp: conflictStamp(now) });
  // The scans' directories confine every write (confine.ts), as in a generation.
  const directories = { source: new RootDirectories(conduit.source, source.entries), target: new RootDirectories(conduit.target, target.entries) };
  const outcomes = await executePlan(plan, {
    fs, roots: { source: conduit.source, target: conduit.target }, tempToken: tempTokenFor(conduit.uuid), directories,
    parallelTransfers: conduit.parallelTransfers, signal: lost,
  });
  if (lost.aborted) throw new Error(`could not resolve conflict ${id}: ${String(lost.reason)}`);
  const trouble = outcomes.find((o) => o.status !== 'applied');
  if (trouble) {
    const why = trouble.status === 'failed' ? trouble.problem.message : trouble.reason;
    throw new Error(`could not resolve conflict ${id}: ${trouble.action.path}: ${why}`);
  }
  const changes = nextBaseline(baseline, s, t, plan, outcomes);
  const resolution: Resolution = choice === 'both' ? 'kept_both' : choice === 'source' ? 'accepted_source' : 'accepted_target';
  // Fenced like a generation's commit: a resolver that stalled past the lease's expiry records nothing over its successor.
  store.commitResolution({
    conduitId: conduit.id, conflictId: id, resolution, resolvedAt: now.toISOString(),
    baselineUpserts: changes.upserts, baselineDeletes: changes.deletes, fence: lease.fence,
  });
  return store.getConflict(id)!;
}


/**
 * How `current` differs from what the conflict recorded for that side, in
 * words; null when it is still that (kind, and for files and links size and
 * mtime to the millisecond the record keeps; a directory's mtime moves with
 * its contents, so only its kind counts).
 */
function changeSinceDetection(recorded: EntrySummary | null, current: Entry | undefined): string | null {
  const now = current === undefined ? null : summary(current);
  if (recorded === null) return now === null ? null : `it was absent, now it is ${describe(now)}`;
  if (now === null) return `it was ${describe(recorded)}, now it is absent`;
  if (now.kind === 'problem') return `it cannot be read now: ${(current as { message: string }).message}`;
  const same = now.kind === recorded.kind && (now.kind === 'dir' || (now.size === recorded.size && now.mtime === recorded.mtime));
  return same ? null : `it was ${describe(recorded)}, now it is ${describe(now)}`;
}

function describe(side: EntrySummary): string {
  switch (side.kind) {
    case 'file':
      return `a file of ${side.size} bytes modified ${side.mtime}`;
    case 'symlink':
      return `a symbolic link modified ${side.mtime}`;
    case 'dir':
      return 'a directory';
    case 'problem':
      return 'an unreadable entry';
  }
}
