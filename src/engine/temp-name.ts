import { TEMP_MARKER } from './filters.js';

/**
 * SPEC §3: every file is written to `.<name>.conduit-tmp-<random>` in its
 * destination directory, then renamed. The scan recognises leftovers with
 * `isConduitTempName` (filters.ts), which owns the marker.
 */

/**
 * Longest part of the original name kept in a temporary, in UTF-8 bytes: the
 * temp adds ~30 bytes and a name may be 255 already, so a long name is cut
 * (the temp stays unique through its random part, and `ENAMETOOLONG` never
 * hits a temporary that the final name would not have hit).
 */
const MAX_NAME_BYTES = 200;

export function tempNameFor(basename: string, random: string): string {
  return `.${truncateUtf8(basename, MAX_NAME_BYTES)}${TEMP_MARKER}${random}`;
}

/** The longest prefix of `text` (whole code points) that fits in `maxBytes` of UTF-8. */
function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let bytes = 0;
  let out = '';
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (bytes + n > maxBytes) break;
    bytes += n;
    out += ch;
  }
  return out;
}
