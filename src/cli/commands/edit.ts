import { ConfigError } from '../../config/config-error.js';
import { editConduit } from '../../service/conduit-admin.js';
import { conduitView } from '../../service/views.js';
import type { CommandContext } from '../context.js';
import { flagsToInput, toFlagError } from '../conduit-flags.js';
import { conduitDetails } from '../format.js';
import { UsageError } from '../usage-error.js';

/** `conduit edit <name> [flags]`: change only the fields whose flags are given, then validate the whole conduit. */
export async function run(context: CommandContext, [name = '']: string[], flags: Record<string, unknown>): Promise<void> {
  const patch = flagsToInput(flags);
  if (Object.keys(patch).length === 0) throw new UsageError(`edit ${name}: nothing to change (give at least one flag, see conduit edit --help)`);
  const store = await context.openStore();
  let row;
  try {
    row = editConduit(store, name, patch, { baseDir: context.cwd });
  } catch (error) {
    throw error instanceof ConfigError ? toFlagError(error) : error;
  }
  context.logger.info({ conduit: row.name, fields: Object.keys(patch) }, 'conduit edited');
  if (context.json) context.printJson(conduitView(row));
  else context.print(`Updated conduit "${row.name}".\n\n${conduitDetails(row)}`);
}
