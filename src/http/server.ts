import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { ConfigError, describeValue } from '../config/config-error.js';
import type { ConduitService } from '../service/conduit-service.js';
import { PAGE_PATHS, registerAdminPage } from './admin-page.js';
import { registerApiRoutes } from './api-routes.js';
import { registerVersionRoutes } from './version-routes.js';
import { BODY_LIMIT_BYTES, HttpError, httpErrorOf } from './errors.js';
import { registerStrictJsonBodies } from './json-body.js';
import { registerLiveEvents } from './live-events.js';
import { createServiceMetrics } from './metrics.js';
import { DebugRequestLog } from './request-log.js';
import { registerPageRoutes } from './page-routes.js';
import { ProgressEstimator } from './progress-estimate.js';
import { NodeFileSystem } from '../fs/node-file-system.js';
import { MIN_TOKEN_LENGTH, bearerToken, isLoopbackHost, tokenMatches } from './token.js';

/**
 * The HTTP face of `conduit serve` (SPEC §12): the JSON API, live events,
 * Prometheus metrics, a health check and the admin page, on fastify.
 *
 * Who may do what: reading is open on a loopback bind (only this machine can
 * connect) and needs the bearer token on any other; changing anything always
 * needs it. The page's own static files and `/healthz` carry no data and are
 * always open, so a browser can load the page that then asks for the token.
 */
export interface HttpAppOptions {
  /** The bearer token every mutating request must present. */
  readonly token: string;
  readonly logger: Logger;
  /** The address the server is (or will be) bound to; decides whether reads need the token. Default 127.0.0.1. */
  readonly host?: string;
}

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  readonly logger: Logger;
}

export interface RunningHttpServer {
  /** Stops accepting connections, ends live-event streams, waits for requests in flight. */
  close(): Promise<void>;
  /** `http://host:port` as bound (the real port when 0 was asked for). */
  readonly url: string;
}

const MUTATING_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
/** Always open: the page's static files (they hold no data) and the liveness probe. */
const OPEN_PATHS = new Set([...PAGE_PATHS, '/healthz']);

/** Builds the app without listening (tests use `app.inject`); `startHttpServer` listens on it. */
export async function buildHttpApp(service: ConduitService, options: HttpAppOptions): Promise<FastifyInstance> {
  if (options.token === '') throw new Error('buildHttpApp: an empty API token would let anyone change conduits');
  const host = options.host ?? '127.0.0.1';
  const loopback = isLoopbackHost(host);
  const app = Fastify({
    // pino's Logger and fastify's logger type differ only in generics.
    loggerInstance: httpLogger(options.logger) as FastifyBaseLogger,
    // One line per request at debug, not info: an idle admin page polls all day.
    logController: new DebugRequestLog(),
    bodyLimit: BODY_LIMIT_BYTES,
    // Route params like conduit names are matched exactly; /api/conduits/ is not /api/conduits.
    routerOptions: { ignoreTrailingSlash: false },
  });

  app.addHook('onRequest', async (request, reply) => {
    if (loopback && !loopbackHostHeader(request)) {
      // A loopback service reached under another name is a DNS-rebinding page trying to read the API.
      return reply.code(403).send({ error: `requests must address this service as localhost or a loopback address, got Host ${describeValue(request.headers.host ?? '')}`, field: 'host' });
    }
    const path = request.url.split('?')[0] ?? '';
    const needsToken = MUTATING_METHODS.has(request.method) || (!loopback && !OPEN_PATHS.has(path));
    if (!needsToken) return;
    const presented = bearerToken(request.headers.authorization);
    if (presented !== undefined && tokenMatches(presented, options.token)) return;
    return reply
      .code(401)
      .header('www-authenticate', 'Bearer realm="conduit"')
      .send({ error: presented === undefined ? 'this request needs the API token: Authorization: Bearer <token>' : 'wrong API token', field: 'authorization' });
  });

  app.setErrorHandler((error, request, reply) => {
    const known = httpErrorOf(error);
    if (known) return reply.code(known.statusCode).send(known.body());
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send({ error: `internal error: ${error instanceof Error ? error.message : String(error)}` });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(new HttpError(404, `no such endpoint: ${request.method} ${request.url.split('?')[0]}`).body()));

  // A key given twice, or a whole number written 4e0, is a 400 naming the field (as in config files).
  registerStrictJsonBodies(app);

  const metrics = createServiceMetrics(service);
  app.addHook('onClose', async () => metrics.close());

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  const estimator = new ProgressEstimator();
  registerLiveEvents(app, service, estimator);
  registerApiRoutes(app, service);
  // The conflict view reads both sides' files; the roots are local paths (a remote root would read through its agent).
  registerPageRoutes(app, service, new NodeFileSystem(), estimator);
  registerVersionRoutes(app, service);
  registerAdminPage(app);
  await app.ready();
  return app;
}

/**
 * Listens on `host:port` (port 0: any free port). Refuses, before binding,
 * a non-loopback host without a strong token: the API would let the network
 * change which folders are synced and delete files through them.
 */
export async function startHttpServer(service: ConduitService, options: HttpServerOptions): Promise<RunningHttpServer> {
  if (!isLoopbackHost(options.host) && options.token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError('--host', `expected a loopback address (127.0.0.1, ::1, localhost) unless an API token of at least ${MIN_TOKEN_LENGTH} characters is configured (CONDUIT_API_TOKEN or the token file), got ${describeValue(options.host)}`);
  }
  const app = await buildHttpApp(service, { token: options.token, logger: options.logger, host: options.host });
  try {
    await app.listen({ host: options.host, port: options.port });
  } catch (error) {
    await app.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new ConfigError('--port', `expected a free port, got ${options.port} (already in use on ${options.host})`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new ConfigError('--host', `expected an address of this machine, got ${describeValue(options.host)}`);
    throw error;
  }
  const address = app.server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${shownHost}:${address.port}`;
  options.logger.info({ url }, 'HTTP API and admin page listening');
  return { url, close: () => app.close() };
}

/**
 * The service's logger for HTTP, with the bearer token removed wherever a
 * request could carry it: fastify's request serializer logs no headers, and
 * the redaction covers any code path that logs a request whole.
 */
function httpLogger(logger: Logger): Logger {
  return logger.child({ component: 'http' }, {
    redact: {
      paths: ['req.headers.authorization', 'request.headers.authorization', 'headers.authorization', 'authorization', 'token'],
      censor: '[redacted]',
    },
  });
}

function loopbackHostHeader(request: FastifyRequest): boolean {
  const header = request.headers.host;
  if (header === undefined) return true;
  const name = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.split(':')[0] ?? '';
  return isLoopbackHost(name);
}
