import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FsError, LinkLostError } from '../../src/fs/file-system.js';
import { serveAgent, type AgentHandlers } from '../../src/remote/agent/serve.js';
import { HandshakeError, openLink } from '../../src/remote/link/link.js';
import { AGENT_MAGIC, encodeFrame, negotiateVersion } from '../../src/remote/link/protocol.js';

/** An agent served in-process over two pipes: the protocol's own rules, without a process or a host. */
function pair(handlers: AgentHandlers, agentVersions = { min: 1, max: 1 }) {
  const toAgent = new PassThrough();
  const fromAgent = new PassThrough();
  const served = serveAgent(toAgent, fromAgent, handlers, { software: '9.9.9', versions: agentVersions });
  return { toAgent, fromAgent, served };
}

const handlers: AgentHandlers = {
  where: (params: { path: string }, { session }) => Promise.resolve(session.confined(params.path, 'where')),
  count: async (params: { n: number }, { emit }) => {
    for (let i = 0; i < params.n; i++) await emit(i);
    return params.n;
  },
  hang: (_params, { signal }) => new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  big: () => Promise.resolve({ mtimeNs: 1_700_000_000_123_456_789n, size: 5e9, bytes: Buffer.from([0, 1, 2]) }),
};

describe('negotiateVersion', () => {
  it.each([
    [{ min: 1, max: 1 }, { min: 1, max: 1 }, 1],
    [{ min: 1, max: 3 }, { min: 2, max: 5 }, 3],
    [{ min: 2, max: 5 }, { min: 1, max: 3 }, 3],
    [{ min: 1, max: 1 }, { min: 2, max: 3 }, null],
    [{ min: 4, max: 6 }, { min: 1, max: 3 }, null],
  ])('ours %o, theirs %o → %s', (ours, theirs, expected) => {
    expect(negotiateVersion(ours, theirs)).toBe(expected);
  });
});

