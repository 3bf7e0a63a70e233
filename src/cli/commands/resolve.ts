import { NodeFileSystem } from '../../fs/node-file-system.js';
import { EXIT } from '../../core/vocabulary.js';
import { ConflictChangedError, resolveConflict, type ResolveChoice } from '../../service/resolve-conflict.js';
import type { CommandContext } from '../context.js';
import { UsageError } from '../usage-error.js';

/** `conduit resolve <conflict-id> --keep source|target|both` or `--dismiss`. */
export async function run(context: CommandContext, [idText = '']: string[], flags: Record<string, unknown>): Promise<void> {
  const id = Number(idText);
  if (!Number.isInteger(id) || id < 1) throw new UsageError(`<conflict-id>: expected a conflict id (see conduit conflicts), got ${JSON.stringify(idText)}`);
  const keep = flags['keep'] as string | undefined;
  const dismiss = flags['dismiss'] === true;
  if ((keep === undefined) === !dismiss) throw new UsageError('resolve: give exactly one of --keep source|target|both and --dismiss');
  if (keep !== undefined && !['source', 'target', 'both'].includes(keep)) throw new UsageError(`--keep: expected source | target | both, got ${JSON.stringify(keep)}`);
  const choice: ResolveChoice = dismiss ? 'dismiss' : (keep as ResolveChoice);
  const store = await context.openStore();
  let record;
  try {
    record = await resolveConflict(store, new NodeFileSystem(), id, choice);
  } catch (error) {
    if (!(error instanceof ConflictChangedError)) throw error;
    // A refusal (SPEC §11: exit 3), like a guard's: one line, nothing changed.
    process.stderr.write(`conduit: ${error.message}\n`);
    process.exitCode = EXIT.refused;
    return;
  }
  if (context.json) context.printJson(record);
  else context.print(`conflict ${record.id} (${record.conduit}: ${record.path}) resolved: ${record.resolution}${record.conflictCopy ? `, the other version is ${record.conflictCopy}` : ''}`);
}
