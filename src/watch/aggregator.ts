import { ancestorsOf, parentOf } from '../core/entry.js';
import type { Landed } from '../core/plan.js';
import { expectedState, observationKey, sameState, type Observation, type ObservedState } from './observation.js';

/**
 * Turns one conduit's stream of watcher observations into sync requests
 * (DESIGN principle 7: watcher events are hints). Pure: no timers, no disk,
 * no clock — every method takes `now` (ms) and `due()` says when the caller
 * should come back and `take()` the batch.
 *
 * - Debounce: a batch is due `quietMs` after the last relevant observation,
 *   but never later than `maxWaitMs` after the first one (a folder that never
 *   stops changing still syncs).
 * - Collapse: many paths under one directory become that directory (the scan
 *   walks its subtree); too many paths overall, or paths collapsing into the
 *   root, become a full scan.
 * - Echo suppression (SPEC §8): what a generation of this conduit itself
 *   wrote (path, side, and the size/mtime it landed with) is expected back
 *   from the watcher and ignored when it arrives. Observations made while a
 *   generation runs are held until it finishes, because only then is known
 *   what it wrote; the ones that are not its echoes become the follow-up.
 * - A watcher error or overflow makes the next batch a full scan.
 */
export interface AggregatorOptions {
  readonly quietMs: number;
  readonly maxWaitMs: number;
  /** How long an echo expectation lasts (chokidar may report one write twice, or late). */
  readonly echoTtlMs: number;
  /** More pending children than this under one directory: scan the directory instead. */
  readonly collapseAt: number;
  /** More pending paths than this: a full scan is cheaper than the path list. */
  readonly fullScanAbove: number;
}

export const DEFAULT_AGGREGATOR_OPTIONS: AggregatorOptions = {
  quietMs: 500,
  maxWaitMs: 5_000,
  echoTtlMs: 60_000,
  collapseAt: 32,
  fullScanAbove: 5_000,
};

/** What a due batch asks for: a full scan, or only these relative paths (their subtrees and parents). */
export interface ChangeBatch {
  readonly full: boolean;
  /** Sorted; empty when `full`. */
  readonly paths: readonly string[];
  /** Some path was reported gone (a delete or a rename away). */
  readonly deletions: boolean;
  /** Why a full scan, for the log. */
  readonly reason: string | null;
}

interface Echo {
  readonly state: ObservedState;
  readonly until: number;
}

export class ChangeAggregator {
  private readonly pending = new Set<string>();
  private firstAt: number | null = null;
  private lastAt: number | null = null;
  private fullReason: string | null = null;
  private deletions = false;
  private echoes = new Map<string, Echo>();
  private running = false;
  private held: Observation[] = [];

  constructor(private readonly options: AggregatorOptions = DEFAULT_AGGREGATOR_OPTIONS) {}

  /** One observation from the watcher. */
  observe(observation: Observation, now: number): void {
    if (this.running) {
      this.held.push(observation);
      return;
    }
    if (this.isEcho(observation, now)) return;
    this.addPending(observation, now);
  }

  /** The watcher reported an error or lost events: only a full scan is trustworthy now. */
  fault(reason: string, now: number): void {
    this.fullReason ??= reason;
    this.touch(now);
  }

  /** When the pending batch is due (ms), or null when nothing is pending or a generation runs. */
  due(): number | null {
    if (this.running || this.firstAt === null || this.lastAt === null) return null;
    return Math.min(this.lastAt + this.options.quietMs, this.firstAt + this.options.maxWaitMs);
  }

  /** The batch, if due at `now`; taking it empties the pending set. */
  take(now: number): ChangeBatch | null {
    const due = this.due();
    if (due === null || due > now) return null;
    const batch = this.batch();
    this.clearPending();
    return batch;
  }

  /** Whether anything is pending (due or not). */
  get hasPending(): boolean {
    return this.firstAt !== null;
  }

  /**
   * A generation of this conduit starts. A full one covers everything pending
   * (it scans after this moment); a fast-path one was started from `take()`.
   */
  runStarted(full: boolean): void {
    this.running = true;
    if (full) this.clearPending();
  }

