import { spawn, type ChildProcess } from 'node:child_process';
import * as nodeFs from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SideBaselineColumns } from '../../src/core/change-set.js';
import type { BaselineEntry } from '../../src/core/entry.js';
import { buildRules } from '../../src/engine/filters.js';
import type { ScanOptions } from '../../src/engine/scan.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { openLink, type AgentLink } from '../../src/remote/link/link.js';
import type { LinkSource } from '../../src/remote/link/link-source.js';
import { AGENT_MAGIC, CLIENT_MAGIC } from '../../src/remote/link/protocol.js';
import { RemoteFileSystem } from '../../src/remote/client/remote-file-system.js';
import { agentProcessLinkSource } from '../support/agent-process.js';
import { columnsThroughStore, rowsOf } from '../support/baseline-columns.js';
import { ensureBuilt, repoRoot } from '../cli/cli-harness.js';

/**
 * What a walk of a remote root sends over the link (issue 10, "only the
 * result crosses"; remote/wire/walk-wire.ts): a fast-path walk sends only the
 * baseline rows in its scope, a second full walk on a kept link does not send
 * the columns again, and a walk larger than one piece travels in pieces,
 * every frame within a lowered limit. Each walk's answer is held to a local
 * scan worker's over the same directory with the same options. The agent is
 * a real `conduit agent` process on pipes (the protocol's own semantics; no
 * host is reached).
 */

const RULES = buildRules({ useIndexRules: false });
const disk = new NodeFileSystem();

let base: string;
let far: string;
const sources: { close(): Promise<void> }[] = [];

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'conduit-walk-bytes-'));
  far = join(base, 'far');
  nodeFs.mkdirSync(far);
});
afterEach(async () => {
  await Promise.all(sources.splice(0).map((s) => s.close()));
  await rm(base, { recursive: true, force: true });
});

/** `dirs` folders of `files` files each, contents of varying length (not tied to names or mtimes). */
function writeFiles(root: string, dirs: number, files: number): void {
  for (let d = 0; d < dirs; d++) {
    const dir = join(root, `d${String(d).padStart(3, '0')}`);
    nodeFs.mkdirSync(dir, { recursive: true });
    for (let i = 0; i < files; i++) nodeFs.writeFileSync(join(dir, `file-${String(i).padStart(4, '0')}.txt`), 'x'.repeat((d * 7 + i * 13) % 97));
  }
}

/** The far root's baseline (every row as the walk finds it now), through the real store, as the target side's columns. */
async function baselineOfFar(extra: ReadonlyMap<string, BaselineEntry> = new Map()): Promise<SideBaselineColumns> {
  const rows = rowsOf((await disk.walkTree(far, { rules: RULES })).entries);
  for (const [path, row] of extra) rows.set(path, row);
  const dbFile = join(base, `conduit-${Date.now()}-${Math.random().toString(36).slice(2)}.db`);
  return (await columnsThroughStore(dbFile, rows)).target;
}

/** Bytes the link carried both ways while `run` ran. */
async function bytesOf<T>(link: AgentLink, run: () => Promise<T>): Promise<{ value: T; sent: number; received: number }> {
  const sent = link.stats.bytesSent;
  const received = link.stats.bytesReceived;
  const value = await run();
  return { value, sent: link.stats.bytesSent - sent, received: link.stats.bytesReceived - received };
}

function fileRow(mtimeNs: bigint): BaselineEntry {
  const state = { mtimeNs, mode: 0o644, ino: 424242 };
  return { kind: 'file', size: 3, hash: null, linkTarget: null, source: state, target: state };
}

