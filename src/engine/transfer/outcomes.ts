import type { Action, Landed, Outcome, Problem } from '../../core/plan.js';
import { FsError } from '../../fs/file-system.js';

/** Thrown inside one action to report a Problem on a path other than the action's own (conflict copies). */
export class ActionFailure extends Error {
  constructor(readonly problem: Problem) {
    super(problem.message);
  }
}

export function applied(action: Action, landed: readonly Landed[], bytes: number): Outcome {
  return { action, status: 'applied', landed, bytes };
}

export function skipped(action: Action, reason: string, landed: readonly Landed[] = []): Outcome {
  return { action, status: 'skipped', reason, landed };
}

/** The original error as a Problem on the relative path the action was writing. */
export function problemOf(err: unknown, relPath: string, op: string): Problem {
  if (err instanceof FsError) return { path: relPath, op, code: err.code, message: err.message, transient: err.transient };
  return { path: relPath, op, code: 'EOTHER', message: err instanceof Error ? err.message : String(err), transient: false };
}

export function takenProblem(relPath: string, absPath: string): Problem {
  const message = `EEXIST: conflict copy name already taken, rename '${absPath}'`;
  return { path: relPath, op: 'conflict_copy', code: 'EEXIST', message, transient: true };
}
