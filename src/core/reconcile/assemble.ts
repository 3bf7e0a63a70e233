import { ancestorsOf, comparePaths, depthOf, otherSide, type DirEntry, type Side } from '../entry.js';
import type { Action, Skip, Stage } from '../plan.js';
import { STAGES } from '../plan.js';
import type { Decision } from './decide.js';
import type { Sides } from './input.js';
import type { Resolutions } from './resolve.js';

/**
 * Step 3 of reconcile, first half: the actions, by stage, that bring each
 * decided path to its final state: the conflict copies first, then one path
 * at a time. `fixParents` is the second half.
 */
export function assembleActions(sides: Sides, decisions: ReadonlyMap<string, Decision>, resolutions: Resolutions): Action[] {
  const actions: Action[] = [...resolutions.copies];
  const final = new Map<string, Side>(); // path → side whose state it takes
  for (const path of sides.paths) {
    if (resolutions.forced.has(path)) {
      const w = resolutions.forced.get(path)!;
      if (w !== null) final.set(path, w);
      continue;
    }
    const d = decisions.get(path);
    if (!d || d.t === 'none') continue;
    if (d.t === 'propagate') final.set(path, d.from);
    else {
      const w = resolutions.winners.get(path);
      if (w) final.set(path, w);
    }
  }
  // A directory replaced by a file or link is cleared first: everything under it goes in the `clear` stage.
  const cleared: Record<Side, Set<string>> = { source: new Set(), target: new Set() };
  for (const [path, from] of final) {
    const to = otherSide(from);
    const e = sides.entry(from, path);
    if (e && e.kind !== 'dir' && sides.entry(to, path)?.kind === 'dir') cleared[to].add(path);
  }
  const underCleared = (side: Side, path: string) =>
    cleared[side].size > 0 && (cleared[side].has(path) || ancestorsOf(path).some((a) => cleared[side].has(a)));

  const movedAway = new Set<string>(); // `${side}\0${path}`: the loser's file was moved to its conflict copy
  for (const a of resolutions.copies) movedAway.add(`${a.loser}\0${a.path}`);

  for (const [path, from] of final) {
    const to = otherSide(from);
    const have = sides.entry(from, path);
    const there = movedAway.has(`${to}\0${path}`) ? undefined : sides.entry(to, path);
    if (have?.kind === 'problem' || there?.kind === 'problem') continue;
    const clearing = underCleared(to, path);
    if (!have) {
      if (!there) continue;
      if (there.kind === 'dir') actions.push({ op: 'rmdir', stage: clearing ? 'clear' : 'rmdir', path, side: to });
      else actions.push({ op: 'delete', stage: clearing ? 'clear' : 'delete', path, side: to, expected: there });
      continue;
    }
    if (have.kind === 'dir') {
      if (there?.kind === 'dir') continue;
      if (there) actions.push({ op: 'delete', stage: 'clear', path, side: to, expected: there });
      actions.push({ op: 'mkdir', stage: 'mkdir', path, to, entry: have });
      continue;
    }
    if (there?.kind === 'dir') actions.push({ op: 'rmdir', stage: 'clear', path, side: to });
    const expected = there && there.kind !== 'dir' ? there : null;
    if (have.kind === 'file') actions.push({ op: 'copy', stage: 'transfer', path, from, to, entry: have, expected });
    else actions.push({ op: 'symlink', stage: 'transfer', path, from, to, entry: have, expected });
  }
  return actions;
}

/**
 * Step 3 of reconcile, second half. Parents first: every path that will
 * exist on a side needs its ancestors to be directories there (a restored
 * file in a directory the other side deleted brings the directory back), and
 * a directory that will still hold anything is not removed. Returns the
 * actions with those mkdirs added and those rmdirs cancelled (and what their
 * cancelling blocks dropped), and a skip for each dropped path.
 */
