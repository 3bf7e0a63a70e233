import { TEMP_MARKER, TEMP_TOKEN_LENGTH } from './filters.js';

/**
 * SPEC §3: every file is written to `.<name>.conduit-tmp-<token>-<random>`
 * in its destination directory, then renamed. The token is the writing
 * conduit's own (`tempTokenFor`), so a generation recognises its own
 * leftovers and leaves every other name alone: another conduit's temporaries
 * (chained conduits: one's target is another's source), and a user's file
 * that merely looks like one. `tempTokenOf` (filters.ts) reads a name back.
 */

/**
 * Longest part of the original name kept in a temporary, in UTF-8 bytes: the
 * temp adds ~45 bytes and a name may be 255 already, so a long name is cut
 * (the temp stays unique through its random part, and `ENAMETOOLONG` never
 * hits a temporary that the final name would not have hit).
 */
const MAX_NAME_BYTES = 200;

const TOKEN_SHAPE = new RegExp(`^[0-9a-f]{${TEMP_TOKEN_LENGTH}}$`);

/** A conduit's temp token: the first 12 hex digits of its uuid, lowercase. */
export function tempTokenFor(conduitUuid: string): string {
  const hex = conduitUuid.replace(/-/g, '').toLowerCase();
  const token = hex.slice(0, TEMP_TOKEN_LENGTH);
  if (!TOKEN_SHAPE.test(token)) {
    throw new Error(`conduit uuid ${JSON.stringify(conduitUuid)} does not start with ${TEMP_TOKEN_LENGTH} hex digits`);
  }
  return token;
}

/** The temporary for `basename`, written by the conduit whose token is `token`; `random` keeps it unique. */
export function tempNameFor(basename: string, token: string, random: string): string {
  // A name of another shape would be taken for a user's file if it were ever left behind.
  if (!TOKEN_SHAPE.test(token)) throw new Error(`tempNameFor: ${JSON.stringify(token)} is not a temp token (${TEMP_TOKEN_LENGTH} hex digits)`);
  if (random === '') throw new Error('tempNameFor: the random part must not be empty');
  return `.${truncateUtf8(basename, MAX_NAME_BYTES)}${TEMP_MARKER}${token}-${random}`;
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
