import { exportConduits } from '../../service/conduit-admin.js';
import type { CommandContext } from '../context.js';

/** `conduit export`: every conduit as a config file (SPEC §10) that `conduit import` accepts. Always JSON. */
export async function run(context: CommandContext): Promise<void> {
  const store = await context.openStore();
  context.printJson(exportConduits(store));
}
