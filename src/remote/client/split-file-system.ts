import type { Entry } from '../../core/entry.js';
import type { CopyRequest } from '../../engine/copy-protocol.js';
import type { CopyFailure, CopyItemResult, MkdirItemResult } from '../../engine/copy-sync.js';
import type { MkdirRequest } from '../../engine/mkdir-protocol.js';
import type { ScanOptions, ScanResult } from '../../engine/scan.js';
import { FsError, type CopyBatches, type CopyOptions, type FileSystem, type HashOutcome } from '../../fs/file-system.js';
import type { WatchEvent, Watcher, WatchOptions } from '../../watch/watcher.js';
import { copyBatchAcross, copyFileAcross } from './cross-copy.js';
import type { RemoteFileSystem } from './remote-file-system.js';
import { MOUNT_PREFIX } from '../root-url.js';

/** Where a remote root appears to the engine: its mount path (root-url.ts `mountPathOf`) and its real path on the far host. */
export interface Mount {
  readonly mountPath: string;
  readonly remotePath: string;
}

type Host = 'local' | 'remote';

/**
 * The one FileSystem a generation of a conduit with a remote root uses
 * (issue 10): every path under the mount path goes to the remote filesystem,
 * translated to its real path on the far host; everything else to the local
 * one. Results come back translated (walks and hash sets by root; watch
 * events' roots; the paths of errors). A path that looks like a mount path
 * but is not this one is refused (EACCES): a remote path never reaches the
 * local disk.
 *
 * Across the two hosts: `copyFile` and copy batches holding cross-host
 * requests go to cross-copy.ts (push: origin here, destination there; pull:
 * the reverse); `rename` across hosts is a bug (EXDEV), as between two local
 * filesystems.
 */
export class SplitFileSystem implements FileSystem {
  private readonly mountPath: string;
  private readonly remotePath: string;

  constructor(
    readonly local: FileSystem,
    readonly remote: RemoteFileSystem,
    mount: Mount,
  ) {
    if (!mount.mountPath.startsWith(MOUNT_PREFIX)) throw new Error(`SplitFileSystem: ${JSON.stringify(mount.mountPath)} is not a mount path (${MOUNT_PREFIX}...)`);
    this.mountPath = mount.mountPath.replace(/(.)\/$/, '$1');
    this.remotePath = mount.remotePath;
  }

  // ---- routing ----

  /** Which host holds `path`; a mount path of another remote root is refused. */
  hostOf(path: string, op: string): Host {
    if (path === this.mountPath || path.startsWith(`${this.mountPath}/`)) return 'remote';
    if (path.startsWith(MOUNT_PREFIX)) throw new FsError('EACCES', op, path, `EACCES: ${op} '${path}': not below this conduit's remote root ${this.mountPath}`);
    return 'local';
  }

  /** The far host's real path for a mount path (one `hostOf` said is remote). */
  toRemote(path: string): string {
    const rest = path.slice(this.mountPath.length);
    if (this.remotePath === '/') return rest === '' ? '/' : rest;
    return this.remotePath + rest;
  }

  /** The mount path for a real path on the far host (below the remote root). */
  toMount(real: string): string {
    if (this.remotePath === '/') return real === '/' ? this.mountPath : this.mountPath + real;
    if (real === this.remotePath) return this.mountPath;
    if (real.startsWith(`${this.remotePath}/`)) return this.mountPath + real.slice(this.remotePath.length);
    return real;
  }

  /** Run `fn` on the host of `path`, with the path as that host knows it; a remote error names the mount path. */
  private async on<T>(path: string, op: string, fn: (fs: FileSystem, at: string) => Promise<T>): Promise<T> {
    if (this.hostOf(path, op) === 'local') return fn(this.local, path);
    try {
      return await fn(this.remote, this.toRemote(path));
    } catch (err) {
      throw this.mountedError(err);
    }
  }

  /** An FsError from the far host, its path (and that path in its message) as the engine knows it. */
  private mountedError(err: unknown): unknown {
    if (!(err instanceof FsError)) return err;
    const mounted = this.toMount(err.path);
    if (mounted === err.path) return err;
    return Object.assign(new FsError(err.code, err.op, mounted, renamed(err.message, err.path, mounted)), { cause: err });
  }

  private mountedFailure(e: CopyFailure): CopyFailure {
    const mounted = this.toMount(e.path);
    return mounted === e.path ? e : { ...e, path: mounted, message: renamed(e.message, e.path, mounted) };
  }

  // ---- the walk's synchronous calls (remote: refused by RemoteFileSystem) ----

  readdirSync(path: string): string[] {
    if (this.hostOf(path, 'readdirSync') === 'local') return this.local.readdirSync(path);
    try {
      return this.remote.readdirSync(this.toRemote(path));
    } catch (err) {
      throw this.mountedError(err);
    }
  }

  lstatSync(path: string): Entry {
    if (this.hostOf(path, 'lstatSync') === 'local') return this.local.lstatSync(path);
    try {
      return this.remote.lstatSync(this.toRemote(path));
    } catch (err) {
      throw this.mountedError(err);
    }
  }

