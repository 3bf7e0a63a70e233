import { basename, dirname, join, relative, sep } from 'node:path';
import type { Stats } from 'node:fs';
import { FSWatcher, type ChokidarOptions } from 'chokidar';
import { mayNeedBytes, nameFromText } from '../fs/byte-names.js';
import type { ObservedState } from './observation.js';

/**
 * The only chokidar user: NodeFileSystem's `watch` capability
 * (`FileSystem.watch(roots, options, onEvents) → close`). Everything above it
 * sees plain `WatchEvent`s; the in-memory filesystem emits the same shapes.
 * It reads nothing itself: what a named path holds comes from the
 * filesystem's own lstat (`observe`), through the same edge as every other
 * access to the disk.
 *
 * Directories only. chokidar opens one inotify watch per *file* it tracks;
 * a 100,000-file conduit would need 200,000 watches for its two roots, more
 * than Linux allows by default (fs.inotify.max_user_watches is 8192–~200k
 * depending on RAM) and ~1 KB of kernel memory each. An inotify watch on a
 * directory already reports every change to the entries inside it, with the
 * entry's name, so chokidar is told to track directories (to follow new and
 * removed subdirectories) and to ignore files, and the names come from its
 * `raw` event. Each named path is then lstat'ed once, here, so consumers get
 * its size and nanosecond mtime (echo suppression and verification compare
 * them). Cost: one watch per directory, not per file.
 */
export interface WatchOptions {
  /** Names to drop before anything else (the engine's own temporaries). */
  readonly ignoreName?: (name: string) => boolean;
  /** Relative paths (POSIX) to drop, with everything below them (e.g. a versioning directory). */
  readonly ignorePath?: (relativePath: string) => boolean;
}

export type WatchEvent =
  | {
      readonly type: 'change';
      /** The root, exactly as passed to `watch`. */
      readonly root: string;
      /** Relative POSIX path under the root (never empty). */
      readonly path: string;
      readonly state: ObservedState;
    }
  /** The root itself disappeared or came back. */
  | { readonly type: 'root'; readonly root: string; readonly present: boolean }
  /** The watcher failed for this root (e.g. out of inotify watches): events may have been lost. */
  | { readonly type: 'error'; readonly root: string; readonly message: string };

export interface Watcher {
  /** Resolves once every root's initial tree is being watched. */
  readonly ready: Promise<void>;
  close(): Promise<void>;
}

/** How often a vanished root is looked for. */
const ROOT_POLL_MS = 2_000;

/** Paths lstat'ed at once by one root's flush (the libuv pool has 4 threads: more only queue, holding memory). */
const OBSERVE_AT_ONCE = 256;

/** What is at an absolute path now (NodeFileSystem's lstat, as an ObservedState). */
export type Observe = (path: string) => Promise<ObservedState>;

export function watchWithChokidar(
  roots: readonly string[], options: WatchOptions, onEvents: (events: readonly WatchEvent[]) => void, observe: Observe,
): Watcher {
  const watchers = roots.map((root) => watchRoot(root, options, onEvents, observe));
  return {
    ready: Promise.all(watchers.map((w) => w.ready)).then(() => undefined),
    async close() {
      await Promise.all(watchers.map((w) => w.close()));
    },
  };
}

