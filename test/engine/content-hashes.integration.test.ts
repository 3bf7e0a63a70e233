import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { cleanUpEngineTests, engineHarness, type EngineHarness } from '../support/engine.js';
import { put, readTree, tempArea, type TempArea } from '../support/tree.js';

/**
 * Issue 8 §1 made content identity a digest: a generation hashes exactly the
 * files `filesToHash` names before reconcile (engine/content-hashes.ts). It
 * used to ask `fs.hash` once per file on the main thread, which made a first
 * bidirectional sync of two identical 20,000-file trees 4-8 s instead of
 * ~1 s. Now each root's set is one `hashFiles` call, the filesystem's own
 * capability (node: in its workers), and these tests hold the engine to that
 * on the real disk, behind a decorator with no rules (the production path):
 * one call per root naming exactly the candidates, the same decisions as
 * before, a file that cannot be read is an error of its own, and an abort
 * stops the hashing.
 */

const IDENTICAL = 40;
const name = (i: number) => `d${i % 4}/f${String(i).padStart(2, '0')}.txt`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
/** One mtime for both sides of every pair: only the content can tell them apart. */
const MTIME = 1_700_000_000.25;

let area: TempArea;
let h: EngineHarness | undefined;

/** Both roots hold the same 40 files, plus two pairs of equal size and mtime whose bytes differ. */
async function setup(): Promise<EngineHarness> {
  area = tempArea('conduit-hashes-', { createTarget: true });
  for (const root of [area.source, area.target]) {
    for (let i = 0; i < IDENTICAL; i++) put(root, name(i), `the same content ${i}`.repeat(1 + (i % 5)), MTIME);
  }
  put(area.source, 'differs/a.txt', 'AAAA', MTIME);
  put(area.target, 'differs/a.txt', 'BBBB', MTIME);
  put(area.source, 'differs/b.txt', 'source b', MTIME);
  put(area.target, 'differs/b.txt', 'target b', MTIME);
  h = await engineHarness(area.db, { source: area.source, target: area.target, mode: 'bidirectional', conflict: 'keep-both' });
  return h;
}

cleanUpEngineTests(() => ({ harness: h, area }));

const candidates = (root: string) => [...Array.from({ length: IDENTICAL }, (_, i) => name(i)), 'differs/a.txt', 'differs/b.txt'].sort().map((rel) => join(root, rel));
const errors = (generationId: number) =>
  h!.store.listEvents(generationId).filter((e) => e.action === 'error').map((e) => ({ side: e.side, path: e.path, message: e.message }));

describe('hashing where content decides, on the real disk', () => {
  it('a first bidirectional sync hashes each root\'s candidates in one hashFiles call, never file by file, and decides by content', async () => {
    const harness = await setup();
    const recording = new FaultyFileSystem(new NodeFileSystem());
    const { record } = await harness.run({ fs: recording });

    const hashCalls = recording.calls.filter((c) => c.op === 'hashFiles' || c.op === 'hash');
    expect(hashCalls.map((c) => c.op)).toEqual(['hashFiles', 'hashFiles']);
    expect(hashCalls.map((c) => [...c.paths].sort())).toEqual(expect.arrayContaining([candidates(area.source), candidates(area.target)]));
    // The identical files are in sync as they are; the two that differ are conflicts, both versions kept.
    expect(record).toMatchObject({ status: 'completed', conflicts: 2, errorsEncountered: 0 });
    const baseline = harness.store.loadBaseline(harness.store.getConduit(harness.name)!.id);
    for (let i = 0; i < IDENTICAL; i++) {
      expect(baseline.get(name(i))).toMatchObject({ kind: 'file', hash: sha256(`the same content ${i}`.repeat(1 + (i % 5))) });
    }
    const tree = readTree(area.source);
    expect(readTree(area.target)).toEqual(tree);
    expect(Object.values(tree)).toEqual(expect.arrayContaining(['AAAA', 'BBBB', 'source b', 'target b']));

    // A no-op asks for no hash at all.
    recording.calls.length = 0;
    const again = await harness.run({ fs: recording });
    expect(again.record).toMatchObject({ status: 'completed', filesCopied: 0, conflicts: 0 });
    expect(recording.calls.filter((c) => c.op === 'hashFiles' || c.op === 'hash')).toEqual([]);
  });

  it('a file that cannot be read for its hash is a problem and an error of its own; the rest is hashed and synced', async () => {
    const harness = await setup();
    const victim = join(area.target, name(5));
    // Swapped for a link after the scan, just before the target's set is hashed: never read through.
    const faulty = new FaultyFileSystem(new NodeFileSystem()).beforeOp('hashFiles', victim, () => {
      fs.rmSync(victim);
      fs.symlinkSync('/etc/passwd', victim);
    });
    const { record } = await harness.run({ fs: faulty });

    expect(record).toMatchObject({ status: 'completed_with_errors', conflicts: 2, errorsEncountered: 1 });
    expect(errors(record.id)).toEqual([{ side: 'target', path: name(5), message: expect.stringMatching(new RegExp(`^hash: ELOOP: .*${victim}`)) }]);
    expect(faulty.calls.filter((c) => c.op === 'hash')).toEqual([]); // still the capability, not file by file
    // Neither side of the unreadable path was touched, and it is not recorded as in sync.
    expect(fs.readlinkSync(victim)).toBe('/etc/passwd');
    expect(fs.readFileSync(join(area.source, name(5)), 'utf8')).toBe('the same content 5');
    expect(harness.store.loadBaseline(harness.store.getConduit(harness.name)!.id).has(name(5))).toBe(false);
  });

  it('an abort while hashing stops it: the generation is interrupted, nothing is written, an abort is no error', async () => {
    const harness = await setup();
    const stop = new AbortController();
    const faulty = new FaultyFileSystem(new NodeFileSystem()).beforeOp('hashFiles', (p) => p.startsWith(area.source), () => stop.abort(), { times: 1 });
    const before = readTree(area.target);
    const { record } = await harness.run({ fs: faulty, signal: stop.signal });

    expect(record).toMatchObject({ status: 'interrupted', filesCopied: 0, conflicts: 0, errorsEncountered: 0 });
    expect(errors(record.id)).toEqual([]);
    expect(readTree(area.target)).toEqual(before);
    // No file is recorded as in sync unhashed (the directories are: they need no hash).
    const baseline = harness.store.loadBaseline(harness.store.getConduit(harness.name)!.id);
    expect([...baseline.values()].filter((b) => b.kind === 'file')).toEqual([]);
    expect([...baseline.keys()].sort()).toEqual(['d0', 'd1', 'd2', 'd3', 'differs']);
  });
});
