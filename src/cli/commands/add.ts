import { ConfigError } from '../../config/config-error.js';
import { addConduit } from '../../service/conduit-admin.js';
import { conduitView } from '../../service/views.js';
import type { CommandContext } from '../context.js';
import { flagsToInput, toFlagError } from '../conduit-flags.js';
import { conduitDetails } from '../format.js';

/** `conduit add --name N --source DIR --target DIR --mode M [...]`: create a conduit and print it. */
export async function run(context: CommandContext, _args: string[], flags: Record<string, unknown>): Promise<void> {
  const store = await context.openStore();
  let row;
  try {
    row = addConduit(store, flagsToInput(flags), { baseDir: context.cwd });
  } catch (error) {
    throw error instanceof ConfigError ? toFlagError(error) : error;
  }
  context.logger.info({ conduit: row.name }, 'conduit added');
  if (context.json) context.printJson(conduitView(row));
  else context.print(`Added conduit "${row.name}".\n\n${conduitDetails(row)}`);
}
