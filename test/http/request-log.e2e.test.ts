import { afterEach, describe, expect, it } from 'vitest';
import { ServeArea, startServe, type Served } from '../service/serve-harness.js';
import { httpClient } from './support/api-client.js';

/**
 * An admin page left open polls the API all day. At `serve`'s default level
 * (info) those requests must not be logged one line each (an idle page made
 * 1,995 lines in 7 minutes); at `debug` they are, one line per request.
 */
const PAGE_POLL = ['/', '/api/conduits', '/api/conflicts', '/metrics', '/healthz'];

async function pollLikeThePage(served: Served, rounds: number): Promise<void> {
  const api = httpClient(served.url);
  for (let round = 0; round < rounds; round++) {
    for (const path of PAGE_POLL) expect((await api.request('GET', path)).status).toBe(200);
  }
}

/** Stops serve and waits until all it wrote to stderr has been read, so an absence means it never logged. */
async function stopAndDrain(served: Served): Promise<void> {
  const stderr = served.child.stderr!;
  const drained = stderr.readableEnded ? Promise.resolve() : new Promise<void>((resolve) => stderr.once('end', () => resolve()));
  expect(await served.stop()).toBe(0);
  await drained;
}

function requestLines(served: Served): { level: number; msg: string; url?: string }[] {
  return served.log
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { level: number; msg: string; req?: { url?: string } })
    .filter((line) => line.msg === 'incoming request' || line.msg === 'request completed' || line.req !== undefined)
    .map((line) => ({ level: line.level, msg: line.msg, ...(line.req?.url !== undefined ? { url: line.req.url } : {}) }));
}

describe('HTTP request logs', () => {
  let area: ServeArea | undefined;
  let served: Served | undefined;

  afterEach(async () => {
    await served?.stop();
    served = undefined;
    area?.cleanup();
    area = undefined;
  });

  it('an idle page polling serve at the default info level adds no log line per request', async () => {
    area = new ServeArea();
    served = await startServe(area, ['--db', area.db], { env: { CONDUIT_LOG_LEVEL: 'info' } });
    const linesBefore = served.log.length;
    await pollLikeThePage(served, 10);
    await stopAndDrain(served);
    // The requests were answered; the service logged nothing for them.
    expect(requestLines(served)).toEqual([]);
    expect(served.log.slice(linesBefore).filter((line) => PAGE_POLL.some((path) => line.includes(`"url":"${path}"`)))).toEqual([]);
  }, 60_000);

  it('at debug level each request is logged at debug (20), never at info', async () => {
    area = new ServeArea();
    served = await startServe(area, ['--db', area.db], { env: { CONDUIT_LOG_LEVEL: 'debug' } });
    await pollLikeThePage(served, 1);
    await stopAndDrain(served);
    const lines = requestLines(served);
    const completed = lines.filter((line) => line.msg === 'request completed');
    expect(completed.length).toBe(PAGE_POLL.length);
    expect(lines.filter((line) => line.msg === 'incoming request').map((line) => line.url)).toEqual(PAGE_POLL);
    expect(new Set(lines.map((line) => line.level))).toEqual(new Set([20]));
  }, 60_000);
});
