import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { json } from '../cli/cli-harness.js';
import { generationRows, startConduit, type ConduitProcess } from '../support/processes.js';
import { waitFor } from '../support/tree.js';
import { requireSshdInCi, sshdAvailable } from '../support/sshd.js';
import { LOCAL_CONTROL, remoteSuite } from './remote-e2e.js';

/**
 * Issue 10 under `conduit serve`, through the real CLI and a real sshd on
 * 127.0.0.1: an `instant` conduit with its target on the far host. The agent
 * watches the far root, so a change made there comes back without a run by
 * hand; the kept link is re-established after a drop; a local change made
 * while the host is down is kept and synced when it is back.
 */

requireSshdInCi();

const API_TOKEN = 'remote-serve-e2e-token-0123456789';
const DEADLINE_MS = 60_000;

describe.skipIf(!sshdAvailable() || LOCAL_CONTROL)('serve with an instant conduit whose target is on ssh', () => {
  const s = remoteSuite('conduit-remote-serve-');
  let serve: ConduitProcess | undefined;
  afterEach(async () => {
    if (serve && serve.child.exitCode === null && serve.child.signalCode === null) {
      serve.child.kill('SIGKILL');
      await serve.exited;
    }
    serve = undefined;
  });

  function startServing(): ConduitProcess {
    serve = startConduit(['serve', '--port', '0'], {
      cwd: s.area.base, env: { CONDUIT_DB: s.area.db, CONDUIT_API_TOKEN: API_TOKEN, ...s.sshd.env() },
    });
    return serve;
  }
  const exists = (path: string) => () => fs.existsSync(path);
  const completed = () => generationRows(s.area.db, 'live').filter((g) => g.status === 'completed').length;

  it('a change on the far host comes back, a local one goes out; after the link is killed the watch is resumed and changes flow again', async () => {
    s.remote = 'target';
    const { source, target } = s.area;
    fs.writeFileSync(join(source, 'hello.txt'), 'hello');
    s.add('live', '--mode', 'bidirectional', '--schedule', 'instant');
    startServing();
    await waitFor('the catch-up generation', () => completed() >= 1, DEADLINE_MS);
    expect(fs.readFileSync(join(target, 'hello.txt'), 'utf8')).toBe('hello');

    fs.mkdirSync(join(target, 'far'));
    fs.writeFileSync(join(target, 'far/made-there.txt'), 'written on the far host');
    await waitFor('far/made-there.txt here', exists(join(source, 'far/made-there.txt')), DEADLINE_MS);
    expect(fs.readFileSync(join(source, 'far/made-there.txt'), 'utf8')).toBe('written on the far host');

    fs.writeFileSync(join(source, 'made-here.txt'), 'written here');
    await waitFor('made-here.txt on the far host', exists(join(target, 'made-here.txt')), DEADLINE_MS);

    s.sshd.killSessions();
    fs.writeFileSync(join(target, 'after-the-drop.txt'), 'written on the far host after the link dropped');
    await waitFor('after-the-drop.txt here', exists(join(source, 'after-the-drop.txt')), DEADLINE_MS);
    expect(fs.readFileSync(join(source, 'after-the-drop.txt'), 'utf8')).toBe('written on the far host after the link dropped');

    serve!.child.kill('SIGTERM');
    expect(await serve!.exited, serve!.stderr()).toBe(0);
  }, 180_000);

  it('the host down: a local change is kept, the conduit is unreachable, and the change lands once the host is back', async () => {
    s.remote = 'target';
    const { source, target } = s.area;
    fs.writeFileSync(join(source, 'a.txt'), 'a');
    s.add('live', '--mode', 'mirror', '--schedule', 'instant');
    startServing();
    await waitFor('the catch-up generation', () => completed() >= 1, DEADLINE_MS);

    await s.sshd.stop();
    try {
      fs.writeFileSync(join(source, 'while-down.txt'), 'written while the far host was down');
      await waitFor('state unreachable', () => json<{ state: string }>(s.cli(['--json', 'show', 'live'])).state === 'unreachable', DEADLINE_MS, 250);
      const shown = json<{ attemptCount: number; nextAttemptAt: string | null }>(s.cli(['--json', 'show', 'live']));
      expect(shown.attemptCount).toBeGreaterThanOrEqual(1);
      expect(shown.nextAttemptAt).not.toBeNull();
      expect(fs.existsSync(join(target, 'while-down.txt'))).toBe(false);
      expect(fs.readFileSync(join(target, 'a.txt'), 'utf8')).toBe('a'); // nothing deleted while unreachable
    } finally {
      await s.sshd.start();
    }
    await waitFor('while-down.txt on the far host', exists(join(target, 'while-down.txt')), DEADLINE_MS);
    await waitFor('state current', () => json<{ state: string }>(s.cli(['--json', 'show', 'live'])).state === 'current', DEADLINE_MS, 250);
    expect(generationRows(s.area.db, 'live').some((g) => g.status === 'refused')).toBe(true);
  }, 180_000);
});
