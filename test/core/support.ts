import { filesToHash } from '../../src/core/content-check.js';
import { baselineFromWrittenPair, parentOf, type BaselineEntry, type Entry, type FileEntry, type Side, type SideState, type Snapshot } from '../../src/core/entry.js';
import { nextBaseline } from '../../src/core/next-baseline.js';
import type { Action, Plan } from '../../src/core/plan.js';
import { reconcile, type ReconcileInput } from '../../src/core/reconcile.js';
import type { Mode } from '../../src/core/vocabulary.js';

/**
 * A tiny tree notation for reconcile tests. Content and mtime are independent
 * (as on a disk: `touch` changes one, an edit within the same second keeps the
 * other), so a row says both whenever they matter:
 *   'a.txt': 'v1'                         content "v1", mtime DEFAULT_MTIME s, mode 0644
 *   'a.txt': ['v1', 7]                    content "v1", mtime 7 s
 *   'a.txt': { content: 'v1', mtime: 7, mode: 0o755 }
 *   'd/': true                            a directory (mtime 1 s); { dir: 30 } one with mtime 30 s
 *   'l': { link: 'x' }                    a symlink with text "x"
 *   'p': { problem: 'why' }               a path the scan could not read
 * Every file carries its content as a test-only tag, so the engine's hashing
 * step can be played faithfully: `withEngineHashes` attaches a hash (derived
 * from the content) to exactly the files `filesToHash` names, and no other.
 */
export type FileSpec = string | [content: string, mtimeSec: number] | { content: string; mtime?: number; mode?: number };
export type TreeSpec = Record<string, FileSpec | true | { dir: number } | { link: string } | { problem: string }>;

export const DEFAULT_MTIME = 10;

/** What a file holds, as a tag that survives `{ ...entry }` (the engine never sees a use for it). */
export const CONTENT = Symbol('content');
type Tagged = FileEntry & { [CONTENT]?: string };

let inoCounter = 1000;
const sec = (s: number) => BigInt(Math.round(s * 1000)) * 1_000_000n;

export function fileEntry(content: string, mtimeSec = DEFAULT_MTIME, mode = 0o644): FileEntry {
  const e: Tagged = { kind: 'file', size: Buffer.byteLength(content), mode, ino: inoCounter++, mtimeNs: sec(mtimeSec) };
  e[CONTENT] = content;
  return e;
}

export function contentOf(entry: Entry): string | undefined {
  return entry.kind === 'file' ? (entry as Tagged)[CONTENT] : undefined;
}

/** The hash the engine would compute for this content (distinct contents, distinct hashes). */
export function hashOf(content: string): string {
  return `sha256(${content})`;
}

export function tree(spec: TreeSpec): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const dir = (mtime = 1): Entry => ({ kind: 'dir', mode: 0o755, mtimeNs: sec(mtime), ino: inoCounter++ });
  const addDirs = (p: string) => {
    for (let d = parentOf(p); d !== ''; d = parentOf(d)) if (!out.has(d)) out.set(d, dir());
  };
  for (const [key, v] of Object.entries(spec)) {
    const path = key.replace(/\/$/, '');
    addDirs(path);
    if (v === true) out.set(path, dir());
    else if (typeof v === 'string') out.set(path, fileEntry(v));
    else if (Array.isArray(v)) out.set(path, fileEntry(v[0], v[1]));
    else if ('content' in v) out.set(path, fileEntry(v.content, v.mtime, v.mode));
    else if ('dir' in v) out.set(path, dir(v.dir));
    else if ('link' in v) out.set(path, { kind: 'symlink', linkTarget: v.link, mtimeNs: sec(5), ino: inoCounter++ });
    else out.set(path, { kind: 'problem', code: 'EACCES', message: v.problem });
  }
  return out;
}

/**
 * A baseline where both sides held exactly this tree, as the engine records
 * it after a copy: in sync by construction, the hash unknown (null), as after
 * any copy whose origin was not hashed. The inodes are unknown (as in a row
 * written before issue 9): every `tree` call draws fresh ones, so the rows
 * cannot know the sides'; tests of the inode give them explicitly.
 */
