import { Option } from 'commander';
import type { Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { CONFLICT_POLICIES, MODES } from '../core/vocabulary.js';
import { bwlimitToMbps } from './rate-argument.js';
import { UsageError } from './usage-error.js';

/**
 * The flags of `conduit add` and `conduit edit` (and the conduit half of `conduit sync`), and their
 * translation into a plain conduit input for `src/config` to validate. Flags
 * stay strings here: validation reports what the user typed (`got "abc"`).
 */

/** Which flag sets each conduit field, so errors name the flag the user typed. */
const FLAG_OF_FIELD: Record<string, string> = {
  name: '--name',
  source: '--source',
  target: '--target',
  mode: '--mode',
  schedule: '--schedule',
  conflict: '--conflict',
  include: '--include',
  exclude: '--exclude',
  parallelTransfers: '--parallel',
  bandwidthLimitMbps: '--bandwidth-limit',
  maxDeletePercent: '--max-delete',
  verifyTimeoutSeconds: '--verify-timeout',
  checksum: '--checksum',
  useIndexRules: '--no-index-rules',
  enabled: '--disabled',
  sshCommand: '--ssh-command',
  remoteCommand: '--remote-command',
};

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function addConduitFlags(command: Command, purpose: 'add' | 'edit'): Command {
  const forEdit = purpose === 'edit';
  // `edit` changes only what is given: a default there would only mislead.
  const byDefault = (value: string) => (forEdit ? '' : ` (default: ${value})`);
  command
    .option('--name <name>', forEdit ? 'rename the conduit' : 'unique name: letters, digits, ".", "_", "-"')
    .option('--source <dir>', 'source directory (must exist), or ssh://[user@]host[:port]/path, or user@host:/path')
    .option('--target <dir>', 'target directory (created at the first run; its parent must exist), or a remote root as for --source')
    .option('--mode <mode>', MODES.join(' | '))
    .option('--schedule <schedule>', `manual | instant | interval:<n><s|m|h> | cron:<5-field expression>${byDefault('manual')}`);
  addSharedFlags(command, forEdit, byDefault);
  command
    .option('--max-delete <pct>', `refuse a run that deletes more than this share of a side's files: 0-100, "%" optional${byDefault('50%')}`)
    .option('--verify-timeout <seconds>', `how long verification waits for the watcher, 1-3600${byDefault('30')}`)
    .option('--ssh-command <command>', `remote root: the ssh command line, run by sh like GIT_SSH_COMMAND${byDefault('ssh, or $CONDUIT_SSH_COMMAND')}`)
    .option('--remote-command <command>', `remote root: the command run on the far host${byDefault('conduit agent, or $CONDUIT_REMOTE_COMMAND')}`);
  if (forEdit) {
    command
      .option('--no-ssh-command', 'reach the remote root with ssh again (or $CONDUIT_SSH_COMMAND when set)')
      .option('--no-remote-command', 'run conduit agent on the far host again (or $CONDUIT_REMOTE_COMMAND when set)')
      .option('--no-exclude', 'clear the exclude list')
      .option('--no-bandwidth-limit', 'remove the bandwidth limit')
      .option('--no-checksum', 'compare size and mtime again')
      .option('--index-rules', 'apply the built-in ignore list and .conduitignore again');
  } else {
    command.addOption(new Option('--disabled', 'create it disabled (it does not run until enabled)'));
  }
  return command;
}

/** The flags that describe how a conduit syncs, shared by add, edit and sync. */
function addSharedFlags(command: Command, forEdit: boolean, byDefault: (value: string) => string): void {
  command
    .option('--conflict <policy>', `bidirectional only: ${CONFLICT_POLICIES.join(' | ')}${byDefault('keep-both')}`)
    .option('--include <glob>', `.gitignore-style pattern to sync (repeatable${forEdit ? '; replaces the list' : ''})`, collect)
    .option('--exclude <glob>', `.gitignore-style pattern to skip (repeatable${forEdit ? '; replaces the list' : ''})`, collect)
    .option('--parallel <n>', `transfers at once, 1-64${byDefault('4')}`)
    .option('--bandwidth-limit <mbps>', `cap in megabits per second, > 0${byDefault('none')}`)
    .option('--bwlimit <rate>', `cap as rsync and rclone write it: KiB/s, or with a K, M or G suffix (10M = 10 MiB/s); 0 for none${byDefault('none')}`)
    .option('--checksum', 'compare content hashes instead of size and mtime')
    .option('--no-index-rules', 'do not apply the built-in ignore list and .conduitignore');
}

/**
 * `conduit sync SRC DST`: the conduit flags (without name, roots, schedule:
 * sync derives or fixes those) and the flags of one run.
 */
export function addSyncFlags(command: Command): Command {
  command.option('--mode <mode>', `${MODES.join(' | ')} (default: mirror)`);
  addSharedFlags(command, false, (value) => ` (default: ${value})`);
  return addRunFlags(command, { bwlimit: false });
}

/** The flags of one generation: `run`, and the run half of `sync`. */
export function addRunFlags(command: Command, options: { bwlimit: boolean } = { bwlimit: true }): Command {
  if (options.bwlimit) command.option('--bwlimit <rate>', 'for this run: cap in KiB/s, or with a K, M or G suffix (10M = 10 MiB/s); 0 for none');
  return command
    .option('-n, --dry-run', 'plan and report without changing any file or the baseline')
    .option('-v, --verbose', 'print each action as it finishes: action, side, path, bytes (a dry run: what it would do)')
    .option('--progress', 'show %, actions, bytes, current rate and ETA on stderr, also when it is not a terminal')
    .option('--force', 'allow, once, a deletion a safety guard refused (never a missing root)')
    .option('--max-delete <n|pct>', 'for this run: refuse deleting more than n files (500), or more than this share of a side\'s files (50%)')
    .option('--verify', 'wait for the watcher to confirm what the generation wrote; exit 1 if it does not')
    .option('--wait', 'when another process is running the conduit, wait for it to finish instead of exiting 4');
}

/** `run`'s per-run filters (`sync` stores its filters on its conduit instead). */
export function addRunFilterFlags(command: Command): Command {
  return command
    .option('--exclude <glob>', 'for this run: also skip paths matching this .gitignore-style pattern (repeatable)', collect)
    .option('--include <glob>', 'for this run: also sync paths matching this pattern (repeatable)', collect);
}

/**
 * The conduit input the flags describe: only the fields the user gave, so
 * that `edit` changes exactly those. Numbers not written as plain decimals
 * stay strings and fail validation with the text typed.
 */
export function flagsToInput(flags: Record<string, unknown>): Record<string, unknown> {
  const input: Record<string, unknown> = {};
  const copy = (flag: string, field: string, convert: (value: unknown) => unknown = (value) => value) => {
    if (flags[flag] !== undefined) input[field] = convert(flags[flag]);
  };
  copy('name', 'name');
  copy('source', 'source');
  copy('target', 'target');
  copy('mode', 'mode');
  copy('schedule', 'schedule');
  copy('conflict', 'conflict');
  copy('include', 'include');
  copy('exclude', 'exclude', (value) => (value === false ? [] : value));
  copy('parallel', 'parallelTransfers', wholeNumberOrText);
  copy('bandwidthLimit', 'bandwidthLimitMbps', (value) => (value === false ? null : decimalOrText(value)));
  if (flags['bwlimit'] !== undefined) {
    if (flags['bandwidthLimit'] !== undefined) throw new UsageError('--bwlimit: expected either --bwlimit or --bandwidth-limit, got both');
    input['bandwidthLimitMbps'] = bwlimitToMbps('--bwlimit', flags['bwlimit']);
  }
  // The stored guard is a percentage: `30%` or `30` (a count of files is per run: `conduit run --max-delete 500`).
  copy('maxDelete', 'maxDeletePercent', (value) => decimalOrText(typeof value === 'string' && PERCENT_TEXT.test(value) ? value.slice(0, -1) : value));
  copy('verifyTimeout', 'verifyTimeoutSeconds', wholeNumberOrText);
  copy('checksum', 'checksum');
  copy('indexRules', 'useIndexRules');
  if (flags['disabled'] === true) input['enabled'] = false;
  // `edit --no-ssh-command`: back to the default (null); an empty text is refused by validation, not taken as a reset.
  copy('sshCommand', 'sshCommand', (value) => (value === false ? null : value));
  copy('remoteCommand', 'remoteCommand', (value) => (value === false ? null : value));
  return input;
}

/** A `ConfigError` about a conduit field, re-addressed to the flag that set it (`parallelTransfers` → `--parallel`). */
export function toFlagError(error: ConfigError): ConfigError {
  const head = /^[A-Za-z]+/.exec(error.field)?.[0] ?? '';
  const flag = FLAG_OF_FIELD[head];
  return flag === undefined ? error : error.renamed(flag);
}

/**
 * A flag's number, when it is written as plain decimal digits; anything else
 * (`0x10`, `4e0`, `' 4'`, `4.0`, `''`, `Infinity`, which `Number()` would
 * all take) stays text and fails validation showing what was typed.
 */
// A minus sign is kept, so that `-1` is refused by the range check with the number shown.
const WHOLE_NUMBER_TEXT = /^-?[0-9]+$/;
const DECIMAL_TEXT = /^-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)$/;
const PERCENT_TEXT = /^-?(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)%$/;

export function wholeNumberOrText(value: unknown): unknown {
  return typeof value === 'string' && WHOLE_NUMBER_TEXT.test(value) ? Number(value) : value;
}

/** As `wholeNumberOrText`, also with a fraction (`12.5`, `.5`): for the bandwidth limit and the delete percentage. */
export function decimalOrText(value: unknown): unknown {
  return typeof value === 'string' && DECIMAL_TEXT.test(value) ? Number(value) : value;
}