  // ---- per-operation calls ----

  readdir(path: string): Promise<string[]> {
    return this.on(path, 'readdir', (fs, at) => fs.readdir(at));
  }

  lstat(path: string): Promise<Entry> {
    return this.on(path, 'lstat', (fs, at) => fs.lstat(at));
  }

  readText(path: string): Promise<string> {
    return this.on(path, 'readText', (fs, at) => fs.readText(at));
  }

  async copyFile(from: string, to: string, options?: CopyOptions): Promise<number> {
    const fromHost = this.hostOf(from, 'copyFile');
    const toHost = this.hostOf(to, 'copyFile');
    const opts = this.optionsOn(toHost, options);
    if (fromHost === toHost) return this.on(from, 'copyFile', (fs, at) => fs.copyFile(at, fromHost === 'local' ? to : this.toRemote(to), opts));
    const hosts = { local: this.local, link: this.remote.source };
    try {
      return fromHost === 'local'
        ? await copyFileAcross(hosts, 'push', from, this.toRemote(to), opts)
        : await copyFileAcross(hosts, 'pull', this.toRemote(from), to, opts);
    } catch (err) {
      throw this.mountedError(err);
    }
  }

  /**
   * A copy's options as the destination's host knows them: a `basis` (a file
   * there that shares blocks with the origin, cross-copy.ts) named by its
   * mount path becomes its real path there.
   */
  private optionsOn(host: Host, options: CopyOptions | undefined): CopyOptions | undefined {
    const basis = (options as { readonly basis?: unknown } | undefined)?.basis;
    if (host !== 'remote' || typeof basis !== 'string' || this.hostOf(basis, 'copyFile') !== 'remote') return options;
    return { ...options, basis: this.toRemote(basis) } as CopyOptions;
  }

  setAttributes(path: string, attributes: { readonly mode?: number; readonly mtimeNs?: bigint }): Promise<void> {
    return this.on(path, 'setAttributes', (fs, at) => fs.setAttributes(at, attributes));
  }

  async rename(from: string, to: string): Promise<void> {
    const host = this.hostOf(from, 'rename');
    if (this.hostOf(to, 'rename') !== host) {
      // Never in a correct plan: a rename is within one root, and a root is on one host.
      throw new FsError('EXDEV', 'rename', from, `EXDEV: rename across hosts, rename '${from}' -> '${to}'`);
    }
    return this.on(from, 'rename', (fs, at) => fs.rename(at, host === 'local' ? to : this.toRemote(to)));
  }

  unlink(path: string): Promise<void> {
    return this.on(path, 'unlink', (fs, at) => fs.unlink(at));
  }

  mkdir(path: string, mode?: number): Promise<void> {
    return this.on(path, 'mkdir', (fs, at) => fs.mkdir(at, mode));
  }

  rmdir(path: string): Promise<void> {
    return this.on(path, 'rmdir', (fs, at) => fs.rmdir(at));
  }

  /** The link's text is verbatim (never translated): it is read on the host that holds the link. */
  symlink(linkTarget: string, path: string): Promise<void> {
    return this.on(path, 'symlink', (fs, at) => fs.symlink(linkTarget, at));
  }

  hash(path: string, signal?: AbortSignal): Promise<string> {
    return this.on(path, 'hash', (fs, at) => fs.hash(at, signal));
  }

  // ---- capabilities ----

  /** On the root's host; entries are relative to the root, so only the root is translated. */
  walkTree(root: string, options: ScanOptions): Promise<ScanResult> {
    return this.on(root, 'walkTree', (fs, at) => fs.walkTree(at, options));
  }

  async hashFiles(root: string, relPaths: readonly string[], signal?: AbortSignal): Promise<HashOutcome[]> {
    if (this.hostOf(root, 'hashFiles') === 'local') return this.local.hashFiles(root, relPaths, signal);
    const real = this.toRemote(root);
    const outcomes = await this.remote.hashFiles(real, relPaths, signal);
    if (real === root) return outcomes;
    // Each failure's message names the file on the far host: name it as the engine knows it.
    return outcomes.map((o) => ('error' in o ? { error: { ...o.error, message: renamed(o.error.message, real, root) } } : o));
  }

