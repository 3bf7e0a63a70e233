import type { SideBaselineColumns } from '../../core/change-set.js';
import { concatColumns } from '../../core/change-set/column-rows.js';
import type { ScanOptions } from '../../engine/scan.js';
import { FsError, type FileSystem } from '../../fs/file-system.js';
import { clampPieceBytes, HELD_COLUMNS_PER_ROOT, resultPieces, walkAnswer, type ColumnsPieceParams, type WalkAnswer, type WalkParams } from '../wire/walk-wire.js';
import type { AgentSession, HandlerContext } from './serve.js';

/**
 * The agent's side of a walk (remote/wire/walk-wire.ts): the columns a session
 * was sent, kept for its next walks of the same root, and the walk's answer
 * streamed in pieces. The handlers in fs-handlers.ts confine the root first
 * and call these.
 */


interface Upload {
  readonly root: string;
  readonly count: number;
  readonly side: SideBaselineColumns['side'];
  readonly pieces: SideBaselineColumns[];
  rows: number;
}

interface Held {
  readonly columns: SideBaselineColumns;
  /** Uploaded, and the walk it was uploaded for has not come yet: not let go for newer columns (see `hold`). */
  awaiting: boolean;
}

interface WalkState {
  /** root → digest → columns, least recently used first. */
  readonly held: Map<string, Map<string, Held>>;
  /** Columns arriving in pieces, by digest. */
  readonly uploads: Map<string, Upload>;
}

const states = new WeakMap<AgentSession, WalkState>();

function stateOf(session: AgentSession): WalkState {
  let state = states.get(session);
  if (state === undefined) {
    state = { held: new Map(), uploads: new Map() };
    states.set(session, state);
  }
  return state;
}

/**
 * Keep `columns` for `root`, and let the least recently used go beyond
 * HELD_COLUMNS_PER_ROOT — but never columns whose walk has not come yet:
 * walks of one root with several baselines at once (conduits sharing a
 * source) would otherwise take each other's columns away between upload
 * and walk, over and over. Those are at most one per walk under way.
 */
function hold(state: WalkState, root: string, digest: string, columns: SideBaselineColumns): void {
  let byDigest = state.held.get(root);
  if (byDigest === undefined) state.held.set(root, (byDigest = new Map()));
  byDigest.delete(digest);
  byDigest.set(digest, { columns, awaiting: true });
  letGo(byDigest);
}

function letGo(byDigest: Map<string, Held>): void {
  for (const [digest, held] of byDigest) {
    if (byDigest.size <= HELD_COLUMNS_PER_ROOT) return;
    if (!held.awaiting) byDigest.delete(digest);
  }
}

/** The columns held for `root` under `digest`, now the most recently used; undefined when they are not held. */
function use(state: WalkState, root: string, digest: string): SideBaselineColumns | undefined {
  const byDigest = state.held.get(root);
  const held = byDigest?.get(digest);
  if (byDigest === undefined || held === undefined) return undefined;
  held.awaiting = false;
  byDigest.delete(digest);
  byDigest.set(digest, held);
  letGo(byDigest);
  return held.columns;
}

function refused(message: string): FsError {
  return new FsError('EOTHER', 'walkColumns', '', `EOTHER: walkColumns: ${message}`);
}

/** One piece of columns for `root` (already confined). True once the columns named by the digest are held whole. */
export function receiveColumns(session: AgentSession, root: string, p: ColumnsPieceParams): boolean {
  const state = stateOf(session);
  if (typeof p.digest !== 'string' || typeof p.count !== 'number' || typeof p.at !== 'number' || typeof p.piece !== 'object' || p.piece === null) {
    throw refused('a piece without its digest, count, row or rows');
  }
  let upload = state.uploads.get(p.digest);
  if (p.at === 0) {
    // Uploads of other columns for this root may be under way too (conduits sharing a source): each goes on.
    // One left unfinished goes with the session (its client only stops sending when the link is gone).
    upload = { root, count: p.count, side: p.piece.side, pieces: [], rows: 0 };
    state.uploads.set(p.digest, upload);
  }
  if (upload === undefined || upload.root !== root || upload.count !== p.count || upload.rows !== p.at) {
    throw refused(`rows from ${p.at} of ${p.count} do not continue an upload for ${root}`);
  }
  upload.pieces.push(p.piece);
  upload.rows += p.piece.count;
  if (upload.rows < upload.count) return false;
  state.uploads.delete(p.digest);
  if (upload.rows !== upload.count) throw refused(`${upload.rows} rows sent for ${upload.count}`);
  // On SharedArrayBuffers: the scan worker shares them instead of copying them at every walk.
  hold(state, root, p.digest, concatColumns(upload.side, upload.pieces, true));
  return true;
}

/** The walk of `root` (already confined), against the columns inline or held; its answer in pieces. */
export async function serveWalk(session: AgentSession, root: string, p: WalkParams, context: HandlerContext, disk: FileSystem): Promise<WalkAnswer> {
  let options: ScanOptions = p.options;
  const digest = p.columns?.digest;
  if (typeof digest === 'string') {
    const columns = use(stateOf(session), root, digest);
    if (columns === undefined) return { need: 'columns', root: 'ok', rootMessage: null, visited: 0, changes: null, pieces: 0 };
    options = { ...options, against: columns };
  }
  const result = await disk.walkTree(root, options);
  let pieces = 0;
  for (const piece of resultPieces(result, clampPieceBytes(p.pieceBytes))) {
    // Awaited: a large answer waits for the link instead of piling up encoded in memory.
    await context.emit(piece);
    pieces++;
  }
  return walkAnswer(result, pieces);
}
