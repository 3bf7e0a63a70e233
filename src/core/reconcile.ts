import type { Plan } from './plan.js';
import { assembleActions, fixParents, inPlanOrder } from './reconcile/assemble.js';
import { decide } from './reconcile/decide.js';
import { Sides, type ReconcileInput } from './reconcile/input.js';
import { resolveConflicts } from './reconcile/resolve.js';

export type { ReconcileInput } from './reconcile/input.js';

/**
 * reconcile(baseline, source, target, mode, policy) → Plan.
 *
 * Pure and deterministic: plain values in, a Plan out, paths visited in
 * sorted order. It never reads the disk or the clock (the conflict-copy
 * timestamp comes in as `stamp`). Whether two files are the same is decided
 * by their hashes (`sameContent`), which the engine computes beforehand for
 * exactly the files that `filesToHash` names; a file without a hash is never
 * taken as identical. Stat answers only "did this side change since the
 * baseline" (and mirror's quick check). Three steps, one module each under
 * reconcile/:
 *
 * 1. decide, per path, from the baseline and both sides (SPEC §2.1, §2.3):
 *    nothing, propagate one side's state to the other, or a conflict
 *    (decide.ts);
 * 2. resolve conflicts by the policy (SPEC §2.2) into propagations, conflict
 *    copies or a hold (`manual`), subtrees included for directory conflicts
 *    (resolve.ts, conflict-copies.ts);
 * 3. assemble actions by stage, then fix up parents: a path that will exist
 *    on a side gets its parent directories there, and a directory that will
 *    still hold something is not removed (assemble.ts).
 */
export function reconcile(input: ReconcileInput): Plan {
  const sides = new Sides(input);
  const decided = decide(sides);
  const resolved = resolveConflicts(sides, decided.decisions);
  const fixed = fixParents(sides, assembleActions(sides, decided.decisions, resolved));
  return {
    actions: inPlanOrder(fixed.actions),
    conflicts: resolved.conflicts,
    skips: [...decided.skips, ...fixed.skips],
    forget: resolved.forget,
    hold: resolved.hold,
    identity: input.mode === 'mirror' ? 'quick-check' : 'content',
  };
}
