import { resolve } from 'node:path';
import type { Store } from '../db/store.js';
import type { Logger } from '../log.js';
import type { ConduitRoots, OpenedConduit, RootsConduit } from '../remote/conduit-roots.js';
import { parseRoot } from '../remote/root-url.js';

/** What every command gets: global options, output, the logger and the store (opened on demand). */
export interface CommandContext {
  /** `--json`: machine output on stdout; logs stay on stderr. */
  readonly json: boolean;
  readonly logger: Logger;
  /** The folder relative paths on the command line resolve against. */
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** Writes one block of text (a newline is added) to stdout. */
  print(text: string): void;
  /** Writes a value as JSON to stdout. */
  printJson(value: unknown): void;
  /**
   * Opens the store: `--db`, else `CONDUIT_DB`, else `configDatabase` (for
   * commands that read a config file), else `./conduit.db`. Closed for the
   * command when it returns.
   */
  openStore(configDatabase?: string | null): Promise<Store>;
  /** The database file `openStore(configDatabase)` would open, without opening (or creating) it. */
  databasePath(configDatabase?: string | null): string;
  /**
   * The command's ConduitRoots (issue 10): what turns a stored conduit into
   * the filesystem and paths a generation or a look at its roots uses (a
   * remote root's link included). One per command, closed when it returns.
   */
  roots(): Promise<ConduitRoots>;
  /**
   * `roots().open(conduit)`, except that a conduit with two local roots does
   * not load the remote modules (ssh, the protocol, msgpackr): a local `run`
   * starts as fast as before issue 10.
   */
  openRoots<C extends RootsConduit>(conduit: C): Promise<OpenedConduit<C>>;
}

function hasRemoteRoot(conduit: RootsConduit): boolean {
  return parseRoot(conduit.source).kind === 'ssh' || parseRoot(conduit.target).kind === 'ssh';
}

/** The database file a command uses (SPEC §11). */
export function resolveDatabasePath(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string, configDatabase?: string | null): string {
  if (flag !== undefined && flag !== '') return resolve(cwd, flag);
  const fromEnv = env['CONDUIT_DB'];
  if (fromEnv !== undefined && fromEnv !== '') return resolve(cwd, fromEnv);
  if (configDatabase !== undefined && configDatabase !== null) return configDatabase;
  return resolve(cwd, 'conduit.db');
}

export interface ContextOptions {
  readonly json: boolean;
  readonly db: string | undefined;
  readonly logger: Logger;
}

/** A context plus the means to close what the command opened. */
export function createContext(options: ContextOptions): { context: CommandContext; close(): Promise<void> } {
  const opened: Store[] = [];
  let roots: Promise<ConduitRoots> | undefined;
  const cwd = process.cwd();
  const context: CommandContext = {
    json: options.json,
    logger: options.logger,
    cwd,
    env: process.env,
    print: (text) => process.stdout.write(`${text}\n`),
    printJson: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    async openStore(configDatabase) {
      const file = resolveDatabasePath(options.db, process.env, cwd, configDatabase);
      options.logger.debug({ database: file }, 'opening store');
      // Loaded here, not at start-up: the store pulls in TypeORM (~200 ms).
      const { openStore } = await import('../db/open-store.js');
      const store = await openStore(file);
      opened.push(store);
      return store;
    },
    databasePath: (configDatabase) => resolveDatabasePath(options.db, process.env, cwd, configDatabase),
    roots() {
      // Loaded on demand: a command that looks at no root (list, add) does not load the remote modules.
      roots ??= Promise.all([import('../remote/conduit-roots.js'), import('../fs/node-file-system.js')])
        .then(([{ ConduitRoots }, { NodeFileSystem }]) => new ConduitRoots(new NodeFileSystem(), process.env));
      return roots;
    },
    async openRoots(conduit) {
      if (roots === undefined && !hasRemoteRoot(conduit)) {
        const { NodeFileSystem } = await import('../fs/node-file-system.js');
        return { fs: new NodeFileSystem(), conduit, remote: null };
      }
      return (await context.roots()).open(conduit);
    },
  };
  return {
    context,
    async close() {
      for (const store of opened.splice(0)) store.close();
      // Ends each remote root's ssh process and agent.
      if (roots) await (await roots).close();
    },
  };
}
