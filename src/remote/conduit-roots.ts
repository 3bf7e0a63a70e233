import type { Side } from '../core/entry.js';
import type { FileSystem } from '../fs/file-system.js';
import type { LinkSource, SshSettings } from './link/link-source.js';
import { sshSettingsOf } from './link/link-source.js';
import { RemoteFileSystem } from './client/remote-file-system.js';
import { mountPathOf, parseRoot, type RemoteRoot } from './root-url.js';
import { SplitFileSystem } from './client/split-file-system.js';
import { sshLinkSource } from './ssh/ssh-link-source.js';

/** What the composition root needs of a conduit: its roots as stored, and how a remote one is reached. */
export interface RootsConduit {
  readonly name: string;
  readonly source: string;
  readonly target: string;
  readonly sshCommand: string | null;
  readonly remoteCommand: string | null;
}

export interface OpenedConduit<C> {
  /** The filesystem the engine works through: the local one, or the split one that routes the mount path to the agent. */
  readonly fs: FileSystem;
  /** The conduit as the engine sees it: a remote root replaced by its mount path (root-url.ts `mountPathOf`). */
  readonly conduit: C;
  /** Which root is remote and where, or null for a local conduit. */
  readonly remote: { readonly side: Side; readonly root: RemoteRoot } | null;
}

interface Opened {
  readonly source: LinkSource;
  readonly fs: FileSystem;
  /** The conduits (by name) that opened it: when none is left it is closed. */
  readonly users: Set<string>;
}

/**
 * The composition root of remote roots (issue 10): the one place that turns
 * a stored conduit into the filesystem and the paths a generation, the
 * watcher, the verifier or a look at the roots works with. A local conduit
 * passes through unchanged. A remote one gets a SplitFileSystem over the
 * local disk and the agent, and its remote root becomes the mount path.
 *
 * One LinkSource (one ssh process, one agent) per remote root and ssh
 * settings, kept across `open`s: under `serve` the connection stays up for
 * as long as the service runs; a CLI command closes it at its end.
 */
export class ConduitRoots {
  private readonly opened = new Map<string, Opened>();
  private closed = false;

  constructor(
    /** The local disk: a local conduit's filesystem, and the local half of a remote one's. */
    readonly local: FileSystem,
    private readonly env: NodeJS.ProcessEnv,
    private readonly connect: (root: RemoteRoot, settings: SshSettings) => LinkSource = (root, settings) => sshLinkSource(root, settings, env),
  ) {}

  open<C extends RootsConduit>(conduit: C): OpenedConduit<C> {
    const remote = remoteSideOf(conduit);
    if (remote === null) {
      // A conduit moved from a remote root to local ones lets go of its old link.
      void this.letGo(conduit.name, null).catch(() => undefined);
      return { fs: this.local, conduit, remote: null };
    }
    if (this.closed) throw new Error(`the roots of conduit "${conduit.name}" were opened after shutdown`);
    const settings = sshSettingsOf(conduit, this.env);
    const key = JSON.stringify([remote.root.text, settings.sshCommand, settings.remoteCommand, settings.connectTimeoutSeconds]);
    // An edited conduit (another host, other settings) lets go of the link it used before.
    void this.letGo(conduit.name, key).catch(() => undefined);
    let entry = this.opened.get(key);
    if (entry === undefined) {
      const source = this.connect(remote.root, settings);
      const fs = new SplitFileSystem(this.local, new RemoteFileSystem(source), { mountPath: mountPathOf(remote.root), remotePath: remote.root.path });
      entry = { source, fs, users: new Set() };
      this.opened.set(key, entry);
    }
    entry.users.add(conduit.name);
    return { fs: entry.fs, conduit: { ...conduit, [remote.side]: mountPathOf(remote.root) }, remote };
  }

  /**
   * The conduit was removed (or is done with its roots): its link is closed
   * unless another conduit still uses it. Under `serve`, for a removed or
   * edited conduit; a later `open` connects anew.
   */
  async release(name: string): Promise<void> {
    await this.letGo(name, null);
  }

  /** Closes every link (ends each ssh process and agent); later `open`s of a remote conduit throw. */
  async close(): Promise<void> {
    this.closed = true;
    const entries = [...this.opened.values()];
    this.opened.clear();
    await Promise.all(entries.map((entry) => entry.source.close()));
  }

  /** Drops `name` from every cached link but the one under `keep`; closes those no conduit uses any more. */
  private letGo(name: string, keep: string | null): Promise<void> {
    const closing: Promise<void>[] = [];
    for (const [key, entry] of this.opened) {
      if (key === keep || !entry.users.delete(name) || entry.users.size > 0) continue;
      this.opened.delete(key);
      closing.push(entry.source.close());
    }
    return Promise.all(closing).then(() => undefined);
  }
}

/** The remote root of a conduit and its side, or null when both roots are local (validation allows at most one remote). */
export function remoteSideOf(conduit: Pick<RootsConduit, 'source' | 'target'>): { side: Side; root: RemoteRoot } | null {
  for (const side of ['source', 'target'] as const) {
    const location = parseRoot(conduit[side]);
    if (location.kind === 'ssh') return { side, root: location };
  }
  return null;
}