describe('walkTree over the link: what crosses', () => {
  it('a fast-path walk (onlyPaths) of a 5,000-row baseline sends a small fraction of what a full walk sends, with the same answer as a local scan', async () => {
    writeFiles(far, 50, 100);
    const against = await baselineOfFar();
    expect(against.count).toBe(5050);
    const source = agentProcessLinkSource(far);
    sources.push(source);
    const remote = new RemoteFileSystem(source);
    const link = await source.link();
    // One change, as serve would see it from the watcher: an edited file and a new one in another folder.
    nodeFs.writeFileSync(join(far, 'd007/file-0042.txt'), 'edited, longer than before');
    nodeFs.writeFileSync(join(far, 'd031/new.txt'), 'new');
    const only: ScanOptions = { rules: RULES, against, onlyPaths: ['d007/file-0042.txt', 'd031/new.txt', 'd040'] };
    const fast = await bytesOf(link, () => remote.walkTree(far, only));
    expect(fast.value).toEqual(await disk.walkTree(far, only));
    expect([...fast.value.entries.keys()].sort()).toEqual(['d007', 'd007/file-0042.txt', 'd031', 'd031/new.txt', 'd040']);
    const full = await bytesOf(link, () => remote.walkTree(far, { rules: RULES, against }));
    expect(full.value).toEqual(await disk.walkTree(far, { rules: RULES, against }));
    // The full walk had to send the side's columns (~5,000 rows); the fast path only the ~105 rows of its scope.
    expect(full.sent).toBeGreaterThan(5050 * 40);
    expect(fast.sent).toBeLessThan(full.sent / 10);
  });

  it('a second full walk on a kept link does not send the columns again, gives the same answer, and new columns are sent and used', async () => {
    writeFiles(far, 40, 50);
    const rows = rowsOf((await disk.walkTree(far, { rules: RULES })).entries);
    const load = async (name: string, extra: ReadonlyMap<string, BaselineEntry> = new Map()): Promise<SideBaselineColumns> =>
      (await columnsThroughStore(join(base, `${name}.db`), new Map([...rows, ...extra]))).target;
    const against = await load('first');
    const source = agentProcessLinkSource(far);
    sources.push(source);
    const remote = new RemoteFileSystem(source);
    const link = await source.link();
    nodeFs.writeFileSync(join(far, 'd003/file-0007.txt'), 'changed after the baseline');
    const options: ScanOptions = { rules: RULES, against };
    const first = await bytesOf(link, () => remote.walkTree(far, options));
    const local = await disk.walkTree(far, options);
    expect(first.value).toEqual(local);
    expect(first.sent).toBeGreaterThan(2040 * 40);
    // The same baseline again, loaded afresh from the store as each generation does: only its digest crosses.
    const reloaded = await load('again');
    const again = await bytesOf(link, () => remote.walkTree(far, { rules: RULES, against: reloaded }));
    expect(again.value).toEqual(local);
    expect(again.sent).toBeLessThan(first.sent / 20);
    // Another baseline (one more row, not on disk: gone) is sent and walked against, never the held one.
    const other: ScanOptions = { rules: RULES, against: await load('other', new Map([['d001/vanished.txt', fileRow(5n)]])) };
    const third = await bytesOf(link, () => remote.walkTree(far, other));
    expect(third.value).toEqual(await disk.walkTree(far, other));
    expect(third.value.changes?.gone).toEqual(['d001/vanished.txt']);
    expect(third.sent).toBeGreaterThan(first.sent / 2);
    // Back to the first baseline: the agent holds two per root, so its digest still suffices.
    const backAgain = await load('fourth');
    const fourth = await bytesOf(link, () => remote.walkTree(far, { rules: RULES, against: backAgain }));
    expect(fourth.value).toEqual(local);
    expect(fourth.sent).toBeLessThan(first.sent / 20);
  });

  it('full walks of one root at once, with the same and with other baselines, each get the answer of their own baseline', async () => {
    writeFiles(far, 10, 50);
    const rows = rowsOf((await disk.walkTree(far, { rules: RULES })).entries);
    const load = async (name: string, extra: ReadonlyMap<string, BaselineEntry> = new Map()): Promise<SideBaselineColumns> =>
      (await columnsThroughStore(join(base, `${name}.db`), new Map([...rows, ...extra]))).target;
    nodeFs.writeFileSync(join(far, 'd002/file-0003.txt'), 'changed after the baseline');
    const baselines = [
      await load('a'), await load('a-again'),
      await load('b', new Map([['d001/vanished.txt', fileRow(5n)]])), await load('c', new Map([['d009/gone.txt', fileRow(6n)]])),
    ];
    const source = agentProcessLinkSource(far);
    sources.push(source);
    // Small pieces, so that the uploads interleave on the link.
    const remote = new RemoteFileSystem(source, { pieceBytes: 4096 });
    const walked = await Promise.all(baselines.map((against) => remote.walkTree(far, { rules: RULES, against })));
    for (const [i, against] of baselines.entries()) expect(walked[i]).toEqual(await disk.walkTree(far, { rules: RULES, against }));
    expect(walked.map((w) => w.changes?.gone)).toEqual([[], [], ['d001/vanished.txt'], ['d009/gone.txt']]);
  });

  it('the agent answers "send them" for columns it does not hold, and walks nothing', async () => {
    writeFiles(far, 2, 3);
    const source = agentProcessLinkSource(far);
    sources.push(source);
    const link = await source.link();
    const events: unknown[] = [];
    const answer = await link.call('walkTree', { root: far, options: { rules: RULES }, columns: { digest: 'never-sent' } }, { onEvent: (e) => events.push(e) });
    expect(answer).toMatchObject({ need: 'columns', pieces: 0 });
    expect(events).toEqual([]);
  });
});

/**
 * A LinkSource over a local agent whose frames, both ways, are measured: the
 * largest frame seen, after each side's magic. The pipe's bytes pass through
 * unchanged.
 */