export function fixParents(sides: Sides, assembled: readonly Action[]): { actions: Action[]; skips: Skip[] } {
  let actions = [...assembled];
  const skips: Skip[] = [];
  for (const side of ['source', 'target'] as const) {
    const snap = sides.snapshot(side);
    const removed = new Set<string>();
    const created = new Set<string>();
    const rmdirs = new Map<string, Action>();
    for (const a of actions) {
      if ((a.op === 'delete' || a.op === 'rmdir') && a.side === side) removed.add(a.path);
      if (a.op === 'rmdir' && a.side === side) rmdirs.set(a.path, a);
      if ((a.op === 'copy' || a.op === 'symlink' || a.op === 'mkdir') && a.to === side) created.add(a.path);
      if (a.op === 'conflict_copy') {
        if (a.loser === side) removed.add(a.path);
        if (a.sides.includes(side)) created.add(a.copyPath);
      }
    }
    const cancelled = new Set<Action>();
    const keepParentsOf = (path: string) => {
      for (const anc of ancestorsOf(path)) {
        const r = rmdirs.get(anc);
        if (r && !cancelled.has(r)) { cancelled.add(r); removed.delete(anc); }
      }
    };
    if (rmdirs.size > 0) {
      for (const p of snap.keys()) if (!removed.has(p)) keepParentsOf(p);
      for (const p of created) keepParentsOf(p);
    }
    const mkdirs: Action[] = [];
    const dropped = new Set<string>();
    for (const p of [...created].sort(comparePaths)) {
      const needed: string[] = [];
      let blocked = false;
      for (const anc of ancestorsOf(p)) {
        if (created.has(anc) && !dropped.has(anc)) break;
        const here = snap.get(anc);
        if (here?.kind === 'dir' && !removed.has(anc)) break;
        if (here && !removed.has(anc)) { blocked = true; break; } // a file the side keeps sits where a parent must go
        needed.push(anc);
      }
      if (blocked || needed.some((a) => dropped.has(a))) {
        // Writing here would destroy what the side keeps at a parent path (selective never does): skip it.
        dropped.add(p);
        skips.push({ path: p, side, reason: `a parent of this path is not a directory on the ${side}` });
        continue;
      }
      for (const anc of needed) {
        created.add(anc);
        const origin = sides.entry(otherSide(side), anc);
        mkdirs.push({ op: 'mkdir', stage: 'mkdir', path: anc, to: side, entry: origin?.kind === 'dir' ? (origin as DirEntry) : null });
      }
    }
    // A directory that cannot be cleared (it keeps something) cannot be replaced by a file either.
    for (const r of cancelled) {
      if (r.stage !== 'clear') continue;
      dropped.add(r.path);
      skips.push({ path: r.path, side, reason: `the directory on the ${side} holds entries that are not synced; it is not replaced` });
    }
    const isDropped = (a: Action) =>
      dropped.size > 0 && (((a.op === 'copy' || a.op === 'symlink' || a.op === 'mkdir') && a.to === side && dropped.has(a.path)) ||
        (a.op === 'conflict_copy' && a.sides.includes(side) && dropped.has(a.copyPath)));
    if (cancelled.size > 0 || dropped.size > 0) actions = actions.filter((a) => !cancelled.has(a) && !isDropped(a));
    actions.push(...mkdirs);
  }
  return { actions, skips };
}

/** Stage order (plan.ts `STAGES`); within a stage, `mkdir` shallowest first, `clear` and `rmdir` deepest first, then by path. */
export function inPlanOrder(actions: readonly Action[]): Action[] {
  const order = new Map<Stage, number>(STAGES.map((s, i) => [s, i]));
  return [...actions].sort((a, b) => {
    const st = order.get(a.stage)! - order.get(b.stage)!;
    if (st !== 0) return st;
    if (a.stage === 'mkdir') return depthOf(a.path) - depthOf(b.path) || comparePaths(a.path, b.path);
    if (a.stage === 'clear' || a.stage === 'rmdir') return depthOf(b.path) - depthOf(a.path) || comparePaths(a.path, b.path);
    return comparePaths(a.path, b.path);
  });
}
