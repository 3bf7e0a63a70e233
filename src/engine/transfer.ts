import { depthOf } from '../core/entry.js';
import { STAGES, type Action, type Outcome, type Plan, type Stage } from '../core/plan.js';
import { runBounded } from './bounded.js';
import { SKIP_REASON } from './copy-protocol.js';
import { executeAction } from './transfer/actions.js';
import { copyThroughPool, mkdirThroughPool, suitsCopyPool, suitsDirectoryPool } from './transfer/batches.js';
import type { TransferContext } from './transfer/context.js';
import { skipped } from './transfer/outcomes.js';
import { TransferRun } from './transfer/run.js';

/**
 * Runs a Plan against the two roots: stage by stage (plan.ts `STAGES`),
 * verify-before-write, temp + rename, one Outcome per action. Nothing here
 * throws for a single path's trouble: it becomes that action's Outcome.
 * Every write first checks the directories between its root and its path
 * (confine.ts): nothing is ever written through a directory that is no
 * longer the one the scan saw.
 *
 * Here: the stages and their waves. Under transfer/: each action's
 * operation (actions.ts), the copy-worker batches of small files and of a
 * level of directories (batches.ts), the steps
 * every action shares (run.ts), and outcomes and problems (outcomes.ts).
 */

export type { TransferContext, TransferProgress } from './transfer/context.js';
export { POOLED_COPY_MAX_BYTES } from './transfer/batches.js';
export { SKIP_REASON, stillAsExpected } from './copy-protocol.js';

/** Execute the actions of `plan` (the rest of a Plan is for the baseline, not the disk); one Outcome per action, in plan order. */
export async function executePlan(plan: Pick<Plan, 'actions'>, context: TransferContext): Promise<Outcome[]> {
  const run = new TransferRun(context);
  const actions = plan.actions;
  const outcomes = new Array<Outcome | undefined>(actions.length);
  for (const stage of STAGES) {
    const indices = actions.flatMap((action, index) => (action.stage === stage ? [index] : []));
    for (const wave of wavesOf(stage, indices, actions)) {
      if (stage === 'mkdir' && suitsDirectoryPool(context, wave)) {
        await mkdirThroughPool(run, wave, actions, outcomes);
        continue;
      }
      const pooled = stage === 'transfer' ? wave.filter((index) => suitsCopyPool(context, actions[index]!)) : [];
      if (pooled.length > 0) await copyThroughPool(run, pooled, actions, outcomes);
      const rest = pooled.length > 0 ? wave.filter((index) => outcomes[index] === undefined && !suitsCopyPool(context, actions[index]!)) : wave;
      const results = await runBounded(rest, context.parallelTransfers, (index) => executeAction(run, actions[index]!), { signal: context.signal });
      results.forEach((result, k) => {
        const index = rest[k]!;
        outcomes[index] = result.started ? result.value : skipped(actions[index]!, SKIP_REASON.interrupted);
      });
    }
  }
  // Array.from, not map: map skips the holes that batches never started (a stop) leave in `outcomes`.
  return Array.from(outcomes, (outcome, index) => outcome ?? skipped(actions[index]!, SKIP_REASON.interrupted));
}

/**
 * Actions of one stage split into waves that run one after the other:
 * `mkdir` one depth level at a time, shallowest first (parents exist before
 * children); `clear` and `rmdir` deepest first (children are gone before
 * their directory). Other stages are one wave.
 */
function wavesOf(stage: Stage, indices: readonly number[], actions: readonly Action[]): number[][] {
  if (stage !== 'mkdir' && stage !== 'clear' && stage !== 'rmdir') return indices.length > 0 ? [[...indices]] : [];
  const byDepth = new Map<number, number[]>();
  for (const index of indices) {
    const depth = depthOf(actions[index]!.path);
    const wave = byDepth.get(depth);
    if (wave) wave.push(index);
    else byDepth.set(depth, [index]);
  }
  const depths = [...byDepth.keys()].sort((a, b) => (stage === 'mkdir' ? a - b : b - a));
  return depths.map((depth) => byDepth.get(depth)!);
}
