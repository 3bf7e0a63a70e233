import { requireConduit } from '../../service/require-conduit.js';
import { conduitView, generationView, PENDING_WARN_GENERATIONS, pendingPathView } from '../../service/views.js';
import type { CommandContext } from '../context.js';
import { conduitDetails, PENDING_SHOWN } from '../format.js';

/**
 * `conduit show <name>`: settings, state, the last generation and totals, who
 * manages it, and its oldest pending paths with their reasons. `--json`: the
 * conduit object plus `lastGeneration` and `pending` (every pending path).
 */
export async function run(context: CommandContext, [name = '']: string[]): Promise<void> {
  const store = await context.openStore();
  const row = requireConduit(store, name);
  const last = row.syncGeneration > 0 ? store.getGeneration(row.id, row.syncGeneration) : undefined;
  if (context.json) {
    const pending = row.pendingPaths > 0 ? store.listPendingPaths(row.id) : [];
    context.printJson({ ...conduitView(row), lastGeneration: last ? generationView(last) : null, pending: pending.map(pendingPathView) });
    return;
  }
  const paths = row.pendingPaths > 0 ? store.listPendingPaths(row.id, PENDING_SHOWN) : [];
  context.print(conduitDetails(row, last, { paths, warnAfter: PENDING_WARN_GENERATIONS }));
  const stuck = paths.filter((p) => p.generations >= PENDING_WARN_GENERATIONS);
  if (stuck.length > 0) {
    context.logger.warn({ conduit: row.name, paths: stuck.map((p) => p.path) },
      `${stuck.length} path(s) of ${row.name} pending for ${PENDING_WARN_GENERATIONS} generations or more`);
  }
}
