import { createRequire } from 'node:module';
import type { DestinationStream, Logger, pino as Pino } from 'pino';
import type PinoPretty from 'pino-pretty';
import { ConfigError, describeValue } from './config/config-error.js';

// pino and pino-pretty are CommonJS: required synchronously, when first needed.
const require = createRequire(import.meta.url);

/**
 * conduit's logger: pino, always to stderr (fd 2), so that `--json` output
 * on stdout stays machine-readable. Human-readable (pino-pretty) when stderr
 * is a terminal, one JSON object per line otherwise.
 *
 * pino itself is loaded only when a line is to be written (or the logger is
 * handed to something that needs pino, like the HTTP server): it costs a
 * one-shot command ~10-15 ms of start-up, and `conduit run` at the default
 * level usually logs nothing (issue 9, "a CLI that starts fast").
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
  return lazyLogger(options.level, () => pinoLogger(options));
}

function pinoLogger(options: LoggerOptions): Logger {
  const { pino } = require('pino') as { pino: typeof Pino };
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  const destination = options.destination ?? (pretty ? prettyStderr() : pino.destination({ fd: 2, sync: true }));
  return pino({ level: options.level, base: { pid: process.pid } }, destination);
}

/** pino's numeric levels, for deciding without pino whether a call writes anything. */
const LEVEL_VALUES: Record<LogLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity };
const noop = (): void => {};

/**
 * A Logger that creates the real one (`create`) on first use: a call at a
 * level below `level` is a no-op that needs no pino, as is reading `level`
 * or asking `isLevelEnabled`; anything else (an enabled level, `child`,
 * setting the level, pino's symbols) creates the pino logger once and is
 * forwarded to it. Behaves as the pino logger it stands for.
 */
function lazyLogger(level: LogLevel, create: () => Logger): Logger {
  let real: Logger | undefined;
  const materialize = (): Logger => (real ??= create());
  const handler: ProxyHandler<object> = {
    get(_target, property) {
      if (real === undefined) {
        if (property === 'level') return level;
        if (property === 'isLevelEnabled') return (asked: string) => isLogLevel(asked) && LEVEL_VALUES[asked] >= LEVEL_VALUES[level];
        if (property === 'silent') return noop;
        if (typeof property === 'string' && isLogLevel(property) && LEVEL_VALUES[property] < LEVEL_VALUES[level]) return noop;
      }
      const logger = materialize();
      const value: unknown = Reflect.get(logger, property, logger);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(logger) : value;
    },
    set: (_target, property, value) => Reflect.set(materialize(), property, value),
    has: (_target, property) => Reflect.has(materialize(), property),
  };
  return new Proxy({}, handler) as Logger;
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
  const pretty = require('pino-pretty') as typeof PinoPretty;
  return pretty({ destination: 2, sync: true, colorize: true, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' });
}
