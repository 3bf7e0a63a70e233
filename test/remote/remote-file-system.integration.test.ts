import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { RemoteFileSystem } from '../../src/remote/client/remote-file-system.js';
import { parseRoot, type RemoteRoot } from '../../src/remote/root-url.js';
import { SshLinkSource } from '../../src/remote/ssh/ssh-link-source.js';
import { fileSystemContract } from '../fs/file-system.contract.js';
import { agentProcessLinkSource } from '../support/agent-process.js';
import { requireSshdInCi, sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';

requireSshdInCi();

// The remote filesystem is held to the same contract as the disk (DESIGN principle 3): every call
// goes to a real `conduit agent` (this checkout's build) confined to the fixture's root, which
// answers with its own NodeFileSystem. The "far host" is this machine, so the fixture writes and
// reads its files with node:fs directly, and the walk comparisons walk the same disk locally.
// Not here: the synchronous walk calls (refused on a remote root by design) and the sync steps
// (they run inside the agent's workers, covered by the node suite).
const traits = { syncOps: false, syncListing: false } as const;

fileSystemContract('RemoteFileSystem over a local agent process', async () => {
  const root = await mkdtemp(join(tmpdir(), 'conduit-remote-fs-'));
  const source = agentProcessLinkSource(root);
  return {
    fs: new RemoteFileSystem(source),
    root,
    writeFile: (path, content) => writeFile(path, content),
    readFile: (path) => readFile(path, 'utf8'),
    mtimeToleranceNs: 1_000n,
    walkReference: new NodeFileSystem(),
    cleanup: async () => {
      await source.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}, traits);

describe.skipIf(!sshdAvailable())('over the real sshd', () => {
  let dir: string;
  let sshd: Sshd;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'conduit-sshd-'));
    sshd = await startSshd(dir);
  });
  afterAll(async () => {
    await sshd?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  fileSystemContract('RemoteFileSystem over ssh', async () => {
    const root = await mkdtemp(join(tmpdir(), 'conduit-remote-fs-'));
    const source = new SshLinkSource(parseRoot(sshd.url(root)) as RemoteRoot, { sshCommand: sshd.sshCommand, remoteCommand: sshd.remoteCommand, connectTimeoutSeconds: 5 });
    return {
      fs: new RemoteFileSystem(source),
      root,
      writeFile: (path, content) => writeFile(path, content),
      readFile: (path) => readFile(path, 'utf8'),
      mtimeToleranceNs: 1_000n,
      walkReference: new NodeFileSystem(),
      cleanup: async () => {
        await source.close();
        await rm(root, { recursive: true, force: true });
      },
    };
  }, traits);
});
