import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Real temp trees for integration and e2e tests: write a tree from a compact
 * spec, read one back as a plain object (so `toEqual` prints a readable diff),
 * stat it with nanosecond mtimes, and find conduit temporaries anywhere.
 */

export interface TempArea {
  /** The temp folder holding everything of one test. */
  readonly base: string;
  readonly source: string;
  readonly target: string;
  readonly db: string;
  cleanup(): void;
}

/** A fresh folder with `source/` (created) and `target/` (not created: the first generation makes it). */
export function tempArea(prefix = 'conduit-test-', options: { createTarget?: boolean } = {}): TempArea {
  const base = fs.mkdtempSync(join(tmpdir(), prefix));
  const source = join(base, 'source');
  const target = join(base, 'target');
  fs.mkdirSync(source);
  if (options.createTarget) fs.mkdirSync(target);
  return {
    base, source, target, db: join(base, 'conduit.db'),
    cleanup: () => {
      // A test may have left a directory without owner write permission.
      try { fs.rmSync(base, { recursive: true, force: true }); } catch { /* best effort */ }
    },
  };
}

/** One path of a tree spec: file content, or a file with attributes, a link, or a directory. */
export type TreeValue =
  | string
  | Buffer
  | { readonly content: string | Buffer; readonly mode?: number; readonly mtime?: number }
  | { readonly symlink: string }
  | { readonly dir: true; readonly mode?: number };

/** Writes every entry of `spec` under `root` (creating parents). `mtime` is in seconds since the epoch (fractions allowed). */
export function writeTree(root: string, spec: Record<string, TreeValue>): void {
  for (const [rel, value] of Object.entries(spec)) {
    const path = join(root, rel);
    fs.mkdirSync(dirname(path), { recursive: true });
    if (typeof value === 'string' || Buffer.isBuffer(value)) {
      fs.writeFileSync(path, value);
    } else if ('symlink' in value) {
      fs.symlinkSync(value.symlink, path);
    } else if ('dir' in value) {
      fs.mkdirSync(path, { recursive: true });
      if (value.mode !== undefined) fs.chmodSync(path, value.mode);
    } else {
      fs.writeFileSync(path, value.content);
      if (value.mode !== undefined) fs.chmodSync(path, value.mode);
      if (value.mtime !== undefined) fs.utimesSync(path, value.mtime, value.mtime);
    }
  }
}

/** Writes a file (creating parents) and optionally sets its mtime (seconds). */
export function put(root: string, rel: string, content: string | Buffer, mtime?: number): void {
  writeTree(root, { [rel]: mtime === undefined ? content : { content, mtime } });
}

export type TreeView = Record<string, string | true | { readonly symlink: string } | { readonly other: string }>;

/**
 * Everything under `root` as relative path → value: files by their UTF-8
 * content, directories (keys ending in `/`) as `true`, links as `{ symlink }`.
 * Never follows a link. `skip` leaves out top-level names (the versions dir…).
 */
export function readTree(root: string, options: { skip?: readonly string[] } = {}): TreeView {
  const out: TreeView = {};
  const walk = (dir: string, prefix: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const rel = prefix + name;
      if (prefix === '' && options.skip?.includes(name)) continue;
      const path = join(dir, name);
      const st = fs.lstatSync(path);
      if (st.isSymbolicLink()) out[rel] = { symlink: fs.readlinkSync(path) };
      else if (st.isDirectory()) {
        out[`${rel}/`] = true;
        walk(path, `${rel}/`);
      } else if (st.isFile()) out[rel] = fs.readFileSync(path, 'utf8');
      else out[rel] = { other: 'special' };
    }
  };
  walk(root, '');
  return out;
}

export interface StatView {
  readonly kind: 'file' | 'dir' | 'symlink' | 'other';
  readonly size: number;
  readonly mode: number;
  readonly mtimeNs: bigint;
  readonly ino: bigint;
}

/** lstat of every path under `root` (bigint, never following links). */
export function statTree(root: string): Map<string, StatView> {
  const out = new Map<string, StatView>();
  const walk = (dir: string, prefix: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const rel = prefix + name;
      const path = join(dir, name);
      const st = fs.lstatSync(path, { bigint: true });
      const kind = st.isSymbolicLink() ? 'symlink' : st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
      out.set(rel, { kind, size: Number(st.size), mode: Number(st.mode & 0o7777n), mtimeNs: st.mtimeNs, ino: st.ino });
      if (kind === 'dir') walk(path, `${rel}/`);
    }
  };
  walk(root, '');
  return out;
}

/** Every `.conduit-tmp-` file (or anything so named) under `dir`, as relative paths. */
export function tempFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, prefix: string): void => {
    // Safe on a tree that a running generation is changing: nothing here throws when a name vanishes.
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      const rel = prefix + e.name;
      if (e.name.includes('.conduit-tmp-')) out.push(rel);
      if (e.isDirectory()) walk(join(d, e.name), `${rel}/`);
    }
  };
  walk(dir, '');
  return out.sort();
}

/** Number of regular files under `dir` (0 when it does not exist), conduit temporaries aside with `finalOnly`. Never follows links. */
export function countFiles(dir: string, options: { finalOnly?: boolean } = {}): number {
  let n = 0;
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try { entries = fs.readdirSync(d, { withFileTypes: true }); } catch { return; }
    for (const e of entries) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.isFile() && !(options.finalOnly && e.name.includes('.conduit-tmp-'))) n++;
    }
  };
  walk(dir);
  return n;
}

/** Polls `check` until it returns true or `timeoutMs` passes (then throws with `what`). */
export async function waitFor(what: string, check: () => boolean, timeoutMs = 60_000, intervalMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
