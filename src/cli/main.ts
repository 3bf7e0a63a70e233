import { Command, CommanderError } from 'commander';
import type { CommandContext } from './context.js';
import { createContext } from './context.js';
import { addConduitFlags, addRunFilterFlags, addRunFlags, addSyncFlags } from './conduit-flags.js';
import { ConfigError } from '../config/config-error.js';
import { EXIT } from '../core/vocabulary.js';
import { configureLogger, getLogger, resolveLogLevel } from '../log.js';
import type { LogLevel } from '../log.js';
import { UsageError } from './usage-error.js';
import { conduitVersion } from '../version.js';

/**
 * A command's implementation, loaded only when that command runs (start-up
 * stays small: nothing here imports zod's schemas, the store or TypeORM).
 * `args` are the positional arguments, `flags` only the options the user gave.
 * Returns the exit code, or nothing for success.
 */
export interface CommandModule {
  run(context: CommandContext, args: string[], flags: Record<string, unknown>): Promise<number | void>;
}

interface GlobalOptions {
  db?: string;
  json?: boolean;
  logLevel?: string;
}

/**
 * Registers a command: usage (`show <name>`), one-line description, the
 * lazily imported module that runs it, and optionally its flags and the log
 * level it defaults to (`serve` uses `info`).
 */
function defineCommand(
  program: Command,
  usage: string,
  description: string,
  load: () => Promise<CommandModule>,
  options: { flags?: (command: Command) => Command; defaultLogLevel?: LogLevel } = {},
): void {
  const command = program.command(usage).description(description);
  options.flags?.(command);
  command.action(async (...actionArgs: unknown[]) => {
    const self = actionArgs[actionArgs.length - 1] as Command;
    const globals = self.optsWithGlobals<GlobalOptions>();
    const logger = configureLogger({ level: resolveLogLevel(globals.logLevel, process.env, options.defaultLogLevel ?? 'warn') });
    const { context, close } = createContext({ json: globals.json === true, db: globals.db, logger });
    try {
      const module = await load();
      const code = await module.run(context, self.args.slice(0, self.registeredArguments.length), explicitOptions(self));
      if (typeof code === 'number') process.exitCode = code;
    } finally {
      await close();
    }
  });
}

/** Listed under `conduit --help` (and in the README's table). */
const EXIT_CODES_HELP = `
Exit codes:
  0         success
  1         a generation failed or finished with errors (run --verify: or was not confirmed); an unexpected error
  2         bad input: unknown command or option, invalid value, unknown conduit; nothing was changed
  3         refused by a safety guard (a missing root, too many deletions) or a restore refused; nothing was changed
  4         busy: another process runs the conduit; nothing was run
  130, 143  stopped by SIGINT, SIGTERM; what landed is recorded`;