  /**
   * One session for the engine: each batch is split by (origin host,
   * destination host), every path of each request translated for its host,
   * the parts dispatched at once (local copy workers, the agent's copy
   * workers, cross-copy.ts) and the results put back in request order.
   * Null when the local filesystem does not batch (a decorator with rules):
   * then everything goes through the per-operation calls, as it asked.
   */
  openCopyBatches(workers: number): CopyBatches | null {
    const local = this.local.openCopyBatches(workers);
    if (local === null) return null;
    const remote = this.remote.openCopyBatches(workers);
    const hosts = { local: this.local, link: this.remote.source };
    const split = this;
    const batches: CopyBatches = {
      // Enough batches in flight that the far end always has the next one queued while this side reads
      // (push) or writes (pull) another; the local pool queues what exceeds its workers.
      concurrency: Math.max(local.concurrency, CROSS_BATCHES_IN_FLIGHT),
      async copy(requests: readonly CopyRequest[]): Promise<CopyItemResult[]> {
        const groups = new Map<string, { indices: number[]; requests: CopyRequest[] }>();
        requests.forEach((r, i) => {
          const key = `${split.hostOf(r.origin, 'copyBatch')}>${split.hostOf(r.dest, 'copyBatch')}`;
          const group = groups.get(key) ?? { indices: [], requests: [] };
          group.indices.push(i);
          group.requests.push(r);
          groups.set(key, group);
        });
        const out: CopyItemResult[] = new Array<CopyItemResult>(requests.length);
        await Promise.all([...groups].map(async ([key, group]) => {
          let results: CopyItemResult[];
          switch (key) {
            case 'local>local':
              results = await local.copy(group.requests);
              break;
            case 'remote>remote':
              results = await remote.copy(group.requests.map((r) => split.translated(r, true, true)));
              break;
            case 'local>remote':
              results = await copyBatchAcross(hosts, 'push', group.requests.map((r) => split.translated(r, false, true)));
              break;
            default:
              results = await copyBatchAcross(hosts, 'pull', group.requests.map((r) => split.translated(r, true, false)));
          }
          if (results.length !== group.requests.length) throw new Error(`copy batch (${key}): ${results.length} results for ${group.requests.length} requests`);
          group.indices.forEach((index, k) => {
            const item = results[k]!;
            out[index] = item.ok ? item : { ok: false, error: split.mountedFailure(item.error) };
          });
        }));
        return out;
      },
      close: async () => {
        await Promise.all([local.close(), remote.close()]);
      },
    };
    if (local.makeDirectories === undefined) return batches;
    const localMkdirs = local.makeDirectories.bind(local);
    return {
      ...batches,
      async makeDirectories(requests: readonly MkdirRequest[]): Promise<MkdirItemResult[]> {
        const byHost: Record<Host, number[]> = { local: [], remote: [] };
        requests.forEach((r, i) => byHost[split.hostOf(r.path, 'mkdirBatch')].push(i));
        const out: MkdirItemResult[] = new Array<MkdirItemResult>(requests.length);
        await Promise.all((['local', 'remote'] as const).map(async (host) => {
          const indices = byHost[host];
          if (indices.length === 0) return;
          const part = indices.map((i) => requests[i]!);
          const results = host === 'local'
            ? await localMkdirs(part)
            : await remote.makeDirectories(part.map((r) => ({ ...r, path: split.toRemote(r.path), ancestors: r.ancestors.map((a) => ({ ...a, path: split.toRemote(a.path) })) })));
          indices.forEach((index, k) => {
            const item = results[k]!;
            out[index] = item.ok ? item : { ok: false, error: split.mountedFailure(item.error) };
          });
        }));
        return out;
      },
    };
  }

  /** A copy request with its origin and/or its destination side (dest, temp, ancestors) as the far host knows them. */
  private translated(r: CopyRequest, originRemote: boolean, destRemote: boolean): CopyRequest {
    return {
      ...r,
      origin: originRemote ? this.toRemote(r.origin) : r.origin,
      dest: destRemote ? this.toRemote(r.dest) : r.dest,
      temp: destRemote ? this.toRemote(r.temp) : r.temp,
      ancestors: destRemote ? r.ancestors.map((a) => ({ ...a, path: this.toRemote(a.path) })) : r.ancestors,
    };
  }

  /** Local roots watched here, remote ones by the agent; every event names its root as given. */
  watch(roots: readonly string[], options: WatchOptions, onEvents: (events: readonly WatchEvent[]) => void): Watcher {
    const localRoots = roots.filter((r) => this.hostOf(r, 'watch') === 'local');
    const remoteRoots = roots.filter((r) => this.hostOf(r, 'watch') === 'remote');
    const watchers: Watcher[] = [];
    if (localRoots.length > 0) watchers.push(this.local.watch(localRoots, options, onEvents));
    if (remoteRoots.length > 0) {
      const byReal = new Map(remoteRoots.map((r) => [this.toRemote(r), r]));
      watchers.push(this.remote.watch([...byReal.keys()], options, (events) => {
        onEvents(events.map((e) => ({ ...e, root: byReal.get(e.root) ?? this.toMount(e.root) })));
      }));
    }
    return {
      ready: Promise.all(watchers.map((w) => w.ready)).then(() => undefined),
      close: async () => {
        await Promise.all(watchers.map((w) => w.close()));
      },
    };
  }

  /** The far host's link (a local disk is always there). */
  connect(signal?: AbortSignal): Promise<AbortSignal> {
    return this.remote.connect(signal);
  }
}

/** Copy batches of a remote conduit in flight at once (each at most 64 files, 16 MiB: transfer/batches.ts). */
const CROSS_BATCHES_IN_FLIGHT = 4;

/** `text` with the far host's path `real` named as `mounted`; a root of `/` is left alone (every slash would match). */
function renamed(text: string, real: string, mounted: string): string {
  return real.length > 1 ? text.split(real).join(mounted) : text;
}
