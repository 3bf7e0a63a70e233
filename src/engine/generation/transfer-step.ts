import { availableParallelism } from 'node:os';
import type { Side, Snapshot } from '../../core/entry.js';
import type { Action, Outcome, Plan, Problem } from '../../core/plan.js';
import type { ConduitRow } from '../../db/store.js';
import type { CopyBatches, FileSystem } from '../../fs/file-system.js';
import type { RootDirectories } from '../confine.js';
import { openDirectoriesForWriting, replicatedDirectories, type ReplicatedDirectories } from '../directory-times.js';
import type { FilterRules } from '../scan.js';
import { tempTokenFor } from '../temp-name.js';
import { createThrottle } from '../throttle.js';
import { executePlan, POOLED_COPY_MAX_BYTES, type TransferProgress } from '../transfer.js';
import { versionStamp } from '../versioning.js';
import type { GenerationProgress, GenerationRequest, ReportProgress } from './request.js';

/** The roots as the scans left them, for the transfer. */
export interface ScannedRoots {
  readonly roots: Record<Side, string>;
  /** Each root's directories as scanned (confine.ts). */
  readonly directories: { readonly source: RootDirectories; readonly target: RootDirectories };
  /** The target's entries as scanned. */
  readonly target: Snapshot;
  readonly rules: FilterRules;
}

/** What the transfer leaves for the steps after it. */
export interface Transferred {
  /** One per action of the plan, in plan order. */
  readonly outcomes: Outcome[];
  /** The directories whose attributes this mode replicates (directory-times.ts); null: none. */
  readonly replicated: ReplicatedDirectories | null;
  /** Replicated directories opened for writing before the transfer, and the changes refused. */
  readonly opened: { readonly opened: readonly string[]; readonly problems: readonly Problem[] };
  /** Progress at the end of the transfer. */
  readonly totals: Omit<GenerationProgress, 'conduit' | 'generation' | 'phase'>;
}

/**
 * The generation's transfer: the plan's actions against the roots
 * (transfer.ts) with this conduit's throttle, parallelism, versioning and
 * temp token, small files through the copy workers when there are many,
 * progress reported as each action finishes.
 */
export async function transferPlan(
  fs: FileSystem, request: GenerationRequest, plan: Plan, scanned: ScannedRoots, startedAt: Date, progress: ReportProgress,
): Promise<Transferred> {
  const conduit = request.conduit;
  const { roots, directories } = scanned;
  const bytesTotal = plan.actions.reduce((n, a) => n + (a.op === 'copy' ? a.entry.size : 0), 0);
  let actionsDone = 0;
  let bytesDone = 0;
  const inFlight = new Map<Action, number>();
  let inFlightBytes = 0;
  const throttle = createThrottle(conduit.bandwidthLimitMbps);
  // Mirror (and selective, in its selection) replicates directory modes exactly, a read-only one included: open those it must write into.
  const replicated = replicatedDirectories(conduit.mode, scanned.rules);
  const opened = replicated
    ? await openDirectoriesForWriting(fs, directories.target, plan.actions, scanned.target, replicated)
    : { opened: [], problems: [] };
  const copyPool = copyWorkersFor(fs, plan, conduit, throttle !== undefined);
  let outcomes: Outcome[];
  try {
    outcomes = await executePlan(plan, {
      fs, roots, tempToken: tempTokenFor(conduit.uuid), directories, parallelTransfers: conduit.parallelTransfers, throttle,
      signal: request.signal, cutSignal: request.cutSignal,
      versioning: conduit.versioning ? { dir: conduit.versioning.dir, stamp: versionStamp(startedAt) } : null,
      ...(copyPool ? { copyPool } : {}),
      onProgress: (p: TransferProgress) => {
        if (!p.done) {
          // Bytes of copies still in flight count too: a large file moves the progress (and its rate) while it copies.
          inFlightBytes += p.bytes - (inFlight.get(p.action) ?? 0);
          inFlight.set(p.action, p.bytes);
          progress({ phase: 'transferring', actionsDone, actionsTotal: plan.actions.length, bytesDone: bytesDone + inFlightBytes, bytesTotal });
          return;
        }
        inFlightBytes -= inFlight.get(p.action) ?? 0;
        inFlight.delete(p.action);
        if (p.outcome) request.onOutcome?.(p.outcome);
        actionsDone++;
        bytesDone += p.bytes;
        progress({ phase: 'transferring', actionsDone, actionsTotal: plan.actions.length, bytesDone, bytesTotal });
      },
    });
  } finally {
    await copyPool?.close();
  }
  return { outcomes, replicated, opened, totals: { actionsDone, actionsTotal: plan.actions.length, bytesDone, bytesTotal } };
}

/** Below this many small-file copies the copy workers' start-up (~50 ms) is not worth it. */
const COPY_WORKERS_FROM = 32;

/**
 * Batched copies (`FileSystem.openCopyBatches`) for a plan with many small
 * files: the same copy protocol, run next to the disk (node: synchronously in
 * copy workers off the main thread). As many workers as cores, never more
 * than `parallelTransfers`. The filesystem may refuse (null: a decorator that
 * must see each step); the plan then copies file by file, as small plans do.
 */
function copyWorkersFor(fs: FileSystem, plan: Plan, conduit: ConduitRow, throttled: boolean): CopyBatches | undefined {
  if (throttled || conduit.versioning) return undefined;
  let small = 0;
  for (const a of plan.actions) if (a.op === 'copy' && a.entry.size <= POOLED_COPY_MAX_BYTES) small++;
  if (small < COPY_WORKERS_FROM) return undefined;
  return fs.openCopyBatches(Math.min(conduit.parallelTransfers, availableParallelism())) ?? undefined;
}
