import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { ConduitRoots } from '../../src/remote/conduit-roots.js';
import type { SshSettings } from '../../src/remote/link/link-source.js';
import type { RemoteRoot } from '../../src/remote/root-url.js';
import { agentProcessLinkSource } from '../support/agent-process.js';

/**
 * ConduitRoots (issue 10's composition root): a local conduit passes
 * through; a remote one gets the split filesystem and its mount path, and one
 * link source per remote root and settings, kept until closed. The link
 * sources here are real agent processes on pipes (support/agent-process.ts):
 * what is tested is which of them are made, kept and closed, not ssh.
 */

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'conduit-roots-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type AgentSource = ReturnType<typeof agentProcessLinkSource>;

function recordingRoots(env: NodeJS.ProcessEnv = {}) {
  const made: { root: RemoteRoot; settings: SshSettings; source: AgentSource }[] = [];
  const roots = new ConduitRoots(new NodeFileSystem(), env, (root, settings) => {
    const source = agentProcessLinkSource(dir, root.host);
    made.push({ root, settings, source });
    return source;
  });
  return { roots, made };
}

const conduit = (fields: Partial<{ name: string; source: string; target: string; sshCommand: string | null; remoteCommand: string | null }> = {}) => ({
  name: 'photos', source: join(dir, 'src'), target: 'ssh://me@nas:2222/srv/photos', sshCommand: null, remoteCommand: null, mode: 'mirror', ...fields,
});

/** True once the agent process the source started has exited. */
const exited = (source: AgentSource): boolean => source.child !== null && (source.child.exitCode !== null || source.child.signalCode !== null);

describe('ConduitRoots', () => {
  test('a local conduit passes through: the local filesystem, the conduit itself, no remote', async () => {
    const local = new NodeFileSystem();
    const roots = new ConduitRoots(local, {}, () => {
      throw new Error('a local conduit must not connect');
    });
    const row = conduit({ target: join(dir, 'dst') });
    const opened = roots.open(row);
    expect(opened.fs).toBe(local);
    expect(opened.conduit).toBe(row);
    expect(opened.remote).toBeNull();
    await roots.close();
  });

  test('a remote target becomes its mount path; the other fields and the local source stay', async () => {
    const { roots } = recordingRoots();
    const opened = roots.open(conduit());
    expect(opened.conduit).toEqual({ ...conduit(), target: '/ssh:me@nas:2222/srv/photos' });
    expect(opened.remote).toMatchObject({ side: 'target', root: { host: 'nas', user: 'me', port: 2222, path: '/srv/photos' } });
    expect(opened.fs).not.toBeInstanceOf(NodeFileSystem);
    const fromSource = roots.open(conduit({ name: 'back', source: 'ssh://nas/srv', target: join(dir, 'dst') }));
    expect(fromSource.conduit.source).toBe('/ssh:nas/srv');
    expect(fromSource.remote?.side).toBe('source');
    await roots.close();
  });

  test('opened twice: one link source, kept; close closes it (its agent exits)', async () => {
    const { roots, made } = recordingRoots();
    const first = roots.open(conduit());
    const second = roots.open(conduit());
    expect(made).toHaveLength(1);
    expect(second.fs).toBe(first.fs);
    await made[0]!.source.link();
    expect(exited(made[0]!.source)).toBe(false);
    await roots.close();
    expect(exited(made[0]!.source)).toBe(true);
    expect(() => roots.open(conduit())).toThrow(/after shutdown/);
  });

  test('settings: the conduit own, else the environment, else the default; other settings are another link', async () => {
    const { roots, made } = recordingRoots({ CONDUIT_SSH_COMMAND: 'ssh -F /tmp/cfg', CONDUIT_REMOTE_COMMAND: 'node /x/bin/conduit.js agent' });
    roots.open(conduit());
    roots.open(conduit({ name: 'other', target: 'ssh://me@nas:2222/srv/photos', sshCommand: 'ssh -v' }));
    expect(made.map((m) => [m.settings.sshCommand, m.settings.remoteCommand])).toEqual([
      ['ssh -F /tmp/cfg', 'node /x/bin/conduit.js agent'],
      ['ssh -v', 'node /x/bin/conduit.js agent'],
    ]);
    const { made: plain, roots: plainRoots } = recordingRoots({});
    plainRoots.open(conduit());
    expect(plain[0]!.settings).toMatchObject({ sshCommand: 'ssh', remoteCommand: 'conduit agent' });
    await Promise.all([roots.close(), plainRoots.close()]);
  });

  test('a conduit edited to another host lets go of its old link; one released is closed unless another conduit uses it', async () => {
    const { roots, made } = recordingRoots();
    roots.open(conduit());
    await made[0]!.source.link();
    roots.open(conduit({ target: 'ssh://backup/srv/photos' }));
    expect(made).toHaveLength(2);
    await expect.poll(() => exited(made[0]!.source)).toBe(true);

    roots.open(conduit({ name: 'twin', target: 'ssh://backup/srv/photos' }));
    expect(made).toHaveLength(2);
    await made[1]!.source.link();
    await roots.release('photos');
    expect(exited(made[1]!.source)).toBe(false);
    await roots.release('twin');
    expect(exited(made[1]!.source)).toBe(true);
    await roots.close();
  });
});
