import { Option } from 'commander';
import type { Command } from 'commander';
import { ConfigError } from '../config/config-error.js';
import { CONFLICT_POLICIES, MODES } from '../core/vocabulary.js';

/**
 * The flags of `conduit add` and `conduit edit` (SPEC §11), and their
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
};

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

export function addConduitFlags(command: Command, purpose: 'add' | 'edit'): Command {
  const forEdit = purpose === 'edit';
  command
    .option('--name <name>', forEdit ? 'rename the conduit' : 'unique name: letters, digits, ".", "_", "-"')
    .option('--source <dir>', 'source directory (must exist)')
    .option('--target <dir>', 'target directory (created at the first run; its parent must exist)')
    .option('--mode <mode>', MODES.join(' | '))
    .option('--schedule <schedule>', 'manual | instant | interval:<n><s|m|h> | cron:<5-field expression> (default: manual)')
    .option('--conflict <policy>', `bidirectional only: ${CONFLICT_POLICIES.join(' | ')} (default: keep-both)`)
    .option('--include <glob>', `.gitignore-style pattern to sync (repeatable${forEdit ? '; replaces the list' : ''})`, collect)
    .option('--exclude <glob>', `.gitignore-style pattern to skip (repeatable${forEdit ? '; replaces the list' : ''})`, collect)
    .option('--parallel <n>', 'transfers at once, 1-64 (default: 4)')
    .option('--bandwidth-limit <mbps>', 'cap in megabits per second, > 0 (default: none)')
    .option('--max-delete <pct>', 'refuse a run that deletes more than this % of files, 0-100 (default: 50)')
    .option('--verify-timeout <seconds>', 'how long verification waits for the watcher, 1-3600 (default: 30)')
    .option('--checksum', 'compare content hashes instead of size and mtime')
    .option('--no-index-rules', 'do not apply the built-in ignore list and .conduitignore');
  if (forEdit) {
    command
      .option('--no-exclude', 'clear the exclude list')
      .option('--no-bandwidth-limit', 'remove the bandwidth limit')
      .option('--no-checksum', 'compare size and mtime again')
      .option('--index-rules', 'apply the built-in ignore list and .conduitignore again');
  } else {
    command.addOption(new Option('--disabled', 'create it disabled (it does not run until enabled)'));
  }
  return command;
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
  copy('maxDelete', 'maxDeletePercent', decimalOrText);
  copy('verifyTimeout', 'verifyTimeoutSeconds', wholeNumberOrText);
  copy('checksum', 'checksum');
  copy('indexRules', 'useIndexRules');
  if (flags['disabled'] === true) input['enabled'] = false;
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

export function wholeNumberOrText(value: unknown): unknown {
  return typeof value === 'string' && WHOLE_NUMBER_TEXT.test(value) ? Number(value) : value;
}

/** As `wholeNumberOrText`, also with a fraction (`12.5`, `.5`): for the bandwidth limit and the delete percentage. */
export function decimalOrText(value: unknown): unknown {
  return typeof value === 'string' && DECIMAL_TEXT.test(value) ? Number(value) : value;
}
