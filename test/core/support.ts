import { baselineFromPair, parentOf, type BaselineEntry, type Entry, type Side } from '../../src/core/entry.js';
import type { Action, Plan } from '../../src/core/plan.js';

/**
 * A tiny tree notation for reconcile tests:
 *   'a.txt': 'v1'          a file whose content is "v1" (mtime derived from the content)
 *   'a.txt': ['v1', 7]     the same content with mtime 7 s
 *   'd/': true             a directory
 *   'l': { link: 'x' }     a symlink with text "x"
 * Different contents get different mtimes, so they never look equal by the
 * quick check; equal content strings are equal entries.
 */
export type TreeSpec = Record<string, string | [string, number] | true | { link: string } | { problem: string }>;

let inoCounter = 1000;

export function mtimeOf(content: string): bigint {
  let h = 0;
  for (const c of content) h = (h * 31 + c.charCodeAt(0)) % 1_000_000;
  return BigInt(1_600_000_000 + h) * 1_000_000_000n;
}

export function fileEntry(content: string, mtimeSec?: number, mode = 0o644): Entry {
  return {
    kind: 'file', size: content.length, mode, ino: inoCounter++,
    mtimeNs: mtimeSec === undefined ? mtimeOf(content) : BigInt(mtimeSec) * 1_000_000_000n,
  };
}

export function tree(spec: TreeSpec): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const addDirs = (p: string) => {
    for (let d = parentOf(p); d !== ''; d = parentOf(d)) if (!out.has(d)) out.set(d, { kind: 'dir', mode: 0o755, mtimeNs: 1n, ino: inoCounter++ });
  };
  for (const [key, v] of Object.entries(spec)) {
    const path = key.replace(/\/$/, '');
    addDirs(path);
    if (v === true) out.set(path, { kind: 'dir', mode: 0o755, mtimeNs: 1n, ino: inoCounter++ });
    else if (typeof v === 'string') out.set(path, fileEntry(v));
    else if (Array.isArray(v)) out.set(path, fileEntry(v[0], v[1]));
    else if ('link' in v) out.set(path, { kind: 'symlink', linkTarget: v.link, mtimeNs: 5n, ino: inoCounter++ });
    else out.set(path, { kind: 'problem', code: 'EACCES', message: v.problem });
  }
  return out;
}

/** A baseline where both sides held exactly this tree. */
export function baselineOf(spec: TreeSpec): Map<string, BaselineEntry> {
  const t = tree(spec);
  const out = new Map<string, BaselineEntry>();
  for (const [p, e] of t) {
    const b = baselineFromPair(e, e);
    if (b) out.set(p, b);
  }
  return out;
}

/** One line per action, e.g. `copy source>target a.txt`, `delete target b`, `conflict_copy source a.txt => a.conflict-source-S.txt [source,target]`. */
export function describe(action: Action): string {
  switch (action.op) {
    case 'copy':
    case 'symlink':
      return `${action.op} ${action.from}>${action.to} ${action.path}`;
    case 'mkdir':
      return `mkdir ${action.to} ${action.path}`;
    case 'delete':
    case 'rmdir':
      return `${action.op} ${action.side} ${action.path}${action.stage === 'clear' ? ' (clear)' : ''}`;
    case 'conflict_copy':
      return `conflict_copy ${action.loser} ${action.path} => ${action.copyPath} [${action.sides.join(',')}]`;
  }
}

export function swapSides(line: string): string {
  return line
    .replace(/(?<![a-z])(source|target)(?![a-z])/g, (m) => (m === 'source' ? 'target' : 'source'))
    .replace(/\[([a-z,]+)\]/g, (_, list: string) => `[${list.split(',').sort().join(',')}]`);
}

/**
 * Applies a plan to in-memory snapshots the way the transfer stage would,
 * failing loudly on anything the real disk would refuse: a write into a
 * missing parent, a delete of something that is not there, a rmdir of a
 * non-empty directory holding synced entries.
 */
export function applyPlan(plan: Plan, sides: Record<Side, Map<string, Entry>>): void {
  let ino = 900_000;
  const needParent = (side: Side, path: string, what: string) => {
    const parent = parentOf(path);
    if (parent !== '' && sides[side].get(parent)?.kind !== 'dir') throw new Error(`${what}: parent ${parent} missing on ${side}`);
  };
  for (const a of plan.actions) {
    switch (a.op) {
      case 'copy':
      case 'symlink': {
        const cur = sides[a.to].get(a.path);
        if (cur?.kind === 'dir') throw new Error(`${a.op} ${a.path}: a directory is in the way on ${a.to}`);
        needParent(a.to, a.path, `${a.op} ${a.path}`);
        sides[a.to].set(a.path, { ...a.entry, ino: ino++ });
        break;
      }
      case 'mkdir': {
        needParent(a.to, a.path, `mkdir ${a.path}`);
        const cur = sides[a.to].get(a.path);
        if (cur && cur.kind !== 'dir') throw new Error(`mkdir ${a.path}: a ${cur.kind} is in the way on ${a.to}`);
        sides[a.to].set(a.path, a.entry ?? { kind: 'dir', mode: 0o755, mtimeNs: 1n, ino: ino++ });
        break;
      }
      case 'delete':
        if (!sides[a.side].has(a.path)) throw new Error(`delete ${a.path}: nothing there on ${a.side}`);
        sides[a.side].delete(a.path);
        break;
      case 'rmdir': {
        for (const p of sides[a.side].keys()) if (p.startsWith(`${a.path}/`)) throw new Error(`rmdir ${a.path}: not empty on ${a.side} (${p})`);
        sides[a.side].delete(a.path);
        break;
      }
      case 'conflict_copy': {
        const cur = sides[a.loser].get(a.path);
        if (!cur) throw new Error(`conflict_copy ${a.path}: nothing there on ${a.loser}`);
        sides[a.loser].delete(a.path);
        for (const side of a.sides) {
          if (sides[side].has(a.copyPath)) throw new Error(`conflict_copy: ${a.copyPath} taken on ${side}`);
          needParent(side, a.copyPath, `conflict_copy ${a.copyPath}`);
          sides[side].set(a.copyPath, side === a.loser ? cur : ({ ...cur, ino: ino++ } as Entry));
        }
        break;
      }
    }
  }
}

/** Outcomes as the transfer stage reports them when every action applied (landed = the simulated result). */
export function landedOutcomes(plan: Plan, after: Record<Side, Map<string, Entry>>) {
  return plan.actions.map((action) => {
    const landed: { side: Side; path: string; entry: Entry | null }[] = [];
    const note = (side: Side, path: string) => landed.push({ side, path, entry: after[side].get(path) ?? null });
    switch (action.op) {
      case 'copy': case 'symlink': case 'mkdir': note(action.to, action.path); break;
      case 'delete': case 'rmdir': note(action.side, action.path); break;
      case 'conflict_copy': note(action.loser, action.path); for (const s of action.sides) note(s, action.copyPath); break;
    }
    return { action, status: 'applied' as const, landed, bytes: 0 };
  });
}
