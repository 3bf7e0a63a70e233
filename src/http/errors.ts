import { ConfigError } from '../config/config-error.js';
import { UnknownConduitError } from '../service/conduit-admin.js';
import { ConflictNotResolvableError } from '../service/resolve-conflict.js';
import { StoreError } from '../db/store.js';
import { UnreachableError } from '../fs/file-system.js';

/**
 * How the API answers a mistake: a status and `{ "error": "…", "field": "…" }`,
 * the field naming what to fix (`mode`, `include[0]`, `limit`, `body`). A
 * user's mistake is never a 500; only a fault of conduit itself is.
 */
export interface ApiErrorBody {
  error: string;
  field?: string;
}

/** Request bodies larger than this are refused: a conduit definition is a few hundred bytes. */
export const BODY_LIMIT_BYTES = 64 * 1024;

export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string, readonly field?: string) {
    super(message);
    this.name = 'HttpError';
  }

  body(): ApiErrorBody {
    return this.field === undefined ? { error: this.message } : { error: this.message, field: this.field };
  }
}

export const badRequest = (field: string, message: string): HttpError => new HttpError(400, message, field);
export const notFound = (message: string): HttpError => new HttpError(404, message);

/** The HTTP form of an error thrown by the service layer, or undefined for a fault of conduit itself. */
export function httpErrorOf(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (error instanceof ConfigError) return new HttpError(400, error.detail, error.field === '' ? 'body' : error.field);
  if (error instanceof UnknownConduitError) return notFound(error.message);
  if (error instanceof ConflictNotResolvableError) return new HttpError(409, error.message);
  if (error instanceof StoreError && error.code === 'not_found') return notFound(error.message);
  if (error instanceof StoreError && error.code === 'duplicate_name') return new HttpError(409, error.message, 'name');
  if (error instanceof StoreError && error.code === 'busy') return new HttpError(503, error.message);
  // A remote root's host cannot be reached (issue 10): nothing was changed; try again later.
  if (error instanceof UnreachableError) return new HttpError(503, error.message);
  return fastifyClientError(error);
}

/** fastify's own 4xx (bad JSON, body too large, wrong content type), as the API's error shape. */
function fastifyClientError(error: unknown): HttpError | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code, statusCode, message } = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  if (code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    // SPEC §12: bad input is a 400 naming the field; here the field is the body itself.
    return badRequest('body', `expected a request body of at most ${BODY_LIMIT_BYTES} bytes`);
  }
  if (code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return badRequest('body', 'expected a JSON body, got an empty one');
  if (code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return new HttpError(415, 'expected Content-Type: application/json', 'content-type');
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    // JSON syntax errors from fastify's parser carry 400 and the parser's message.
    return new HttpError(statusCode, typeof message === 'string' ? message : 'bad request', statusCode === 400 ? 'body' : undefined);
  }
  return undefined;
}
