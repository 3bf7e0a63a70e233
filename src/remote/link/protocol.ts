import { Packr } from 'msgpackr';
import { FS_ERROR_CODES, FsError, type FsErrorCode } from '../../fs/file-system.js';

/**
 * The agent protocol (issue 10), spoken on the agent's stdin/stdout over ssh.
 *
 * 1. The agent writes AGENT_MAGIC, then a `hello` frame: the protocol
 *    versions it speaks (a range) and its software version.
 * 2. The client checks the magic (anything else first — a login script that
 *    prints to stdout — is a clear error showing what came instead), picks
 *    the highest version both speak (rsync and Unison negotiate the same way;
 *    an exact-version match is the source of Mutagen's most-filed agent
 *    issues), writes CLIENT_MAGIC and an `open` frame: that version and the
 *    root the agent is confined to. No shared version: a one-line error
 *    naming both ranges.
 * 3. The agent answers `opened` (or `refused` with why) and from then on
 *    serves `call` frames until its stdin ends: any number in flight, each
 *    answered by one `result` or `error` frame with its id, optionally after
 *    `event` frames with the same id (streams: watch hints, chunks). A
 *    `cancel` frame aborts a call's signal.
 *
 * Frames: a 4-byte big-endian length, then one MessagePack value (msgpackr,
 * with 64-bit integers as bigint so nanosecond mtimes survive; typed arrays
 * and Buffers travel as binary). Maps do not survive (they decode as plain
 * objects): wire types use arrays and records.
 */

export const AGENT_MAGIC = Buffer.from('\u0000CONDUIT-AGENT\n', 'latin1');
export const CLIENT_MAGIC = Buffer.from('\u0000CONDUIT-CLIENT\n', 'latin1');

/** Versions this build speaks. Raise `max` with a new version; raise `min` only when dropping an old one. */
export const PROTOCOL_VERSIONS: VersionRange = { min: 1, max: 1 };

/** Largest frame accepted (a batch of small files rides in one frame; big files travel in chunks). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export interface VersionRange {
  readonly min: number;
  readonly max: number;
}

export type Frame =
  | { readonly t: 'hello'; readonly versions: VersionRange; readonly software: string }
  | { readonly t: 'open'; readonly version: number; readonly root: string; readonly software: string }
  | { readonly t: 'opened'; readonly version: number }
  | { readonly t: 'refused'; readonly message: string }
  | { readonly t: 'call'; readonly id: number; readonly method: string; readonly params: unknown }
  | { readonly t: 'cancel'; readonly id: number }
  | { readonly t: 'result'; readonly id: number; readonly value: unknown }
  | { readonly t: 'error'; readonly id: number; readonly error: WireError }
  | { readonly t: 'event'; readonly id: number; readonly value: unknown };

/** The highest version both ranges hold, or null. */
export function negotiateVersion(ours: VersionRange, theirs: VersionRange): number | null {
  const version = Math.min(ours.max, theirs.max);
  return version >= Math.max(ours.min, theirs.min) ? version : null;
}

export function rangeText(range: VersionRange): string {
  return range.min === range.max ? `${range.min}` : `${range.min}-${range.max}`;
}

const packr = new Packr({ useRecords: false, int64AsType: 'bigint', moreTypes: true });

export function encodeFrame(frame: Frame): Buffer {
  const body = packr.pack(frame);
  const out = Buffer.allocUnsafe(4 + body.length);
  out.writeUInt32BE(body.length, 0);
  body.copy(out, 4);
  return out;
}

export function decodeFrameBody(body: Buffer): Frame {
  return packr.unpack(body) as Frame;
}

/** An error as it crosses the link. FsErrors keep their code, op and path (the far host's path). */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly op?: string;
  readonly path?: string;
}

export function toWireError(err: unknown): WireError {
  if (err instanceof FsError) return { name: 'FsError', message: err.message, code: err.code, op: err.op, path: err.path };
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(err) };
}

const CODES: ReadonlySet<string> = new Set(FS_ERROR_CODES);

/** The error rebuilt on this side: an FsError stays an FsError (so the engine's rules apply unchanged). */
export function fromWireError(wire: WireError): Error {
  if (wire.name === 'FsError') {
    const code = (wire.code !== undefined && CODES.has(wire.code) ? wire.code : 'EOTHER') as FsErrorCode;
    return new FsError(code, wire.op ?? 'remote', wire.path ?? '', wire.message);
  }
  const err = new Error(wire.message);
  err.name = wire.name;
  return err;
}