describe('the agent link', () => {
  it('agrees on the highest shared version and carries bigints, large numbers and bytes', async () => {
    const { toAgent, fromAgent } = pair(handlers, { min: 1, max: 3 });
    const link = await openLink({ input: fromAgent, output: toAgent, host: 'h' }, { root: '/srv/x', software: 't', versions: { min: 1, max: 2 } });
    expect(link.version).toBe(2);
    expect(link.agentSoftware).toBe('9.9.9');
    expect(await link.call('big', null)).toEqual({ mtimeNs: 1_700_000_000_123_456_789n, size: 5e9, bytes: Buffer.from([0, 1, 2]) });
    link.close();
  });

  it('confines every path to the root: below it passes, outside or not normalised is EACCES', async () => {
    const { toAgent, fromAgent } = pair(handlers);
    const link = await openLink({ input: fromAgent, output: toAgent, host: 'h' }, { root: '/srv/x', software: 't' });
    expect(await link.call('where', { path: '/srv/x' })).toBe('/srv/x');
    expect(await link.call('where', { path: '/srv/x/a/b' })).toBe('/srv/x/a/b');
    for (const outside of ['/srv/xy', '/srv', '/etc/passwd', '/srv/x/../y', 'relative', '/srv/x/a/../../y']) {
      const err = await link.call('where', { path: outside }).catch((e: unknown) => e);
      expect(err, outside).toBeInstanceOf(FsError);
      expect((err as FsError).code).toBe('EACCES');
    }
    link.close();
  });

  it('streams events before the result, cancels a call, and names an unknown method', async () => {
    const { toAgent, fromAgent } = pair(handlers);
    const link = await openLink({ input: fromAgent, output: toAgent, host: 'h' }, { root: '/r', software: 't' });
    const seen: unknown[] = [];
    expect(await link.call('count', { n: 3 }, { onEvent: (v) => seen.push(v) })).toBe(3);
    expect(seen).toEqual([0, 1, 2]);
    const controller = new AbortController();
    const hanging = link.call('hang', null, { signal: controller.signal });
    controller.abort();
    await expect(hanging).rejects.toMatchObject({ code: 'ABORTED' });
    await expect(link.call('rm -rf /', null)).rejects.toThrow("the agent has no method 'rm -rf /'");
    link.close();
  });

  it('handlers loaded after the greeting: calls made before they are there run in order once loaded, a cancelled one is answered ABORTED', async () => {
    const toAgent = new PassThrough();
    const fromAgent = new PassThrough();
    const started: string[] = [];
    const recording: AgentHandlers = {
      ...handlers,
      where: (params: { path: string }, context) => {
        started.push(params.path);
        return handlers['where']!(params, context);
      },
    };
    let load!: () => void;
    const loaded = new Promise<AgentHandlers>((resolve) => {
      load = () => resolve(recording);
    });
    let asked = false;
    void serveAgent(toAgent, fromAgent, () => {
      asked = true;
      return loaded;
    }, { software: '9.9.9', versions: { min: 1, max: 1 } });
    // The greeting does not wait for the handlers.
    const link = await openLink({ input: fromAgent, output: toAgent, host: 'h' }, { root: '/srv/x', software: 't' });
    expect(asked).toBe(true);
    const first = link.call('where', { path: '/srv/x/a' });
    const controller = new AbortController();
    const cancelled = link.call('where', { path: '/srv/x/b' }, { signal: controller.signal });
    const outside = link.call('where', { path: '/etc' });
    controller.abort();
    await expect(cancelled).rejects.toMatchObject({ code: 'ABORTED' });
    load();
    expect(await first).toBe('/srv/x/a');
    await expect(outside).rejects.toMatchObject({ code: 'EACCES' });
    // Dispatched in the order they came; the cancelled one never ran.
    expect(started).toEqual(['/srv/x/a', '/etc']);
    link.close();
  });

  it('handlers that fail to load: each call is answered with that error, the session goes on', async () => {
    const toAgent = new PassThrough();
    const fromAgent = new PassThrough();
    void serveAgent(toAgent, fromAgent, () => Promise.reject(new Error('cannot load the handler families')), { software: '9.9.9', versions: { min: 1, max: 1 } });
    const link = await openLink({ input: fromAgent, output: toAgent, host: 'h' }, { root: '/srv/x', software: 't' });
    await expect(link.call('where', { path: '/srv/x' })).rejects.toThrow('cannot load the handler families');
    await expect(link.call('where', { path: '/srv/x' })).rejects.toThrow('cannot load the handler families');
    link.close();
  });

  it('rejects calls in flight with LinkLostError when the agent goes away, and aborts `lost`', async () => {
    const { toAgent, fromAgent } = pair(handlers);
    const link = await openLink({ input: fromAgent, output: toAgent, host: 'nas' }, { root: '/r', software: 't' });
    const hanging = link.call('hang', null);
    fromAgent.end();
    await expect(hanging).rejects.toBeInstanceOf(LinkLostError);
    expect(link.lost.aborted).toBe(true);
    expect(link.lost.reason).toBeInstanceOf(LinkLostError);
    await expect(link.call('where', { path: '/r' })).rejects.toBeInstanceOf(LinkLostError);
  });

  it('says what came instead of the greeting (a login script printing to stdout)', async () => {
    const fromAgent = new PassThrough();
    const toAgent = new PassThrough();
    fromAgent.write('Welcome to nas! Last login: yesterday\n');
    fromAgent.write(AGENT_MAGIC);
    const err = await openLink({ input: fromAgent, output: toAgent, host: 'nas' }, { root: '/r', software: 't' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HandshakeError);
    expect((err as Error).message).toContain('"Welcome to nas! Last login: yesterday"');
  });

  it('names both ranges when no version is shared', async () => {
    const { toAgent, fromAgent } = pair(handlers, { min: 4, max: 6 });
    const err = await openLink({ input: fromAgent, output: toAgent, host: 'nas' }, { root: '/r', software: 't', versions: { min: 1, max: 2 } }).catch((e: unknown) => e);
    expect((err as Error).message).toBe('no agent protocol version in common: conduit here speaks 1-2, the agent on nas (conduit 9.9.9) speaks 4-6; install the same conduit version there');
  });

  it('an agent refuses a client asking for a version it does not speak, or a relative root', async () => {
    for (const open of [{ version: 7, root: '/r' }, { version: 1, root: 'r' }]) {
      const { toAgent, fromAgent, served } = pair(handlers);
      const frames: Buffer[] = [];
      fromAgent.on('data', (chunk: Buffer) => frames.push(chunk));
      toAgent.write(Buffer.from('\u0000CONDUIT-CLIENT\n', 'latin1'));
      toAgent.write(encodeFrame({ t: 'open', software: 't', ...open }));
      await new Promise((r) => setTimeout(r, 20));
      toAgent.end();
      await served;
      expect(Buffer.concat(frames).toString('latin1')).toMatch(/refused/);
    }
  });
});
