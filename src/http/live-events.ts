import type { FastifyInstance } from 'fastify';
import type { ConduitService, LiveEvent } from '../service/conduit-service.js';
import type { ProgressEstimator } from './progress-estimate.js';

/** A comment line this often keeps proxies and idle timeouts from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

/**
 * `GET /api/events`: the service's live events as server-sent events, one
 * `event: <type>` per LiveEvent with its JSON as `data`. A client that
 * connects while generations run first gets one `generation_progress` for
 * each, so a freshly opened page shows them at once. Each
 * `generation_progress` carries the estimate of progress-estimate.ts
 * (`percent`, `currentRate`, `etaSeconds`) beside the service's numbers.
 */
export function registerLiveEvents(app: FastifyInstance, service: ConduitService, estimator: ProgressEstimator): void {
  // One subscription for the estimator, so a generation's samples are kept even while no page is open.
  const unsubscribeEstimator = service.subscribe((event) => {
    if (event.type === 'generation_progress') estimator.estimate(event, Date.now());
    else if (event.type === 'generation_finished') estimator.finished(event.conduit);
  });
  app.addHook('onClose', async () => unsubscribeEstimator());

  // Open streams never end on their own; closing the server ends them, or close() would wait forever.
  const open = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open]) end();
  });

  app.get('/api/events', (request, reply) => {
    // The stream outlives the handler: fastify steps aside and the raw response is ours.
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // Tell nginx-style proxies not to buffer the stream.
      'x-accel-buffering': 'no',
    });
    const send = (event: LiveEvent): void => {
      const data = event.type === 'generation_progress' ? { ...event, ...estimator.estimate(event, Date.now()) } : event;
      raw.write(`event: ${event.type}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    raw.write(': conduit live events\nretry: 2000\n\n');
    for (const running of service.running()) send({ type: 'generation_progress', ...running });
    const unsubscribe = service.subscribe(send);
    const heartbeat = setInterval(() => raw.write(': keep-alive\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const stop = (): void => {
      if (!open.delete(end)) return;
      clearInterval(heartbeat);
      unsubscribe();
    };
    const end = (): void => {
      stop();
      raw.end();
    };
    open.add(end);
    request.raw.once('close', stop);
    raw.once('close', stop);
  });
}
