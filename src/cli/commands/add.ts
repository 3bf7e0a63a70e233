import { ConfigError } from '../../config/config-error.js';
import { ownFilesOf } from '../../config/own-files.js';
import { validateConduit } from '../../config/validate-conduit.js';
import { addConduit } from '../../service/conduit-admin.js';
import { conduitView } from '../../service/views.js';
import type { CommandContext } from '../context.js';
import { flagsToInput, toFlagError } from '../conduit-flags.js';
import { conduitDetails } from '../format.js';

/** `conduit add --name N --source DIR --target DIR --mode M [...]`: create a conduit and print it. */
export async function run(context: CommandContext, _args: string[], flags: Record<string, unknown>): Promise<void> {
  const input = flagsToInput(flags);
  let row;
  try {
    // Validated once before the database is opened, so that a refused add never creates one
    // (`--db bk/conduit.db add --target bk`); then again, against the stored conduits, by addConduit.
    validateConduit(input, { baseDir: context.cwd, ownFiles: ownFilesOf(context.databasePath()) });
    const store = await context.openStore();
    row = addConduit(store, input, { baseDir: context.cwd });
  } catch (error) {
    throw error instanceof ConfigError ? toFlagError(error) : error;
  }
  context.logger.info({ conduit: row.name }, 'conduit added');
  if (context.json) context.printJson(conduitView(row));
  else context.print(`Added conduit "${row.name}".\n\n${conduitDetails(row)}`);
}