function measuredAgent(root: string): LinkSource & { readonly largest: { toAgent: number; fromAgent: number }; close(): Promise<void> } {
  ensureBuilt();
  const largest = { toAgent: 0, fromAgent: 0 };
  let child: ChildProcess | null = null;
  let current: AgentLink | null = null;
  const tap = (magic: Buffer, record: (length: number) => void): Transform => {
    let skip = magic.length;
    let header = Buffer.alloc(0);
    let body = 0;
    return new Transform({
      transform(chunk: Buffer, _encoding, done) {
        let at = 0;
        while (at < chunk.length) {
          if (skip > 0) {
            const n = Math.min(skip, chunk.length - at);
            skip -= n;
            at += n;
          } else if (body > 0) {
            const n = Math.min(body, chunk.length - at);
            body -= n;
            at += n;
          } else {
            const n = Math.min(4 - header.length, chunk.length - at);
            header = Buffer.concat([header, chunk.subarray(at, at + n)]);
            at += n;
            if (header.length === 4) {
              body = header.readUInt32BE(0);
              record(body);
              header = Buffer.alloc(0);
            }
          }
        }
        done(null, chunk);
      },
    });
  };
  const source = {
    host: 'measured-agent',
    largest,
    get current() {
      return current !== null && !current.lost.aborted ? current : null;
    },
    async link(): Promise<AgentLink> {
      if (current) return current;
      child = spawn(process.execPath, [join(repoRoot, 'bin/conduit.js'), 'agent'], { stdio: ['pipe', 'pipe', 'inherit'] });
      const fromAgent = child.stdout!.pipe(tap(AGENT_MAGIC, (n) => (largest.fromAgent = Math.max(largest.fromAgent, n))));
      const toAgent = tap(CLIENT_MAGIC, (n) => (largest.toAgent = Math.max(largest.toAgent, n)));
      toAgent.pipe(child.stdin!);
      current = await openLink({ input: fromAgent, output: toAgent, host: 'measured-agent' }, { root, software: 'test' });
      return current;
    },
    onConnected() {
      return () => undefined;
    },
    async close() {
      current?.close();
      current = null;
      const running = child;
      if (running && running.exitCode === null && running.signalCode === null) await new Promise<void>((resolve) => running.once('exit', () => resolve()));
    },
  };
  return source;
}

describe('walkTree over the link: pieces', () => {
  it('a walk whose baseline and answer are many times a piece travels in pieces, no frame over the lowered limit, with the answer of a local scan', async () => {
    writeFiles(far, 20, 100);
    nodeFs.symlinkSync('d000/file-0001.txt', join(far, 'a-link'));
    // A baseline where most rows differ from the disk (so most entries are reported) and many are gone.
    const gone = new Map<string, BaselineEntry>();
    for (let i = 0; i < 1500; i++) gone.set(`gone/${String(i).padStart(5, '0')}-${'n'.repeat(i % 40)}`, fileRow(BigInt(i)));
    const rows = rowsOf((await disk.walkTree(far, { rules: RULES })).entries, { ino: 'zero' });
    for (const [path, row] of gone) rows.set(path, row);
    const against = (await columnsThroughStore(join(base, 'pieces.db'), rows)).target;
    const pieceBytes = 16 * 1024;
    const limit = pieceBytes + 1024;
    const source = measuredAgent(far);
    sources.push(source);
    const remote = new RemoteFileSystem(source, { pieceBytes });
    const options: ScanOptions = { rules: RULES, against };
    const there = await remote.walkTree(far, options);
    const here = await disk.walkTree(far, options);
    expect(there).toEqual(here);
    expect(there.entries.size).toBe(2021);
    expect(there.changes?.gone.length).toBe(1500);
    // The columns (~3,500 rows, >150 KB) and the answer (>2,000 entries, 1,500 gone paths) were each many pieces.
    expect(source.largest.toAgent).toBeGreaterThan(pieceBytes / 2);
    expect(source.largest.toAgent).toBeLessThanOrEqual(limit);
    expect(source.largest.fromAgent).toBeGreaterThan(pieceBytes / 2);
    expect(source.largest.fromAgent).toBeLessThanOrEqual(limit);
    // A fast-path walk whose scope is larger than a piece: its rows go in pieces too, same answer.
    const only: ScanOptions = { rules: RULES, against, onlyPaths: ['d003', 'd004', 'd005', 'gone'] };
    expect(await remote.walkTree(far, only)).toEqual(await disk.walkTree(far, only));
    expect(source.largest.toAgent).toBeLessThanOrEqual(limit);
    expect(source.largest.fromAgent).toBeLessThanOrEqual(limit);
  });
});
