import { LinkLostError, UnreachableError, type FileSystem } from '../../fs/file-system.js';
import { Refusal } from './guards.js';
import type { GenerationRequest } from './request.js';

/**
 * Before anything else of a generation (issue 10): a filesystem that reaches
 * a root over a link (`FileSystem.connect`) makes sure the link is up. A host
 * that cannot be reached refuses the generation (state `unreachable`, the
 * reason its message) before anything is scanned or written. A link that
 * drops later stops the generation the way a stop request does: its signal
 * joins the generation's, with a reason that says the link was lost, so the
 * generation ends `interrupted` with what landed (record.ts `ranFinished`).
 * Without `connect` (local roots) the request is returned as it is.
 */
export async function connectRoots(fs: FileSystem, request: GenerationRequest): Promise<Connected> {
  if (!fs.connect) return { request, link: null };
  let lost: AbortSignal;
  try {
    lost = await fs.connect(request.signal);
  } catch (error) {
    if (error instanceof UnreachableError) throw new Refusal(error.message, 'unreachable');
    throw error;
  }
  const link = withTextReason(lost);
  return { request: { ...request, signal: request.signal ? AbortSignal.any([request.signal, link]) : link }, link };
}

export interface Connected {
  /** The request, its signal joined by the link's. */
  readonly request: GenerationRequest;
  /** Aborts when the link drops (its reason a line that says so); null for local roots. */
  readonly link: AbortSignal | null;
}

/**
 * The link's signal with a one-line string reason: a generation's error
 * message is its signal's reason when that is a string (record.ts), e.g.
 * "interrupted: lost the connection to host: ssh exited 255".
 */
function withTextReason(lost: AbortSignal): AbortSignal {
  const controller = new AbortController();
  const abort = (): void => controller.abort(`interrupted: ${reasonText(lost.reason)}`);
  if (lost.aborted) abort();
  else lost.addEventListener('abort', abort, { once: true });
  return controller.signal;
}

function reasonText(reason: unknown): string {
  if (reason instanceof LinkLostError) return reason.message;
  if (reason instanceof Error) return `lost the connection: ${reason.message}`;
  return typeof reason === 'string' ? reason : 'lost the connection to the remote root';
}
