import { join } from 'node:path';
import { ancestorsOf, type Baseline, type Side } from '../core/entry.js';
import type { Landed } from '../core/plan.js';
import { reconcile } from '../core/reconcile.js';
import type { VerificationStatus } from '../core/vocabulary.js';
import type { ConduitRow, GenerationRecord, Store } from '../db/store.js';
import { hashWhereContentDecides } from '../engine/content-hashes.js';
import { scanOptionsFor } from '../engine/generation.js';
import { affectedInput, scanAgainstBaseline } from '../engine/generation/affected.js';
import type { FileSystem } from '../fs/file-system.js';
import { describeState, expectedState, observationKey, sameState, type Observation, type ObservedState } from '../watch/observation.js';

/**
 * Watcher-verified generations (SPEC §8). A generation that wrote anything
 * is `waiting_watcher` until the watcher has reported every path it wrote or
 * deleted in the state it landed in, and a reconcile of those paths finds
 * nothing left to do; then `verified`. A path reported in another state after
 * the generation finished, a final check that disagrees, or no confirmation
 * within the timeout: `failed:<reason>` naming the first such paths.
 */

/** How many paths a `failed:` reason names before "and N more". */
const NAMED_PATHS = 3;

export type TrackerVerdict =
  | { readonly state: 'pending' }
  | { readonly state: 'confirmed' }
  | { readonly state: 'disagrees'; readonly reason: string };

/**
 * The pure half: which written paths the watcher has confirmed. A report made
 * while the generation still ran may show the state before the write, so it
 * counts only when it matches; a report of another state made after the
 * generation finished, or after the path was already seen as written, is
 * final: someone changed the path.
 */
export class VerificationTracker {
  private readonly expected = new Map<string, { readonly side: Side; readonly path: string; readonly state: ObservedState }>();
  private readonly confirmed = new Set<string>();
  /** Key → why, in the order they were found. */
  private readonly disagreeing = new Map<string, string>();

  constructor(written: readonly Landed[]) {
    // The last landing of a path is what it holds (a conflict copy then a copy, say).
    for (const landed of written) {
      this.expected.set(observationKey(landed.side, landed.path), { side: landed.side, path: landed.path, state: expectedState(landed.entry) });
    }
  }

  get size(): number {
    return this.expected.size;
  }

  observe(observation: Observation, afterFinish: boolean): void {
    const key = observationKey(observation.side, observation.path);
    const expected = this.expected.get(key);
    if (expected === undefined) return;
    if (sameState(observation.state, expected.state)) {
      this.confirmed.add(key);
      return;
    }
    // Seen as written, then otherwise: someone changed it since. Before the generation finished, a
    // report not yet seen as written may show the state before the write: only a later one decides.
    const changedSince = this.confirmed.delete(key);
    if ((afterFinish || changedSince) && !this.disagreeing.has(key)) {
      this.disagreeing.set(key, `${key} is ${describeState(observation.state)}, expected ${describeState(expected.state)}`);
    }
  }

  verdict(): TrackerVerdict {
    if (this.disagreeing.size > 0) return { state: 'disagrees', reason: `changed after the write: ${namePaths([...this.disagreeing.values()])}` };
    return this.confirmed.size === this.expected.size ? { state: 'confirmed' } : { state: 'pending' };
  }

  /** Why it is not confirmed, for a timeout. */
  unconfirmed(): string[] {
    return [...this.expected.keys()].filter((key) => !this.confirmed.has(key));
  }

  /** The written paths, per side. */
  pathsBySide(): Record<Side, string[]> {
    const out: Record<Side, string[]> = { source: [], target: [] };
    for (const { side, path } of this.expected.values()) out[side].push(path);
    return out;
  }

  expectedStates(): { side: Side; path: string; state: ObservedState }[] {
    return [...this.expected.values()];
  }
}

export function namePaths(items: readonly string[]): string {
  const named = items.slice(0, NAMED_PATHS).join(', ');
  return items.length > NAMED_PATHS ? `${named} and ${items.length - NAMED_PATHS} more` : named;
}

export function failed(reason: string): `failed:${string}` {
  return `failed:${reason.replace(/[\r\n]+/g, ' ')}`;
}

/**
 * The final check, once the watcher confirmed (or on demand): each written
 * path is lstat'ed again and must still hold what landed, and a reconcile of
 * those paths (both sides, the baseline as the generation left it) must plan
 * nothing. That reconcile runs as a generation's does, after hashing where
 * content decides (SPEC §3): without the hashes it would see no file as the
 * same as another, and, with `checksum: true`, it would fall back on size
 * and mtime, so bytes changed under the same size and mtime would verify.
 * On written paths that match the baseline nothing else needs a hash, so
 * this reads no file unless `checksum` is on. Returns null when all is well,
 * else the reason.
 */