export function baselineOf(spec: TreeSpec): Map<string, BaselineEntry> {
  const out = new Map<string, BaselineEntry>();
  for (const [p, e] of tree(spec)) {
    const b = baselineFromWrittenPair(e, e, null);
    if (b) out.set(p, { ...b, source: withoutIno(b.source), target: withoutIno(b.target) });
  }
  return out;
}

function withoutIno(state: SideState): SideState {
  return { mtimeNs: state.mtimeNs, mode: state.mode };
}

/**
 * The engine's hashing step (engine/content-hashes.ts `hashWhereContentDecides`):
 * `filesToHash` names the files to hash, and only those get a hash. A file
 * reconcile needs to compare but that `filesToHash` missed stays unhashed, so
 * reconcile never takes it as identical: a missed candidate shows in the plan.
 */
export function withEngineHashes(
  mode: Mode, baseline: ReadonlyMap<string, BaselineEntry>, source: Snapshot, target: Snapshot, checksum = false,
): { source: Map<string, Entry>; target: Map<string, Entry>; hashed: Record<Side, string[]> } {
  const wanted = filesToHash(mode, checksum, baseline, source, target);
  const attach = (snap: Snapshot, paths: readonly string[]) => {
    const out = new Map(snap);
    for (const p of paths) {
      const e = snap.get(p);
      if (e?.kind !== 'file') throw new Error(`filesToHash named ${p}, which is not a file`);
      const content = contentOf(e);
      if (content === undefined) throw new Error(`test fixture: no content for ${p}`);
      out.set(p, { ...e, hash: hashOf(content) });
    }
    return out;
  };
  return { source: attach(source, wanted.source), target: attach(target, wanted.target), hashed: wanted };
}

/** reconcile as a generation runs it: hashes first, where filesToHash says. */
export function reconcileAsEngine(input: Omit<ReconcileInput, 'source' | 'target'> & { source: Snapshot; target: Snapshot }) {
  const hashed = withEngineHashes(input.mode, input.baseline, input.source, input.target, input.checksum === true);
  const plan = reconcile({ ...input, source: hashed.source, target: hashed.target });
  return { plan, source: hashed.source, target: hashed.target, hashed: hashed.hashed };
}

/**
 * One generation end to end in memory: hash, reconcile, apply, next baseline.
 * Returns the trees after it and the new baseline, ready for the next one.
 */
export function generationInMemory(input: Omit<ReconcileInput, 'source' | 'target'> & { source: Snapshot; target: Snapshot }) {
  const { plan, source, target } = reconcileAsEngine(input);
  const after = { source: new Map(input.source), target: new Map(input.target) };
  applyPlan(plan, after);
  const changes = nextBaseline(input.baseline, source, target, plan, landedOutcomes(plan, after));
  const baseline = new Map(input.baseline);
  for (const p of changes.deletes) baseline.delete(p);
  for (const [p, e] of changes.upserts) baseline.set(p, e);
  return { plan, after, baseline };
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
  // The disk holds bytes, not hashes: a written file is a new stat of the same content, hash unknown.
  const withoutHash = (e: Entry): Entry => {
    if (e.kind !== 'file') return e;
    const { hash: _hash, ...rest } = e;
    return rest;
  };
  const landed = (e: Entry): Entry => ({ ...withoutHash(e), ino: ino++ }) as Entry;
  for (const a of plan.actions) {
    switch (a.op) {
      case 'copy':
      case 'symlink': {
        const cur = sides[a.to].get(a.path);
        if (cur?.kind === 'dir') throw new Error(`${a.op} ${a.path}: a directory is in the way on ${a.to}`);
        needParent(a.to, a.path, `${a.op} ${a.path}`);
        sides[a.to].set(a.path, landed(a.entry));
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
          sides[side].set(a.copyPath, side === a.loser ? withoutHash(cur) : landed(cur)); // the loser's side renames: same inode
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