function watchRoot(root: string, options: WatchOptions, onEvents: (events: readonly WatchEvent[]) => void, observe: Observe): Watcher {
  const fsw: FSWatcher = watchDirectories(root, {
    ignoreInitial: true,
    followSymlinks: false,
    persistent: true,
    // Track directories only (see above). `kind` is undefined on the first,
    // name-only check, when a path cannot be ignored yet; it is the lstat of a
    // path chokidar adds, and the readdir Dirent of an entry of a directory it
    // reads (DirectoryWatcher): only its type is asked.
    ignored: (path, kind?: EntryKind) => (kind !== undefined && !kind.isDirectory()) || ignored(root, path, options),
  });
  let closed = false;
  // Paths named by events since the last flush; lstat'ed and delivered together.
  let queued = new Set<string>();
  let flushing = false;

  const flush = async (): Promise<void> => {
    while (queued.size > 0 && !closed) {
      const batch = [...queued];
      queued = new Set();
      // A slice at a time: a generation writing 100,000 files queues that many paths while a flush
      // awaits, and one lstat request in flight per path is ~1 KB (request, promise, stat arrays).
      for (let at = 0; at < batch.length && !closed; at += OBSERVE_AT_ONCE) {
        const events = await Promise.all(batch.slice(at, at + OBSERVE_AT_ONCE).map(async (path): Promise<WatchEvent> => ({
          type: 'change', root, path, state: await observe(join(root, path)),
        })));
        if (!closed) onEvents(events);
      }
    }
    flushing = false;
  };
  const enqueue = (absolute: string): void => {
    const rel = relative(root, absolute);
    if (rel === '' || outside(rel)) return;
    if (mayNeedBytes(rel)) {
      // chokidar names paths as UTF-8 strings: a name that is not valid UTF-8 arrives with U+FFFD,
      // which names no file. Its directory does (the fast path walks it); below the root itself,
      // only a full scan can say what changed. (Inside a directory whose own name is not UTF-8
      // chokidar sees nothing: the periodic full generation covers it.)
      if (rel.includes('\uFFFD')) {
        const parent = dirname(absolute);
        if (relative(root, parent) === '') onEvents([{ type: 'error', root, message: `a name that is not valid UTF-8 changed in ${root}` }]);
        else enqueue(parent);
        return;
      }
    }
    const path = nameFromText(sep === '/' ? rel : rel.split(sep).join('/'));
    if (ignored(root, absolute, options)) return;
    queued.add(path);
    // One flush at a time: a second one started while the first awaits its lstats would deliver
    // its newer states first and the first's older ones after them, so the latest event for a
    // path could say less than the disk does.
    if (!flushing) {
      flushing = true;
      setImmediate(() => void flush());
    }
  };

  // The root itself going or coming back (an unplugged drive) is an event of its own: chokidar
  // keeps watching the parent for it and re-attaches when it returns. Reported once per change.
  let rootPresent = true;
  let rootPoll: NodeJS.Timeout | null = null;
  const rootIs = (present: boolean): void => {
    if (closed || present === rootPresent) return;
    rootPresent = present;
    if (!present) pollForRoot();
    onEvents([{ type: 'root', root, present }]);
  };
  // chokidar re-attaches to a root renamed away and back, but not to one removed and recreated:
  // while it is gone, look for it every few seconds, and watch it afresh when it is back.
  const pollForRoot = (): void => {
    if (rootPoll !== null) return;
    rootPoll = setInterval(() => {
      void observe(root).then((state) => {
        if (closed || state.kind !== 'dir') return;
        if (rootPoll !== null) clearInterval(rootPoll);
        rootPoll = null;
        if (rootPresent) return;
        fsw.unwatch(root);
        fsw.add(root);
        rootIs(true);
      });
    }, ROOT_POLL_MS);
    rootPoll.unref();
  };
  const recheckRoot = (): void => {
    void observe(root).then((state) => rootIs(state.kind !== 'absent'));
  };
  // raw: (eventType, filename, { watchedPath }) from the directory's fs.watch.
  fsw.on('raw', (_event, filename, details) => {
    const watchedPath = (details as { watchedPath?: string } | undefined)?.watchedPath;
    if (typeof watchedPath !== 'string' || typeof filename !== 'string' || filename === '') return;
    // The root's own watch reporting the root itself (removed, renamed): chokidar's unlinkDir does
    // not always follow (not for a removal), so look. (RACE: a child named like the root itself
    // is reported by its directory only through the next batch or full scan.)
    // A directory's watch names the directory itself when its own attributes change (e.g. its
    // mtime restored after a write inside): that is news about the directory, not about a child
    // of the same name (which would look deleted). The directory's path covers such a child too.
    if (filename === basename(watchedPath)) {
      if (watchedPath === root) recheckRoot();
      else enqueue(watchedPath);
      return;
    }
    enqueue(join(watchedPath, filename));
  });
  // Directories chokidar noticed itself (e.g. a subtree moved in): their own path matters too.
  fsw.on('addDir', (path) => (relative(root, path) === '' ? rootIs(true) : enqueue(path)));
  fsw.on('unlinkDir', (path) => (relative(root, path) === '' ? rootIs(false) : enqueue(path)));
  fsw.on('error', (error) => {
    if (closed) return;
    onEvents([{ type: 'error', root, message: error instanceof Error ? error.message : String(error) }]);
  });
  const ready = new Promise<void>((resolve) => fsw.once('ready', () => resolve()));
  return {
    ready,
    async close() {
      closed = true;
      if (rootPoll !== null) clearInterval(rootPoll);
      await fsw.close();
    },
  };
}

