/**
 * Names are bytes (README "Choices"): a POSIX file name is any byte string
 * without `/` and NUL, UTF-8 or not. Inside conduit a name is a JS string, so
 * it can be a Map key, a SQLite TEXT value, a JSON string and an API path; at
 * the node implementation's edge (node-file-system.ts) it becomes bytes again.
 *
 * The mapping, bijective over all byte strings:
 * - a valid UTF-8 sequence is its character, as usual;
 * - a byte that is not part of a valid sequence (always 0x80-0xFF) becomes the
 *   private-use character U+F780 + (byte - 0x80), one per byte;
 * - a valid sequence whose character lies in that same range U+F780-U+F7FF is
 *   escaped too, byte by byte (its three bytes become three escape characters),
 *   so an escape character in a string always means "this one byte".
 * Back to bytes: every escape character is its byte, everything else its UTF-8.
 * (The idea of Python's `surrogateescape` and MirBSD's OPTU-8, but with
 * private-use characters rather than lone surrogates, so every string stays
 * valid Unicode that SQLite, JSON and HTTP carry unchanged.)
 *
 * Cost: a name that is valid UTF-8 without escape-range characters — every
 * name in practice — is the string Node returns, untouched; the only work is
 * one regular-expression test per directory listing and per path handed to
 * the disk.
 */

const ESCAPE_FIRST = 0xf780;
const ESCAPE_LAST = 0xf7ff;

/** A path holding an escape character must go to the disk as bytes. */
const HAS_ESCAPE = /[\uF780-\uF7FF]/;
/** Node's UTF-8 decoding of a name may have lost bytes (U+FFFD) or produced an escape-range character that must be escaped: read it again as bytes. */
const MAY_NEED_BYTES = /[\uFFFD\uF780-\uF7FF]/;
const ESCAPE_RANGE_GLOBAL = /[\uF780-\uF7FF]/g;

/** True when `path` holds an escape character, i.e. it must be handed to the disk as bytes (`bytesOfName`). */
export function needsBytes(path: string): boolean {
  return HAS_ESCAPE.test(path);
}

/** True when a name Node decoded as UTF-8 may not be conduit's string for it: read the raw bytes and use `nameFromBytes`. */
export function mayNeedBytes(decoded: string): boolean {
  return MAY_NEED_BYTES.test(decoded);
}

/** The name conduit uses for a byte string (see the module comment). */
export function nameFromBytes(bytes: Uint8Array): string {
  let out = '';
  let runStart = 0;
  let i = 0;
  const n = bytes.length;
  const flush = (end: number): void => {
    if (end > runStart) out += Buffer.from(bytes.buffer, bytes.byteOffset + runStart, end - runStart).toString('utf8');
  };
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const length = validSequenceLength(bytes, i);
    if (length > 0 && !(length === 3 && isEscapeRangeSequence(bytes, i))) {
      i += length;
      continue;
    }
    // An invalid byte, or the first byte of an escape-range character: each byte escaped on its own.
    flush(i);
    const escaped = length === 3 ? 3 : 1;
    for (let k = 0; k < escaped; k++) out += String.fromCharCode(ESCAPE_FIRST + (bytes[i + k]! - 0x80));
    i += escaped;
    runStart = i;
  }
  flush(n);
  return out;
}

/** The bytes of a conduit name or path: escape characters are their bytes, everything else UTF-8. */
export function bytesOfName(name: string): Buffer {
  const parts: Buffer[] = [];
  let runStart = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < ESCAPE_FIRST || c > ESCAPE_LAST) continue;
    if (i > runStart) parts.push(Buffer.from(name.slice(runStart, i), 'utf8'));
    parts.push(Buffer.of(c - ESCAPE_FIRST + 0x80));
    runStart = i + 1;
  }
  if (runStart === 0) return Buffer.from(name, 'utf8');
  if (runStart < name.length) parts.push(Buffer.from(name.slice(runStart), 'utf8'));
  return Buffer.concat(parts);
}

/**
 * conduit's name for a string that came from outside as valid Unicode (a
 * chokidar event, a path typed by a user): the same as `nameFromBytes` of its
 * UTF-8 bytes, i.e. its escape-range characters escaped.
 */
export function nameFromText(text: string): string {
  if (!HAS_ESCAPE.test(text)) return text;
  return text.replace(ESCAPE_RANGE_GLOBAL, (ch) => nameFromBytes(Buffer.from(ch, 'utf8')));
}

/** Length of the valid UTF-8 sequence starting at `i` (RFC 3629: no overlongs, no surrogates, at most U+10FFFF), or 0. */
function validSequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i]!;
  const n = bytes.length;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < n && bytes[i + k]! >= lo && bytes[i + k]! <= hi;
  if (b0 >= 0xc2 && b0 <= 0xdf) return cont(1) ? 2 : 0;
  if (b0 >= 0xe0 && b0 <= 0xef) {
    const lo = b0 === 0xe0 ? 0xa0 : 0x80;
    const hi = b0 === 0xed ? 0x9f : 0xbf;
    return cont(1, lo, hi) && cont(2) ? 3 : 0;
  }
  if (b0 >= 0xf0 && b0 <= 0xf4) {
    const lo = b0 === 0xf0 ? 0x90 : 0x80;
    const hi = b0 === 0xf4 ? 0x8f : 0xbf;
    return cont(1, lo, hi) && cont(2) && cont(3) ? 4 : 0;
  }
  return 0;
}

/** U+F780-U+F7FF is EF 9E 80 - EF 9F BF. */
function isEscapeRangeSequence(bytes: Uint8Array, i: number): boolean {
  return bytes[i] === 0xef && (bytes[i + 1] === 0x9e || bytes[i + 1] === 0x9f);
}
