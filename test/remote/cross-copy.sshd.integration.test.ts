import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FileEntry } from '../../src/core/entry.js';
import type { CopyRequest } from '../../src/engine/copy-protocol.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { copyBatchAcross, copyFileAcross } from '../../src/remote/client/cross-copy.js';
import { openLink, type AgentLink } from '../../src/remote/link/link.js';
import type { LinkSource } from '../../src/remote/link/link-source.js';
import { requireSshdInCi, sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';

requireSshdInCi();

const MiB = 1024 * 1024;
const disk = new NodeFileSystem();

/** A LinkSource over the system ssh to the test sshd, running this checkout's agent on the "far host" (loopback). */
function sshLinkSource(sshd: Sshd, root: string): LinkSource {
  let current: AgentLink | null = null;
  let child: ChildProcess | null = null;
  const host = `127.0.0.1:${sshd.port}`;
  return {
    host,
    get current() {
      return current !== null && !current.lost.aborted ? current : null;
    },
    async link() {
      if (current !== null && !current.lost.aborted) return current;
      child = spawn('sh', ['-c', `${sshd.sshCommand} -o BatchMode=yes -p ${sshd.port} 127.0.0.1 ${sshd.remoteCommand}`], { stdio: ['pipe', 'pipe', 'inherit'] });
      current = await openLink({ input: child.stdout!, output: child.stdin!, host }, { root, software: 'test' });
      return current;
    },
    onConnected: () => () => undefined,
    async close() {
      current?.close();
      current = null;
      const running = child;
      if (running && running.exitCode === null && running.signalCode === null) await new Promise<void>((resolve) => running.once('exit', () => resolve()));
    },
  };
}

function pseudoRandom(n: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function fileEntry(path: string): FileEntry {
  const entry = disk.lstatSync(path);
  if (entry.kind !== 'file') throw new Error(`${path} is not a file`);
  return entry;
}

// The same copies over a real OpenSSH server on 127.0.0.1: the bytes go through ssh and the agent it starts.
describe.skipIf(!sshdAvailable())('copies across the link over ssh', () => {
  let dir: string;
  let sshd: Sshd;
  let here: string;
  let far: string;
  let source: LinkSource;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'conduit-cross-ssh-'));
    mkdirSync(join(dir, 'sshd'));
    sshd = await startSshd(join(dir, 'sshd'));
    here = join(dir, 'here');
    far = join(dir, 'far');
    mkdirSync(here);
    mkdirSync(far);
    source = sshLinkSource(sshd, far);
  });
  afterAll(async () => {
    await source?.close();
    await sshd?.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const hosts = () => ({ local: disk, link: source });

  it('pushes and pulls a large file, and with a basis sends only the changed blocks', async () => {
    const old = pseudoRandom(8 * MiB, 1);
    const edited = Buffer.from(old);
    pseudoRandom(20_000, 2).copy(edited, 3 * MiB + 5);
    writeFileSync(join(here, 'big'), edited);
    writeFileSync(join(far, 'big'), old);
    const link = await source.link();
    let before = link.stats.bytesSent;
    expect(await copyFileAcross(hosts(), 'push', join(here, 'big'), join(far, '.big.tmp-1'), { basis: join(far, 'big') })).toBe(edited.length);
    expect(readFileSync(join(far, '.big.tmp-1')).equals(edited)).toBe(true);
    expect(link.stats.bytesSent - before).toBeLessThan(MiB);

    before = link.stats.bytesReceived;
    expect(await copyFileAcross(hosts(), 'pull', join(far, '.big.tmp-1'), join(here, '.big.tmp-2'), { basis: join(here, 'big') })).toBe(edited.length);
    expect(readFileSync(join(here, '.big.tmp-2')).equals(edited)).toBe(true);
    expect(link.stats.bytesReceived - before).toBeLessThan(MiB);

    before = link.stats.bytesReceived;
    expect(await copyFileAcross(hosts(), 'pull', join(far, 'big'), join(here, '.big.tmp-3'))).toBe(old.length);
    expect(readFileSync(join(here, '.big.tmp-3')).equals(old)).toBe(true);
    expect(link.stats.bytesReceived - before).toBeGreaterThan(old.length);
  });

  it('pushes and pulls batches of small files through the copy protocol on the destination\'s host', async () => {
    mkdirSync(join(here, 'small'));
    mkdirSync(join(far, 'small'));
    const names = Array.from({ length: 50 }, (_, i) => `s${i}`);
    for (const [i, name] of names.entries()) writeFileSync(join(here, 'small', name), pseudoRandom(i * 31, i + 3));
    const request = (fromRoot: string, toRoot: string, name: string): CopyRequest => ({
      origin: join(fromRoot, 'small', name), originEntry: fileEntry(join(fromRoot, 'small', name)), dest: join(toRoot, 'small', name), expected: null,
      temp: join(toRoot, 'small', `.${name}.tmp-x`), versioned: false, ancestors: [{ path: join(toRoot, 'small'), ino: dirIno(join(toRoot, 'small')) }],
    });
    const pushed = await copyBatchAcross(hosts(), 'push', names.map((name) => request(here, far, name)));
    expect(pushed.every((r) => r.ok && r.result.status === 'landed')).toBe(true);
    for (const [i, name] of names.entries()) expect(readFileSync(join(far, 'small', name)).equals(pseudoRandom(i * 31, i + 3))).toBe(true);

    mkdirSync(join(here, 'back'));
    const pulled = await copyBatchAcross(hosts(), 'pull', names.map((name) => ({ ...request(far, here, name), dest: join(here, 'back', name), temp: join(here, 'back', `.${name}.tmp-y`), ancestors: [] })));
    expect(pulled.every((r) => r.ok && r.result.status === 'landed')).toBe(true);
    for (const [i, name] of names.entries()) expect(readFileSync(join(here, 'back', name)).equals(pseudoRandom(i * 31, i + 3))).toBe(true);
    expect(readdirSync(join(far, 'small')).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });

  it('the ssh session killed mid-transfer: ABORTED, nothing at the final path', async () => {
    writeFileSync(join(here, 'huge'), pseudoRandom(24 * MiB, 9));
    await source.link();
    await expect(copyFileAcross(hosts(), 'push', join(here, 'huge'), join(far, '.huge.tmp-1'), { onProgress: () => sshd.killSessions() }))
      .rejects.toMatchObject({ code: 'ABORTED' });
    expect(readdirSync(far).filter((n) => n === 'huge')).toEqual([]);
  });
});

function dirIno(path: string): number {
  const entry = disk.lstatSync(path);
  if (entry.kind !== 'dir') throw new Error(`${path} is not a directory`);
  return entry.ino;
}