export async function finalCheck(
  store: Store, fs: FileSystem, conduit: ConduitRow, expected: readonly { side: Side; path: string; state: ObservedState }[],
): Promise<string | null> {
  const roots: Record<Side, string> = { source: conduit.source, target: conduit.target };
  const wrong: string[] = [];
  for (const { side, path, state } of expected) {
    const now = await observeWithFs(fs, join(roots[side], path));
    if (!sameState(now, state)) wrong.push(`${side}:${path} is ${describeState(now)}, expected ${describeState(state)}`);
  }
  if (wrong.length > 0) return `disagrees with the index: ${namePaths(wrong)}`;
  const paths = [...new Set(expected.map((e) => e.path))];
  if (paths.length === 0) return null;
  const options = await scanOptionsFor(fs, conduit, paths);
  // As a generation scans: against the baseline (the new one), so only what differs from it comes back
  // (besides directories and conflict copies), and only the affected rows are loaded (generation/affected.ts).
  const { source, target } = await scanAgainstBaseline(store, fs, conduit.id, roots, options, conduit.checksum);
  if (source.root !== 'ok' || target.root !== 'ok') return `a root is unavailable: ${source.rootMessage ?? target.rootMessage ?? ''}`.trim();
  const { baseline, ...affected } = affectedInput(store, conduit.id, source, target);
  const hashed = await hashWhereContentDecides(fs, conduit, baseline, roots, affected.source, affected.target);
  if (hashed.problems.length > 0) return `cannot read the written paths for their hashes: ${namePaths(hashed.problems.map((p) => `${p.side}:${p.path}`))}`;
  const plan = reconcile({
    mode: conduit.mode, policy: conduit.conflict, baseline,
    source: hashed.source, target: hashed.target, stamp: '19700101T000000Z', checksum: conduit.checksum,
  });
  // Open `manual` conflicts are held on purpose: they are not something left to do.
  const todo = [...plan.actions.map((a) => `${a.op} ${a.path}`), ...plan.conflicts.filter((c) => c.resolution !== 'unresolved').map((c) => `conflict ${c.path}`)];
  return todo.length > 0 ? `a reconcile of the written paths still plans ${namePaths(todo)}` : null;
}


async function observeWithFs(fs: FileSystem, path: string): Promise<ObservedState> {
  try {
    const entry = await fs.lstat(path);
    return expectedState(entry);
  } catch (error) {
    const code = (error as { code?: string }).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? { kind: 'absent' } : { kind: 'unknown' };
  }
}

/**
 * `conduit verify <name> [--generation N]`: checks a finished generation on
 * demand. The paths it wrote come from its events; the state each should hold
 * is what the index (baseline) records for that side now — absent for a
 * deleted path. The result is stored.
 */
export async function verifyOnDemand(
  store: Store, fs: FileSystem, conduit: ConduitRow, record: GenerationRecord, now: () => Date = () => new Date(),
): Promise<VerificationStatus> {
  // A remote root's host first (issue 10): unreachable, UnreachableError and nothing recorded (not a failed verification).
  await fs.connect?.();
  const status = await verdictOnDemand(store, fs, conduit, record);
  store.setVerification(record.id, status, status === 'verified' ? now().toISOString() : null);
  return status;
}

async function verdictOnDemand(store: Store, fs: FileSystem, conduit: ConduitRow, record: GenerationRecord): Promise<VerificationStatus> {
  if (record.status === 'running') return failed('the generation is still running');
  if (record.dryRun) return failed('a dry run writes nothing to verify');
  if (record.status === 'refused') return failed('a refused generation wrote nothing');
  // The paths the generation wrote, then the baseline rows of just those (what changed, not the whole index).
  const written = new Map<string, { side: Side; path: string }>();
  const pageSize = 5_000;
  for (let offset = 0; ; offset += pageSize) {
    const events = store.listEvents(record.id, { limit: pageSize, offset });
    for (const event of events) {
      if (event.side === null || !WRITING_ACTIONS.has(event.action)) continue;
      const path = event.action === 'conflict_copy' ? conflictCopyPath(event.message) ?? event.path : event.path;
      written.set(observationKey(event.side, path), { side: event.side, path });
    }
    if (events.length < pageSize) break;
  }
  if (written.size === 0) return 'verified';
  const baseline = store.loadBaselineRows(conduit.id, [...new Set([...written.values()].map((w) => w.path))]);
  const expected = new Map<string, { side: Side; path: string; state: ObservedState }>();
  for (const [key, { side, path }] of written) {
    const base = baseline.get(path);
    let state: ObservedState;
    if (base === undefined) state = { kind: 'absent' };
    else if (base.kind === 'file') state = { kind: 'file', size: base.size, mtimeNs: base[side].mtimeNs };
    else state = { kind: base.kind };
    expected.set(key, { side, path, state });
  }
  const reason = await finalCheck(store, fs, conduit, [...expected.values()]);
  return reason === null ? 'verified' : failed(reason);
}

const WRITING_ACTIONS = new Set(['copy', 'delete', 'mkdir', 'rmdir', 'symlink', 'conflict_copy']);

/** A `conflict_copy` event's message reads `saved as <copy path>[; …]`. */
function conflictCopyPath(message: string | null): string | null {
  const match = message === null ? null : /^saved as (.+?)(?:; |$)/.exec(message);
  return match?.[1] ?? null;
}

