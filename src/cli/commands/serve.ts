import { startApp, type RunningApp } from '../../service/app.js';
import type { CommandContext } from '../context.js';
import { wholeNumberArgument } from '../number-argument.js';

/**
 * `conduit serve [--config FILE] [--host H] [--port P]`: the long-running
 * service (SPEC §9). Imports the config file (upsert by name), then runs every
 * enabled conduit on its schedule, watches their folders, verifies each
 * generation, and serves the HTTP API and admin page until a signal:
 * - SIGINT / SIGTERM: start nothing new, let transfers in flight finish (cut
 *   at 10 s), record running generations `interrupted`, exit 0;
 * - SIGHUP: re-read the config file (a bad file is logged; the old config stays).
 */
export async function run(context: CommandContext, _args: string[], flags: Record<string, unknown>): Promise<number> {
  const port = flags['port'] === undefined ? undefined : parsePort(String(flags['port']));
  // Handlers first: a signal that arrives while the service starts is not lost (SIGHUP waits for it).
  let app: RunningApp | undefined;
  let reloadWhenUp = false;
  const onHup = (): void => {
    if (app) app.reload();
    else reloadWhenUp = true;
  };
  let stopRequested: NodeJS.Signals | undefined;
  let onStopped: (signal: NodeJS.Signals) => void = (signal) => (stopRequested = signal);
  const onStop = (received: NodeJS.Signals): void => onStopped(received);
  process.on('SIGHUP', onHup);
  process.on('SIGINT', onStop);
  process.on('SIGTERM', onStop);
  let signal: NodeJS.Signals;
  try {
    app = await startApp({
      configFile: flags['config'] === undefined ? undefined : String(flags['config']),
      host: flags['host'] === undefined ? undefined : String(flags['host']),
      port,
      logger: context.logger,
      env: context.env,
      openStore: (database) => context.openStore(database),
      databasePath: (database) => context.databasePath(database),
    });
    if (reloadWhenUp) app.reload();
    context.logger.info({ url: app.url, database: app.service.store.path }, 'conduit serve is up');
    signal = stopRequested ?? await new Promise<NodeJS.Signals>((resolve) => (onStopped = resolve));
  } finally {
    process.off('SIGHUP', onHup);
    process.off('SIGINT', onStop);
    process.off('SIGTERM', onStop);
  }
  context.logger.info({ signal }, 'stopping: no new generations; transfers in flight finish or are cut at 10 s');
  await app.stop();
  context.logger.info('stopped');
  return 0;
}

function parsePort(text: string): number {
  return wholeNumberArgument('--port', text, 'a port from 0 to 65535', { min: 0, max: 65_535 });
}
