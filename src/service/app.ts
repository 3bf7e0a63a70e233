import { configBaseDir, configDatabase, CONFIG_DEFAULTS, placed, readConfigJson, validateConfig, type ConduitConfig } from '../config/config-file.js';
import { leaseTiming } from '../db/lease-keeper.js';
import type { Store } from '../db/store.js';
import { NodeFileSystem } from '../fs/node-file-system.js';
import { startHttpServer, type RunningHttpServer } from '../http/server.js';
import { configuredToken, isLoopbackHost, loadOrCreateToken, tokenFilePath } from '../http/token.js';
import { ConfigError, describeValue } from '../config/config-error.js';
import type { Logger } from '../log.js';
import { resolve } from 'node:path';
import { importConduits, type ImportResult } from './conduit-admin.js';
import { ConduitRoots } from '../remote/conduit-roots.js';
import { ConduitRuntime, type RuntimeOptions } from './conduit-runtime.js';

/**
 * The composition root of `conduit serve`: config file → store → runtime
 * (scheduler, watchers, verifier) → HTTP API. Everything that can be wrong
 * with the input is checked before anything is changed or started, so a bad
 * config file exits 2 with its one-line error and the database untouched.
 */
export interface AppOptions {
  /** The config file (SPEC §10), or none: serve the conduits already in the database. */
  readonly configFile: string | undefined;
  /** `--host` / `--port`, over the config's `api`. */
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly logger: Logger;
  readonly env: NodeJS.ProcessEnv;
  /** Opens the store the CLI's rules pick (`--db`, `CONDUIT_DB`, the config's `database`, `./conduit.db`). */
  openStore(configDatabase: string | null): Promise<Store>;
  /** The file `openStore` would open, without opening it: lets a bad config be refused before a database is created. */
  databasePath?(configDatabase: string | null): string;
  /** Tuning for tests and the benchmark. */
  readonly runtime?: Partial<Pick<RuntimeOptions, 'aggregator' | 'fullScanEveryMs' | 'rootPollMs' | 'cutAfterMs'>>;
}

export interface RunningApp {
  readonly service: ConduitRuntime;
  /** The API's address, or null when it is not served. */
  readonly url: string | null;
  /** SIGHUP: re-read the config file; a bad file is logged and the old config stays. */
  reload(): void;
  /** SIGINT/SIGTERM: see `ConduitRuntime.stop`; then the HTTP server closes. The caller closes the store. */
  stop(): Promise<void>;
}

export async function startApp(options: AppOptions): Promise<RunningApp> {
  const log = options.logger;
  // A bad CONDUIT_LEASE_TTL_MS is bad input: exit 2 before anything is opened.
  const timing = leaseTiming(options.env);
  const file = options.configFile;
  const raw = file === undefined ? undefined : readConfigJson(file);
  // Checked once before the database is even opened (a bad file must not create one), and again
  // below against the stored conduits (targets must not overlap those the file does not replace).
  const named = file === undefined ? null : configDatabase(raw, configBaseDir(file));
  const database = options.databasePath?.(named);
  const preliminary = file === undefined ? null : placed(file, () => validateConfig(raw, {
    baseDir: configBaseDir(file), ...(database === undefined ? {} : { databasePath: database }),
  }));
  const store = await options.openStore(named);
  const host = options.host ?? preliminary?.api.host ?? CONFIG_DEFAULTS.api.host;
  // SPEC §12: a non-loopback bind needs a token the admin has configured (one generated now would be
  // known to nobody); refused before the config is imported or anything runs.
  if (!isLoopbackHost(host) && configuredToken(store.path, options.env) === undefined) {
    throw new ConfigError('--host', `expected a loopback address (127.0.0.1, ::1, localhost) unless an API token is configured (CONDUIT_API_TOKEN, or the file ${tokenFilePath(store.path)}), got ${describeValue(host)}`);
  }
  let config: ConduitConfig | null = null;
  // Its conduits are managed by it (conduit-admin.ts ManagedConduitError): recorded in the database, where a CLI process sees it.
  const managedBy = file === undefined ? undefined : resolve(file);
  if (file !== undefined) {
    // No root may contain conduit's own files (SPEC §4): checked against the database actually opened.
    config = placed(file, () => validateConfig(raw, { baseDir: configBaseDir(file), existing: store.listConduits(), databasePath: store.path }));
    const imported = importConduits(store, config.conduits, { managedBy: managedBy! });
    log.info({ file, database: store.path, ...importFacts(imported) }, `config imported: ${describeImport(imported)}`);
  }

  const fs = new NodeFileSystem();
  const service = new ConduitRuntime({
    // One kept link per remote root for as long as serve runs (issue 10); the runtime closes them at its stop.
    store, fs, roots: new ConduitRoots(fs, options.env), logger: log, leaseTiming: timing,
    maxConcurrentConduits: config?.maxConcurrentConduits ?? CONFIG_DEFAULTS.maxConcurrentConduits,
    ...options.runtime,
  });
  await service.start();

  let http: RunningHttpServer | null = null;
  try {
    const port = options.port ?? config?.api.port ?? CONFIG_DEFAULTS.api.port;
    const token = loadOrCreateToken(store.path, options.env);
    http = await startHttpServer(service, { host, port, token, logger: log });
  } catch (error) {
    await service.stop();
    if (error instanceof ConfigError) throw error; // a bad --host/--port: exit 2 with the field named
    throw new Error(`cannot start the HTTP API: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }

  return {
    service,
    url: http.url,
    reload() {
      if (file === undefined) {
        log.info('SIGHUP: no config file to re-read (serve was started without --config)');
        return;
      }
      log.info({ file }, 'SIGHUP: re-reading the config file');
      try {
        const again = readConfigJson(file);
        const next = placed(file, () => validateConfig(again, { baseDir: configBaseDir(file), existing: store.listConduits(), databasePath: store.path }));
        const imported = importConduits(store, next.conduits, { managedBy: managedBy! });
        service.setMaxConcurrentConduits(next.maxConcurrentConduits);
        // Only what changed is reloaded (and reported): an unchanged conduit keeps its watcher and timers.
        for (const name of [...imported.created, ...imported.updated, ...imported.released, ...imported.tookOver]) service.conduitChanged(name);
        log.info({ file, ...importFacts(imported) }, `config re-read: ${describeImport(imported)}`);
      } catch (error) {
        log.error(`config not re-read, keeping the previous one: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    async stop() {
      await service.stop();
      await http?.close();
    },
  };
}

/** The import's outcome as log fields. */
function importFacts(imported: ImportResult): Record<string, readonly string[]> {
  return { created: imported.created, updated: imported.updated, unchanged: imported.unchanged, released: imported.released, tookOver: imported.tookOver };
}

/** "updated: a; unchanged: b, c": only what happened, each group named once. */
export function describeImport(imported: ImportResult): string {
  const groups: [string, readonly string[]][] = [
    ['created', imported.created], ['updated', imported.updated], ['unchanged', imported.unchanged],
    ['no longer managed by the file', imported.released], ['taken over from another config file', imported.tookOver],
  ];
  const said = groups.filter(([, names]) => names.length > 0).map(([label, names]) => `${label}: ${names.join(', ')}`);
  return said.length === 0 ? 'no conduits' : said.join('; ');
}