  /**
   * The generation finished having written `written`. Its echoes are
   * expected from now on; observations held during the run are judged
   * against them, and the others become pending (the one follow-up). Returns
   * every observation held during the run (the verifier needs them too).
   */
  runFinished(written: readonly Landed[], now: number): readonly Observation[] {
    this.running = false;
    this.expireEchoes(now);
    const until = now + this.options.echoTtlMs;
    for (const landed of written) {
      // The directories above a written path see their mtime move (the engine even restores it):
      // reported as "still a directory", that is our doing too.
      for (const dir of ancestorsOf(landed.path)) {
        const key = observationKey(landed.side, dir);
        if (!this.echoes.has(key)) this.echoes.set(key, { state: { kind: 'dir' }, until });
      }
    }
    for (const landed of written) {
      this.echoes.set(observationKey(landed.side, landed.path), { state: expectedState(landed.entry), until });
    }
    const held = this.held;
    this.held = [];
    for (const observation of held) {
      if (!this.isEcho(observation, now)) this.addPending(observation, now);
    }
    return held;
  }

  private isEcho(observation: Observation, now: number): boolean {
    const key = observationKey(observation.side, observation.path);
    const echo = this.echoes.get(key);
    if (echo === undefined) return false;
    if (echo.until < now) {
      this.echoes.delete(key);
      return false;
    }
    if (sameState(observation.state, echo.state)) return true;
    // Someone else changed the path after we wrote it: from now on it is theirs.
    this.echoes.delete(key);
    return false;
  }

  private addPending(observation: Observation, now: number): void {
    this.pending.add(observation.path);
    if (observation.state.kind === 'absent' || observation.state.kind === 'unknown') this.deletions = true;
    this.touch(now);
  }

  private touch(now: number): void {
    this.firstAt ??= now;
    this.lastAt = now;
  }

  private clearPending(): void {
    this.pending.clear();
    this.firstAt = null;
    this.lastAt = null;
    this.fullReason = null;
    this.deletions = false;
  }

  /**
   * Drops the echo expectations whose time to live has passed, and returns
   * when the next of the others expires (null: none left). The service calls
   * it when that time comes: a generation that wrote 100,000 files leaves
   * 100,000 expectations (~30 MB measured), which must not wait for the next
   * generation to be dropped (a quiet conduit may have none for hours).
   */
  expireEchoes(now: number): number | null {
    let next: number | null = null;
    for (const [key, echo] of this.echoes) {
      if (echo.until < now) this.echoes.delete(key);
      else if (next === null || echo.until < next) next = echo.until;
    }
    // A fresh Map: the emptied one may keep the table it grew for every path.
    if (this.echoes.size === 0) this.echoes = new Map();
    return next;
  }

  /** How many echo expectations are held (one per path a recent generation wrote, and its directories). */
  get echoCount(): number {
    return this.echoes.size;
  }

  private batch(): ChangeBatch {
    if (this.fullReason !== null) return { full: true, paths: [], deletions: this.deletions, reason: this.fullReason };
    if (this.pending.size > this.options.fullScanAbove) {
      return { full: true, paths: [], deletions: this.deletions, reason: `${this.pending.size} paths changed` };
    }
    const collapsed = collapsePaths([...this.pending], this.options.collapseAt);
    if (collapsed === null) return { full: true, paths: [], deletions: this.deletions, reason: 'changes collapse into the root' };
    return { full: false, paths: collapsed, deletions: this.deletions, reason: null };
  }
}

/**
 * Replaces the paths under any directory that has more than `collapseAt` of
 * them by that directory, repeatedly upwards, and drops paths below another
 * kept path. Returns null when they collapse into the root (scan it all).
 */
export function collapsePaths(paths: readonly string[], collapseAt: number): string[] | null {
  let current = new Set(paths);
  for (;;) {
    const byParent = new Map<string, string[]>();
    for (const path of current) {
      const parent = parentOf(path);
      const siblings = byParent.get(parent);
      if (siblings) siblings.push(path);
      else byParent.set(parent, [path]);
    }
    let changed = false;
    for (const [parent, children] of byParent) {
      if (children.length <= collapseAt) continue;
      if (parent === '') return null;
      for (const child of children) current.delete(child);
      current.add(parent);
      changed = true;
    }
    if (!changed) break;
  }
  current = new Set([...current].filter((path) => !ancestorsOf(path).some((a) => current.has(a))));
  return [...current].sort();
}
