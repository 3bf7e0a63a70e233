import type { GenerationEventInput } from '../db/store.js';
import { bytes } from './format.js';

/**
 * `conduit run -v`: one line per action as it finishes, in conduit's own
 * words (the event vocabulary of `show-generation`), like rsync's `-v`:
 *
 *     copy          target  docs/a.txt  12.0 KiB
 *     mkdir         target  docs
 *     delete        target  old.txt
 *     conflict_copy source  notes.txt  saved as notes.conflict-source-20261123T051500Z.txt
 *     skip          target  b.txt  copy: modified since scan
 *     error         target  c.txt  copy: EACCES: permission denied …
 *
 * The action, the side it wrote (or skipped, or failed on), the path, the
 * bytes copied, and the reason of a skip or an error. A dry run lists what it
 * would do, without bytes.
 */
export function actionLine(event: GenerationEventInput): string {
  const size = event.bytes > 0 ? `  ${bytes(event.bytes)}` : '';
  const message = event.message ? `  ${event.message}` : '';
  return `${event.action.padEnd(13)} ${(event.side ?? '-').padEnd(6)} ${event.path || '(root)'}${size}${message}`;
}
