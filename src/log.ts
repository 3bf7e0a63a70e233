import { createRequire } from 'node:module';
import { pino } from 'pino';
import type { DestinationStream, Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { ConfigError, describeValue } from './config/config-error.js';

/**
 * conduit's logger: pino, always to stderr (fd 2), so that `--json` output
 * on stdout stays machine-readable. Human-readable (pino-pretty) when stderr
 * is a terminal, one JSON object per line otherwise.
 */
export type { Logger };

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LoggerOptions {
  readonly level: LogLevel;
  /** Pretty-print; defaults to whether stderr is a TTY. */
  readonly pretty?: boolean;
  /** Where to write; defaults to stderr. Tests pass a stream to capture lines. */
  readonly destination?: DestinationStream;
}

export function isLogLevel(text: string): text is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(text);
}

/**
 * The level to use: the `--log-level` flag, else `CONDUIT_LOG_LEVEL`, else the
 * command's default (`warn` for CLI commands, `info` for `serve`).
 * Throws `ConfigError` naming the flag or variable for an unknown level.
 */
export function resolveLogLevel(flag: string | undefined, env: NodeJS.ProcessEnv, fallback: LogLevel): LogLevel {
  for (const [field, value] of [['--log-level', flag], ['CONDUIT_LOG_LEVEL', env['CONDUIT_LOG_LEVEL']]] as const) {
    if (value === undefined || value === '') continue;
    if (isLogLevel(value)) return value;
    throw new ConfigError(field, `expected ${LOG_LEVELS.join(' | ')}, got ${describeValue(value)}`);
  }
  return fallback;
}

export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const destination = options.destination ?? (pretty ? prettyStderr() : pino.destination({ fd: 2, sync: true }));
  return pino({ level: options.level, base: { pid: process.pid } }, destination);
}

let processLogger: Logger | undefined;

/** Sets the process-wide logger (the CLI does this once, from `--log-level`). */
export function configureLogger(options: LoggerOptions): Logger {
  processLogger = createLogger(options);
  return processLogger;
}

/** The process-wide logger; `warn` to stderr until `configureLogger` runs. Use `.child({ conduit })` for context. */
export function getLogger(): Logger {
  processLogger ??= createLogger({ level: 'warn' });
  return processLogger;
}

function prettyStderr(): DestinationStream {
  // Loaded only on a terminal (it is not free to import), synchronously, in
  // this thread: a transport worker would lose the last lines at process exit.
  const require = createRequire(import.meta.url);
  const pretty = require('pino-pretty') as typeof PinoPretty;
  return pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' });
}
