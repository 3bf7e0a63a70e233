import { configBaseDir, configDatabase, placed, readConfigJson, validateConfig } from '../../config/config-file.js';
import { importConduits } from '../../service/conduit-admin.js';
import { conduitView } from '../../service/views.js';
import type { CommandContext } from '../context.js';

/**
 * `conduit import <file>`: upserts the file's conduits by name, all or
 * nothing. The file is validated whole, against the conduits already stored,
 * before anything is written.
 */
export async function run(context: CommandContext, [file = '']: string[]): Promise<void> {
  const raw = readConfigJson(file);
  const baseDir = configBaseDir(file);
  const database = configDatabase(raw, baseDir);
  // Validated once before the database is opened, so a bad file never creates one; then again
  // against the stored conduits (targets must not overlap those the file does not replace).
  // Both times no root may contain the database actually used (`--db` overrides the file's).
  placed(file, () => validateConfig(raw, { baseDir, databasePath: context.databasePath(database) }));
  const store = await context.openStore(database);
  const config = placed(file, () => validateConfig(raw, { baseDir, existing: store.listConduits(), databasePath: store.path }));
  const result = importConduits(store, config.conduits);
  context.logger.info({ file, created: result.created, updated: result.updated, unchanged: result.unchanged }, 'config imported');
  if (context.json) {
    context.printJson({ created: result.created, updated: result.updated, unchanged: result.unchanged, conduits: result.rows.map(conduitView) });
    return;
  }
  const names = (list: readonly string[]) => (list.length === 0 ? '' : ` (${list.join(', ')})`);
  context.print(`Imported ${result.rows.length} conduit${result.rows.length === 1 ? '' : 's'} from ${file} into ${store.path}: `
    + `${result.created.length} created${names(result.created)}, ${result.updated.length} updated${names(result.updated)}`
    + `${result.unchanged.length > 0 ? `, ${result.unchanged.length} unchanged${names(result.unchanged)}` : ''}.`);
}
