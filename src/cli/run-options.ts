import type { RunFilters } from '../engine/generation/request.js';
import { bwlimitToMbps } from './rate-argument.js';
import { UsageError } from './usage-error.js';

/**
 * The flags of `conduit run` (and `conduit sync`) that shape one generation,
 * read and checked before anything is opened (bad input: exit 2, nothing
 * changed or recorded).
 */
export interface RunOptions {
  readonly dryRun: boolean;
  readonly force: boolean;
  readonly verify: boolean;
  readonly wait: boolean;
  /** `-v`: one line per action as it finishes. */
  readonly verbose: boolean;
  /** `--progress`: the progress line even when stderr is not a terminal. */
  readonly progress: boolean;
  /** `--max-delete 500`: a count, for this run. */
  readonly maxDeletes?: number;
  /** `--max-delete 50%`: the conduit's percentage guard, replaced for this run. */
  readonly maxDeletePercent?: number;
  /** `--bwlimit`: the conduit's limit replaced for this run (null: none). */
  readonly bandwidthLimitMbps?: number | null;
  readonly runFilters?: RunFilters;
}

const COUNT_TEXT = /^[0-9]+$/;
const PERCENT_TEXT = /^([0-9]+(?:\.[0-9]+)?|\.[0-9]+)%$/;

export function parseRunOptions(flags: Record<string, unknown>): RunOptions {
  const options: { -readonly [K in keyof RunOptions]: RunOptions[K] } = {
    dryRun: flags['dryRun'] === true,
    force: flags['force'] === true,
    verify: flags['verify'] === true,
    wait: flags['wait'] === true,
    verbose: flags['verbose'] === true,
    progress: flags['progress'] === true,
  };
  if (flags['maxDelete'] !== undefined) Object.assign(options, maxDeleteArgument(flags['maxDelete']));
  if (flags['bwlimit'] !== undefined) options.bandwidthLimitMbps = bwlimitToMbps('--bwlimit', flags['bwlimit']);
  const include = patterns('--include', flags['include']);
  const exclude = patterns('--exclude', flags['exclude']);
  if (include.length > 0 || exclude.length > 0) options.runFilters = { include, exclude };
  return options;
}

/** `500` (files, as rsync and rclone count) or `50%` (of a side's files, as the conduit's own guard). */
export function maxDeleteArgument(text: unknown): { maxDeletes: number } | { maxDeletePercent: number } {
  const given = typeof text === 'string' ? text : String(text);
  if (COUNT_TEXT.test(given)) return { maxDeletes: Number(given) };
  const percent = PERCENT_TEXT.exec(given);
  if (!percent) throw new UsageError(`--max-delete: expected a count of files (500) or a percentage (50%), got ${JSON.stringify(given)}`);
  const value = Number(percent[1]);
  if (value > 100) throw new UsageError(`--max-delete: expected a percentage from 0% to 100%, got ${JSON.stringify(given)}`);
  return { maxDeletePercent: value };
}

function patterns(flag: string, value: unknown): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value.map(String) : [String(value)];
  const blank = list.find((pattern) => pattern.trim() === '');
  if (blank !== undefined) throw new UsageError(`${flag}: expected a .gitignore-style pattern, got ${JSON.stringify(blank)}`);
  return list;
}
