import { requireConduit } from '../../service/require-conduit.js';
import type { CommandContext } from '../context.js';
import { conflictsTable } from '../generation-format.js';

/** `conduit conflicts [<name>] [--all]`: unresolved conflicts (every one with --all). */
export async function run(context: CommandContext, [name]: string[], flags: Record<string, unknown>): Promise<void> {
  const store = await context.openStore();
  if (name) requireConduit(store, name);
  const all = flags['all'] === true;
  const records = store.listConflicts({ ...(name ? { conduit: name } : {}), all });
  if (context.json) context.printJson(records);
  else if (records.length === 0) context.print(all ? 'No conflicts recorded.' : 'No unresolved conflicts.');
  else context.print(conflictsTable(records));
}
