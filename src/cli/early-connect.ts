import Database from 'better-sqlite3';
import type { FileSystem } from '../fs/file-system.js';
import type { RootsConduit } from '../remote/conduit-roots.js';
import { parseRoot } from '../remote/root-url.js';
import type { CommandContext } from './context.js';

/**
 * `conduit run` of a conduit with a remote root (issue 10, "Performance"):
 * the ssh connection and the agent's start (a few hundred ms) begin while
 * the store opens, instead of after it. The conduit's roots and ssh settings
 * are read ahead with one read-only query; the link is opened through the
 * command's own ConduitRoots (context.openRoots), so the generation's
 * `connect` (generation/connect.ts) finds that same attempt under way and
 * waits for it: one attempt, and the same refusal (exit 3, nothing written)
 * when the host cannot be reached. A conduit that turns out not to run
 * (disabled, busy, edited meanwhile) never uses it; the command's end closes
 * it with the other links.
 */
export interface EarlyConnect {
  /**
   * Resolves once ssh is started (or the early attempt gave up): the store
   * opens after it, while ssh and the agent start, rather than competing with
   * the remote modules' loading for this one thread.
   */
  readonly begun: Promise<void>;
  /**
   * `fs` as the generation should use it: when it is the filesystem the
   * early attempt was made on, its first `connect` is that attempt;
   * otherwise `fs` unchanged.
   */
  adopt(fs: FileSystem): Promise<FileSystem>;
}

/** Starts the connection of conduit `name` if it has a remote root; null when it has none (or cannot be read ahead). */
export function connectEarly(context: CommandContext, name: string): EarlyConnect | null {
  const row = peekRoots(context.databasePath(), name);
  if (row === null || !hasRemoteRoot(row)) return null;
  const started = context.openRoots(row).then(({ fs }) => {
    const connecting = fs.connect?.();
    // Seen by whoever adopts it; unadopted (the run stopped first), its failure is nobody's.
    connecting?.catch(() => undefined);
    return { fs, connecting };
  });
  started.catch(() => undefined);
  return {
    begun: started.then(() => undefined, () => undefined),
    async adopt(fs) {
      let early: Awaited<typeof started>;
      try {
        early = await started;
      } catch {
        return fs;
      }
      if (early.fs !== fs || early.connecting === undefined) return fs;
      return withFirstConnect(fs, early.connecting);
    },
  };
}

/**
 * The conduit's roots and ssh settings as stored, read with a read-only
 * connection; null when the database or the row is not there or not of
 * this shape (an older schema: the store's own open migrates it and the
 * run connects as usual).
 */
export function peekRoots(file: string, name: string): RootsConduit | null {
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const row = db.prepare('SELECT source_path, target_path, ssh_command, remote_command FROM sync_conduit WHERE name = ?').get(name) as
      { source_path: unknown; target_path: unknown; ssh_command: unknown; remote_command: unknown } | undefined;
    if (row === undefined || typeof row.source_path !== 'string' || typeof row.target_path !== 'string') return null;
    const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);
    return { name, source: row.source_path, target: row.target_path, sshCommand: text(row.ssh_command), remoteCommand: text(row.remote_command) };
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

function hasRemoteRoot(conduit: RootsConduit): boolean {
  try {
    return parseRoot(conduit.source).kind === 'ssh' || parseRoot(conduit.target).kind === 'ssh';
  } catch {
    // Not a root this version reads: the store's row says what is wrong, through the usual path.
    return false;
  }
}

/** `fs` whose first `connect` is `connecting` (raced with that call's signal, as a link source does); later ones are its own. */
function withFirstConnect(fs: FileSystem, connecting: Promise<AbortSignal>): FileSystem {
  let used = false;
  const adopted = Object.create(fs) as FileSystem;
  Object.defineProperty(adopted, 'connect', {
    value: (signal?: AbortSignal): Promise<AbortSignal> => {
      if (used) return fs.connect!(signal);
      used = true;
      return signal ? raceSignal(connecting, signal) : connecting;
    },
  });
  return adopted;
}

function raceSignal<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  const reasonOf = (): Error => (signal.reason instanceof Error ? signal.reason : new Error('aborted'));
  if (signal.aborted) return Promise.reject(reasonOf());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(reasonOf());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
