import { CONDUIT_DEFAULTS } from '../../config/conduit-schema.js';
import { ConfigError } from '../../config/config-error.js';
import { ownFilesOf } from '../../config/own-files.js';
import { validateConduit } from '../../config/validate-conduit.js';
import { prewarmScanWorkers } from '../../engine/scan.js';
import { addConduit, editConduit } from '../../service/conduit-admin.js';
import type { CommandContext } from '../context.js';
import { flagsToInput, toFlagError } from '../conduit-flags.js';
import { runInForeground } from '../foreground-run.js';
import { parseRunOptions } from '../run-options.js';
import { syncConduitName } from '../sync-name.js';

/**
 * `conduit sync SRC DST [--mode M] [conduit flags] [run flags]`: one
 * generation of SRC → DST without `conduit add` first, as `rsync -a --delete`
 * or `rclone sync` are used. It runs under a conduit of its own, named from
 * the two paths (sync-name.ts), created at the first sync of the pair and
 * reused by the next (its baseline, its history: `conduit history <name>`),
 * schedule `manual`. Each sync describes that conduit whole: the flags given
 * now, the defaults for the rest (mode `mirror`, as `rclone sync`), so a
 * flag left out is not silently kept from an earlier sync. `--max-delete` and
 * `-n`/`-v`/`--progress`/`--force`/`--verify`/`--wait` are per run, as for
 * `conduit run`.
 */
export async function run(context: CommandContext, [source = '', target = '']: string[], flags: Record<string, unknown>): Promise<number> {
  // --bwlimit, --include and --exclude describe the sync's conduit (below), not one run of it.
  const options = parseRunOptions({ ...flags, bwlimit: undefined, include: undefined, exclude: undefined });
  const conduitFlags = { ...flags, maxDelete: undefined, source, target };
  const name = syncConduitName(source, target, context.cwd);
  const given = flagsToInput(conduitFlags);
  const mode = given['mode'] ?? 'mirror';
  const input: Record<string, unknown> = {
    name, mode, schedule: 'manual',
    include: CONDUIT_DEFAULTS.include, exclude: CONDUIT_DEFAULTS.exclude, useIndexRules: CONDUIT_DEFAULTS.useIndexRules,
    parallelTransfers: CONDUIT_DEFAULTS.parallelTransfers, bandwidthLimitMbps: CONDUIT_DEFAULTS.bandwidthLimitMbps,
    checksum: CONDUIT_DEFAULTS.checksum, sshCommand: CONDUIT_DEFAULTS.sshCommand, remoteCommand: CONDUIT_DEFAULTS.remoteCommand,
    ...(mode === 'bidirectional' ? { conflict: CONDUIT_DEFAULTS.conflict } : {}),
    ...given,
  };
  try {
    // Validated before the database is opened or created: a bad sync leaves nothing behind.
    validateConduit(input, { baseDir: context.cwd, ownFiles: ownFilesOf(context.databasePath()) });
  } catch (error) {
    throw error instanceof ConfigError ? toFlagError(error) : error;
  }
  prewarmScanWorkers();
  return runInForeground(context, async () => {
    const store = await context.openStore();
    try {
      const existing = store.getConduit(name);
      const { name: _name, ...patch } = input;
      const conduit = existing ? editConduit(store, name, patch, { baseDir: context.cwd }) : addConduit(store, input, { baseDir: context.cwd });
      if (!existing) context.logger.info({ conduit: name }, 'conduit added for sync');
      return { store, conduit };
    } catch (error) {
      throw error instanceof ConfigError ? toFlagError(error) : error;
    }
  }, options);
}
