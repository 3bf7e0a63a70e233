import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { validateConduit } from '../../src/config/validate-conduit.js';
import { openStore } from '../../src/db/open-store.js';
import type { Store } from '../../src/db/store.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { ConduitRoots } from '../../src/remote/conduit-roots.js';
import { ConduitRuntime } from '../../src/service/conduit-runtime.js';
import { agentProcessLinkSource } from '../support/agent-process.js';

/**
 * Under serve (issue 10), a remote conduit's link is kept by the runtime's
 * ConduitRoots; removing the conduit closes it, and so does stopping the
 * service. The link sources are real agent processes on pipes
 * (support/agent-process.ts); what is tested is when the runtime lets them go.
 */
describe('the serve runtime and its remote links', () => {
  let dir: string;
  let store: Store;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-runtime-roots-'));
    mkdirSync(join(dir, 'src'));
    store = await openStore(join(dir, 'conduit.db'));
  });
  afterAll(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a removed conduit closes its link; stop closes the others', async () => {
    const made: ReturnType<typeof agentProcessLinkSource>[] = [];
    const local = new NodeFileSystem();
    const roots = new ConduitRoots(local, {}, (root) => {
      const source = agentProcessLinkSource(root.path, root.host);
      made.push(source);
      return source;
    });
    const rules = { baseDir: '/', ownFiles: [] };
    for (const [name, host] of [['one', 'nas'], ['two', 'backup']] as const) {
      store.createConduit(validateConduit({ name, source: join(dir, 'src'), target: `ssh://${host}${dir}/far-${name}`, mode: 'mirror' }, rules));
    }
    const runtime = new ConduitRuntime({ store, fs: local, roots, logger: pino({ level: 'silent' }), maxConcurrentConduits: 2 });
    await runtime.start();
    try {
      // The watcher of each enabled conduit opened its roots: one link source per remote root.
      expect(made.map((source) => source.host).sort()).toEqual(['backup', 'nas']);
      await Promise.all(made.map((source) => source.link()));
      const exited = (source: (typeof made)[number]) => source.child !== null && (source.child.exitCode !== null || source.child.signalCode !== null);
      const one = made.find((source) => source.host === 'nas')!;
      const two = made.find((source) => source.host === 'backup')!;

      store.removeConduit('one');
      runtime.conduitChanged('one');
      // The agent's exit is a process ending: give a loaded machine time (the default poll gives up after 1 s).
      await expect.poll(() => exited(one), { timeout: 15_000 }).toBe(true);
      expect(exited(two)).toBe(false);

      await runtime.stop();
      expect(exited(two)).toBe(true);
    } finally {
      await runtime.stop();
    }
  });
});
