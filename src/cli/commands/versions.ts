import { requireConduit } from '../../service/require-conduit.js';
import { listVersions } from '../../service/versions.js';
import type { CommandContext } from '../context.js';
import { bytes, table, when } from '../format.js';

/** `conduit versions <conduit> [path]`: what `versioning` kept, newest first (`--json`: `[{path, side, versionPath, keptAt, size}]`). */
export async function run(context: CommandContext, [name = '', path]: string[]): Promise<void> {
  const store = await context.openStore();
  const conduit = requireConduit(store, name);
  const opened = await context.openRoots(conduit);
  const versions = await listVersions(opened.fs, opened.conduit, path);
  if (context.json) return context.printJson(versions);
  if (conduit.versioning === null) return context.print(`${name} keeps no versions (versioning is off; set it in a config file and import it).`);
  if (versions.length === 0) return context.print(path === undefined ? `${name} has kept no versions yet.` : `${name} keeps no version under ${JSON.stringify(path)}.`);
  context.print(table(['KEPT AT', 'SIDE', 'SIZE', 'PATH', 'VERSION'], versions.map((v) => [
    when(v.keptAt), v.side, bytes(v.size), v.path, v.versionPath,
  ])));
}
