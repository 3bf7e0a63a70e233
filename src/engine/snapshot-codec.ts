import type { Entry, Snapshot } from '../core/entry.js';

/**
 * A Snapshot packed for the trip from a scan worker to the main thread.
 *
 * Structured-cloning a Map of entry objects is slow: for 200,000 entries we
 * measured ~60 ms to serialise and 250-280 ms to deserialise, the latter on
 * the main thread, because every object, key and bigint is rebuilt one by
 * one. Packed: ~40 ms to pack in the worker, ~1 ms to cross, 80-160 ms to
 * rebuild the Map on the main thread. Packed,
 * the numbers travel as transferred ArrayBuffers (zero-copy), the paths as one
 * string (one memcpy), and only the rare strings of links and problems as an
 * array. The main thread rebuilds the Map once.
 *
 * Entry objects are rebuilt with the same property order as the filesystem
 * implementations create them, so code reading either sees one object shape.
 * `FileEntry.hash` does not travel: a scan (lstat only) never computes one.
 */
export interface PackedSnapshot {
  /** Relative paths joined by NUL, which no file name can contain. */
  readonly paths: string;
  readonly count: number;
  /** KIND_CODES index per entry. */
  readonly kinds: Uint8Array;
  readonly sizes: Float64Array;
  readonly mtimes: BigInt64Array;
  /** Permission bits (≤ 0o7777). */
  readonly modes: Uint16Array;
  readonly inos: Float64Array;
  /** In entry order: a symlink's text; a problem's code then its message. */
  readonly strings: readonly string[];
}

const FILE = 0;
const DIR = 1;
const SYMLINK = 2;
const PROBLEM = 3;

export function packSnapshot(entries: Snapshot): PackedSnapshot {
  return packEntries([...entries.keys()], [...entries.values()]);
}

/** Pack parallel arrays (path i has entry i; each path once), as the scan worker's walk collects them (scan/walk.ts `walkCollected`). */
export function packEntries(paths: readonly string[], list: readonly Entry[]): PackedSnapshot {
  const count = paths.length;
  if (list.length !== count) throw new Error(`packEntries: ${count} paths for ${list.length} entries`);
  const kinds = new Uint8Array(count);
  const sizes = new Float64Array(count);
  const mtimes = new BigInt64Array(count);
  const modes = new Uint16Array(count);
  const inos = new Float64Array(count);
  const strings: string[] = [];
  for (let i = 0; i < count; i++) {
    const e = list[i]!;
    switch (e.kind) {
      case 'file':
        kinds[i] = FILE;
        sizes[i] = e.size;
        mtimes[i] = e.mtimeNs;
        modes[i] = e.mode;
        inos[i] = e.ino;
        break;
      case 'dir':
        kinds[i] = DIR;
        mtimes[i] = e.mtimeNs;
        modes[i] = e.mode;
        inos[i] = e.ino;
        break;
      case 'symlink':
        kinds[i] = SYMLINK;
        mtimes[i] = e.mtimeNs;
        inos[i] = e.ino;
        strings.push(e.linkTarget);
        break;
      case 'problem':
        kinds[i] = PROBLEM;
        strings.push(e.code, e.message);
        break;
    }
  }
  return { paths: paths.join('\0'), count, kinds, sizes, mtimes, modes, inos, strings };
}

/** The buffers to hand to postMessage's transfer list, so they move instead of being copied. */
export function transferablesOf(packed: PackedSnapshot): ArrayBuffer[] {
  return [packed.kinds, packed.sizes, packed.mtimes, packed.modes, packed.inos].map((a) => a.buffer as ArrayBuffer);
}

export function unpackSnapshot(packed: PackedSnapshot): Map<string, Entry> {
  const { count, kinds, sizes, mtimes, modes, inos, strings } = packed;
  const out = new Map<string, Entry>();
  if (count === 0) return out;
  const paths = packed.paths.split('\0');
  if (paths.length !== count) {
    throw new Error(`unpackSnapshot: ${paths.length} paths for ${count} entries (a path contains NUL?)`);
  }
  let s = 0;
  for (let i = 0; i < count; i++) {
    let entry: Entry;
    switch (kinds[i]) {
      case FILE:
        entry = { kind: 'file', size: sizes[i]!, mtimeNs: mtimes[i]!, mode: modes[i]!, ino: inos[i]! };
        break;
      case DIR:
        entry = { kind: 'dir', mode: modes[i]!, mtimeNs: mtimes[i]!, ino: inos[i]! };
        break;
      case SYMLINK:
        entry = { kind: 'symlink', linkTarget: strings[s++]!, mtimeNs: mtimes[i]!, ino: inos[i]! };
        break;
      case PROBLEM:
        entry = { kind: 'problem', code: strings[s++]!, message: strings[s++]! };
        break;
      default:
        throw new Error(`unpackSnapshot: unknown kind code ${kinds[i]} at ${paths[i]}`);
    }
    out.set(paths[i]!, entry);
  }
  return out;
}