function buildProgram(): Command {
  const program = new Command('conduit')
    .description('Keeps pairs of directories in sync and keeps an auditable history of every sync run.')
    .option('--db <file>', 'database file (default: $CONDUIT_DB, else the config\'s "database", else ./conduit.db)')
    .option('--json', 'machine-readable output on stdout (logs stay on stderr)')
    .option('--log-level <level>', 'fatal | error | warn | info | debug | trace | silent (default: $CONDUIT_LOG_LEVEL, else warn)')
    .version(conduitVersion(), '-V, --version', 'print conduit\'s version and exit')
    .addHelpText('after', EXIT_CODES_HELP)
    .showHelpAfterError(false)
    .exitOverride()
    // Errors are printed once, in conduit's own one-line style, by `main`.
    .configureOutput({ outputError: () => {} });

  defineCommand(program, 'add', 'create a conduit and print it', () => import('./commands/add.js'), { flags: (c) => addConduitFlags(c, 'add') });
  defineCommand(program, 'list', 'conduits with mode, schedule, state, last sync and generations', () => import('./commands/list.js'));
  defineCommand(program, 'show <name>', 'one conduit: its settings, state, last generation and totals', () => import('./commands/show.js'));
  defineCommand(program, 'edit <name>', 'change a conduit (only the flags given)', () => import('./commands/edit.js'), { flags: (c) => addConduitFlags(c, 'edit') });
  defineCommand(program, 'enable <name>', 'let a conduit run again', () => import('./commands/enable.js'));
  defineCommand(program, 'disable <name>', 'stop a conduit from running (it keeps its history)', () => import('./commands/disable.js'));
  defineCommand(program, 'remove <name>', 'forget a conduit and its history (never touches the synced folders)', () => import('./commands/remove.js'));
  defineCommand(program, 'import <file>', 'create or update conduits from a config file, all or nothing', () => import('./commands/import.js'));
  defineCommand(program, 'export', 'print every conduit as a config file that import accepts', () => import('./commands/export.js'));
  defineCommand(program, 'run <name>', 'run one generation now (exit 0 done, 1 errors, 3 refused by a safety guard, 4 busy: another process runs it; 130/143 stopped by SIGINT/SIGTERM)', () => import('./commands/run.js'), {
    flags: (c) => addRunFilterFlags(addRunFlags(c)),
  });
  defineCommand(program, 'sync <src> <dst>', 'one-off run of src into dst without adding a conduit first (default mode mirror); recorded under a conduit named from the two paths, which the next sync of the pair reuses', () => import('./commands/sync.js'), {
    flags: (c) => addSyncFlags(c),
  });
  defineCommand(program, 'verify <name>', 'check a generation against the disk and the index now, and record verified or failed:<reason>', () => import('./commands/verify.js'), {
    flags: (c) => c.option('--generation <n>', 'which generation (default: the latest one that is not a dry run)'),
  });
  defineCommand(program, 'agent', 'the far end of a remote root: speaks conduit\'s agent protocol on stdin/stdout (started over ssh by the host that syncs; not for people)', () => import('./commands/agent.js'));
  defineCommand(program, 'serve', 'run every conduit on its schedule, watch, verify, and serve the HTTP API until SIGINT/SIGTERM (SIGHUP re-reads the config)', () => import('./commands/serve.js'), {
    flags: (c) => c
      .option('--config <file>', 'config file to import (upsert by name) and re-read on SIGHUP')
      .option('--host <host>', 'address of the HTTP API (default: the config\'s api.host, else 127.0.0.1)')
      .option('--port <port>', 'port of the HTTP API (default: the config\'s api.port, else 7420)'),
    defaultLogLevel: 'info',
  });
  defineCommand(program, 'history <name>', 'generations of a conduit, newest first', () => import('./commands/history.js'), {
    flags: (c) => c.option('--limit <n>', 'how many generations (default 20)'),
  });
  defineCommand(program, 'show-generation <name> <n>', 'one generation with its per-file events', () => import('./commands/show-generation.js'), {
    flags: (c) => c.option('--action <action>', 'only events of this action (copy, delete, mkdir, rmdir, symlink, conflict_copy, skip, error)'),
  });
  defineCommand(program, 'conflicts [name]', 'unresolved conflicts (all of them with --all)', () => import('./commands/conflicts.js'), {
    flags: (c) => c.option('--all', 'resolved ones too'),
  });
  defineCommand(program, 'versions <conduit> [path]', 'versions kept by versioning, newest first (optionally only of a path or folder)', () => import('./commands/versions.js'));
  defineCommand(program, 'restore <conduit> <path>', 'put a kept version back at its path (the file there now is kept as a version first); recorded as a generation', () => import('./commands/restore.js'), {
    flags: (c) => c.option('--at <time>', 'the version kept nearest at or before this time (2026-11-23T05:15:00Z or 20261123T051500Z; default: the newest)'),
  });
  defineCommand(program, 'resolve <conflict-id>', 'settle a conflict now: copy the chosen version over and advance the baseline (exit 4 busy: another process runs the conduit)', () => import('./commands/resolve.js'), {
    flags: (c) => c
      .option('--keep <side>', 'source | target | both (both: the newer stays, the other is saved as a conflict copy)')
      .option('--dismiss', 'close the conflict without changing any file')
      .option('--wait', 'when another process is running the conduit, wait for it to finish instead of exiting 4'),
  });
  return program;
}

/** The options the user typed, without defaults commander filled in (e.g. from `--no-…` flags). */
function explicitOptions(command: Command): Record<string, unknown> {
  const explicit: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(command.opts())) {
    if (command.getOptionValueSource(key) === 'cli') explicit[key] = value;
  }
  return explicit;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (error) {
    process.exitCode = report(error);
  }
}

/** One line on stderr, and the exit code for it. Stack traces only at `--log-level debug`. */
function report(error: unknown): number {
  if (error instanceof CommanderError) {
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT.ok;
    // `conduit` alone prints the help (to stderr): no command given is bad usage.
    if (error.code !== 'commander.help') writeError(error.message.replace(/^error: /, ''));
    return EXIT.badInput;
  }
  // Another process holds the conduit's lease: one line naming it, nothing was changed.
  if (error instanceof Error && error.name === 'ConduitBusyError') {
    writeError(error.message);
    return EXIT.busy;
  }
  // A restore refused on the disk (a root missing, a directory in the way): nothing was changed.
  if (error instanceof Error && error.name === 'RestoreRefusedError') {
    writeError(error.message);
    return EXIT.refused;
  }
  // A remote root's host cannot be reached (issue 10), outside a generation (resolve, restore, verify): nothing was changed.
  if (error instanceof Error && error.name === 'UnreachableError') {
    writeError(error.message);
    return EXIT.refused;
  }
  if (error instanceof ConfigError || error instanceof UsageError || isUserError(error)) {
    writeError((error as Error).message);
    return EXIT.badInput;
  }
  const message = error instanceof Error ? error.message : String(error);
  getLogger().debug({ err: error }, 'unexpected error');
  writeError(message.split('\n')[0] ?? 'unexpected error');
  return EXIT.failed;
}

/** Errors of the service layer that mean "bad input", recognised by name so this file imports no service code. */
function isUserError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (['UnknownConduitError', 'ConflictNotResolvableError', 'VersionRequestError', 'ManagedConduitError'].includes(error.name)) return true;
  return error.name === 'StoreError' && ['duplicate_name', 'not_found'].includes((error as { code?: string }).code ?? '');
}

function writeError(message: string): void {
  process.stderr.write(`conduit: ${message.replace(/[\r\n]+/g, ' ')}\n`);
}
