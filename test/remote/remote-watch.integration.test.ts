import { lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SshSettings } from '../../src/remote/link/link-source.js';
import { watchRemote } from '../../src/remote/client/remote-watch.js';
import { mountPathOf, parseRoot, type RemoteRoot } from '../../src/remote/root-url.js';
import { SshLinkSource } from '../../src/remote/ssh/ssh-link-source.js';
import type { WatchEvent } from '../../src/watch/watcher.js';
import { requireSshdInCi, sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';

requireSshdInCi();

/** Everything a watcher reported, and a way to wait for a matching event. */
function recorder() {
  const events: WatchEvent[] = [];
  const waiters: { match: (e: WatchEvent) => boolean; resolve: (e: WatchEvent) => void }[] = [];
  return {
    events,
    onEvents(batch: readonly WatchEvent[]) {
      for (const event of batch) {
        events.push(event);
        for (const w of [...waiters]) {
          if (w.match(event)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(event);
          }
        }
      }
    },
    next(match: (e: WatchEvent) => boolean): Promise<WatchEvent> {
      const seen = events.find(match);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve) => waiters.push({ match, resolve }));
    },
  };
}

const changeOf = (path: string) => (e: WatchEvent): boolean => e.type === 'change' && e.path === path;

describe.skipIf(!sshdAvailable())('remote watching: the agent watches its root and streams hints over ssh', () => {
  let dir: string;
  let sshd: Sshd;
  let settings: SshSettings;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-remote-watch-'));
    sshd = await startSshd(dir);
    settings = { sshCommand: sshd.sshCommand, remoteCommand: sshd.remoteCommand, connectTimeoutSeconds: 5 };
  });
  afterAll(async () => {
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('streams a change made in the far root under the mount path, drops ignored names and paths, and resubscribes after the link is killed', async () => {
    const farRoot = join(dir, 'far-1');
    mkdirSync(join(farRoot, '.versions'), { recursive: true });
    const root = parseRoot(sshd.url(farRoot)) as RemoteRoot;
    const mountPath = mountPathOf(root);
    const source = new SshLinkSource(root, settings);
    const seen = recorder();
    const watcher = watchRemote(source, farRoot, mountPath, {
      ignoreName: (name) => name.startsWith('.conduit-tmp'),
      ignorePath: (rel) => rel === '.versions' || rel.startsWith('.versions/'),
    }, (batch) => seen.onEvents(batch));
    try {
      await watcher.ready;
      // Ignored ones first: by the time the kept one arrives, they would have been reported too.
      writeFileSync(join(farRoot, '.conduit-tmp-1'), 'temp');
      writeFileSync(join(farRoot, '.versions', 'old.txt'), 'old');
      writeFileSync(join(farRoot, 'a.txt'), 'hello from the far host');
      // The watcher may also report the file mid-write (created, still empty): wait for what it holds now.
      const change = await seen.next((e) => changeOf('a.txt')(e) && e.type === 'change' && e.state.kind === 'file' && e.state.size === 23);
      const stat = lstatSync(join(farRoot, 'a.txt'), { bigint: true });
      expect(change).toEqual({ type: 'change', root: mountPath, path: 'a.txt', state: { kind: 'file', size: 23, mtimeNs: stat.mtimeNs } });
      expect(seen.events.every((e) => e.root === mountPath)).toBe(true);
      expect(seen.events.filter((e) => e.type === 'change' && (e.path.startsWith('.conduit-tmp') || e.path.startsWith('.versions')))).toEqual([]);

      // The link drops: the watcher says events may have been lost.
      const first = source.current!;
      sshd.killSessions();
      const error = await seen.next((e) => e.type === 'error');
      expect(error.root).toBe(mountPath);
      expect(error.type === 'error' && error.message).toMatch(/lost the connection to 127\.0\.0\.1:\d+.*may have been missed/);

      // Whatever needs the link next (a generation) reconnects; the watcher subscribes on the new link.
      const second = await source.link();
      expect(second).not.toBe(first);
      // The new subscription's watcher needs a moment to get ready on the far side: write until it reports.
      let round = 0;
      const back = seen.next(changeOf('b.txt'));
      let arrived = false;
      void back.then(() => {
        arrived = true;
      });
      while (!arrived) {
        writeFileSync(join(farRoot, 'b.txt'), `round ${round++}`);
        await Promise.race([back, new Promise((r) => setTimeout(r, 200))]);
      }
      expect((await back).root).toBe(mountPath);
      // Back, it asks for a full scan once more: changes made while reconnecting are in no hint.
      expect(seen.events.filter((e) => e.type === 'error').map((e) => e.type === 'error' && e.message)).toEqual([
        expect.stringMatching(/lost the connection/),
        expect.stringMatching(/^watching 127\.0\.0\.1:\d+ again after a reconnect: changes made while it was reconnecting may have been missed$/),
      ]);
    } finally {
      await watcher.close();
      await source.close();
    }
  });

  it('a host that cannot be reached: an error event naming why, and ready still resolves', async () => {
    const farRoot = join(dir, 'far-2');
    mkdirSync(farRoot);
    const root = parseRoot(sshd.url(farRoot)) as RemoteRoot;
    const source = new SshLinkSource(root, { ...settings, sshCommand: sshd.wrongUserKeySshCommand });
    const seen = recorder();
    const watcher = watchRemote(source, farRoot, mountPathOf(root), {}, (batch) => seen.onEvents(batch));
    try {
      await watcher.ready;
      const error = await seen.next((e) => e.type === 'error');
      expect(error.type === 'error' && error.message).toMatch(/cannot reach 127\.0\.0\.1:\d+: authentication failed.*not watched until it is reachable/);
    } finally {
      await watcher.close();
      await source.close();
    }
  });

  it('a watch outside the agent\'s root is refused by the agent (confinement), reported as an error event', async () => {
    const farRoot = join(dir, 'far-3');
    mkdirSync(farRoot);
    const root = parseRoot(sshd.url(farRoot)) as RemoteRoot;
    const source = new SshLinkSource(root, settings);
    const seen = recorder();
    const watcher = watchRemote(source, dir, mountPathOf(root), {}, (batch) => seen.onEvents(batch));
    try {
      await watcher.ready;
      const error = await seen.next((e) => e.type === 'error');
      expect(error.type === 'error' && error.message).toMatch(/EACCES: watch .*outside the agent's root/);
    } finally {
      await watcher.close();
      await source.close();
    }
  });
});