/** What `ignored` may ask of an entry: a Stats or a Dirent both answer it. */
interface EntryKind {
  isDirectory(): boolean;
}

type ReaddirpOptions = NonNullable<Parameters<FSWatcher['_readdirp']>[1]>;
type EntryFilter = NonNullable<ReaddirpOptions['fileFilter']>;
type EntryInfo = Parameters<Extract<EntryFilter, (entry: never) => boolean>>[0];

/**
 * chokidar, reading each directory by its entries' types (readdir withFileTypes)
 * instead of their lstats. Every directory read of chokidar 5 (`_readdirp`: the
 * initial walk, and a re-read after events in the directory, at most once a
 * second) asks readdirp for `alwaysStat: true, lstat: true`, one lstat and one
 * Stats per entry, files included, before `ignored` drops them; no option turns
 * that off (`ignored`, `depth` and `ignorePermissionErrors` are all consulted
 * after the lstat), and the reads of all directories run at once. On a
 * 100,000-file root that was ~100,000 lstats in flight before `ready`: 2.3 s and
 * ~460 MB peak RSS for 7 MB of live heap (scripts/bench-watch.mjs). chokidar
 * spreads the options it is given after those defaults, so `alwaysStat: false`
 * here wins, and the entry's Dirent stands in for the Stats chokidar reads of
 * the entries that pass the filters (`isSymbolicLink`, and `isDirectory` in our
 * `ignored`). Its own lstat of each directory it adds is kept.
 * `_readdirp` is declared in chokidar's types but not documented: the watcher
 * test "gets ready without an lstat or stat of any file" fails if chokidar stops
 * honouring this, and chokidar without the method is used as it is.
 */
class DirectoryWatcher extends FSWatcher {
  override _readdirp(root: string, opts?: Partial<ReaddirpOptions>): ReturnType<FSWatcher['_readdirp']> {
    return super._readdirp(root, {
      ...opts,
      alwaysStat: false,
      fileFilter: withTypeAsStats(opts?.fileFilter),
      directoryFilter: withTypeAsStats(opts?.directoryFilter),
    });
  }
}

function watchDirectories(root: string, options: ChokidarOptions): FSWatcher {
  const fsw = typeof FSWatcher.prototype._readdirp === 'function' ? new DirectoryWatcher(options) : new FSWatcher(options);
  return fsw.add(root);
}

/** The filter, given entries whose `stats` is their Dirent (chokidar reads `entry.stats` of what passes). */
function withTypeAsStats(filter: EntryFilter = () => true): EntryFilter {
  if (typeof filter !== 'function') return filter;
  return (entry: EntryInfo) => {
    // A Dirent answers every question chokidar asks of a directory entry's stats (its type).
    if (entry.stats === undefined && entry.dirent !== undefined) entry.stats = entry.dirent as unknown as Stats;
    return filter(entry);
  };
}

function ignored(root: string, absolute: string, options: WatchOptions): boolean {
  if (options.ignoreName?.(basename(absolute))) return true;
  if (!options.ignorePath) return false;
  const rel = relative(root, absolute);
  if (rel === '' || outside(rel)) return false;
  return options.ignorePath(sep === '/' ? rel : rel.split(sep).join('/'));
}

/** A relative path that leaves the root (events chokidar gets from the watched parent of a missing root). */
function outside(rel: string): boolean {
  return rel === '..' || rel.startsWith(`..${sep}`) || rel.startsWith(sep);
}
