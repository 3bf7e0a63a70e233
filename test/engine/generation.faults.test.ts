import { afterEach, describe, expect, it } from 'vitest';
import type { ConduitSpec } from '../../src/config/conduit-spec.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';
import { engineHarness, type EngineHarness } from '../support/engine.js';
import { tempArea, type TempArea } from '../support/tree.js';

/**
 * Faults through the filesystem seam: a FaultyFileSystem over the in-memory
 * one, driven by `runGeneration` with a real SQLite store. Each fault hits
 * one path; the rest of the generation must go on, nothing torn may appear
 * at a final path, and the next generation must put things right.
 */

const SRC = '/data/src';
const DST = '/data/dst';

let area: TempArea;
let h: EngineHarness | undefined;
let mem: MemoryFileSystem;
let faulty: FaultyFileSystem;

async function setup(overrides: Partial<ConduitSpec>): Promise<EngineHarness> {
  area = tempArea('conduit-faults-');
  mem = new MemoryFileSystem();
  mem.mkdirp(SRC);
  faulty = new FaultyFileSystem(mem);
  h = await engineHarness(area.db, { source: SRC, target: DST, maxDeletePercent: 100, ...overrides });
  return h;
}
const run = (request: Parameters<EngineHarness['run']>[0] = {}) => h!.run({ fs: faulty, ...request });

afterEach(() => {
  h?.close();
  h = undefined;
  area?.cleanup();
});

function temps(): string[] {
  return Object.keys(mem.snapshot('/')).filter((p) => p.includes('.conduit-tmp-'));
}
function events(generationId: number) {
  return h!.store.listEvents(generationId).map((e) => ({ action: e.action, side: e.side, path: e.path, message: e.message }));
}

describe('one unreadable file (regression: an EACCES on a hash ended the generation `completed` with no error)', () => {
  it('EACCES on its copy: completed_with_errors, everything else copied, the error recorded with its path', async () => {
    await setup({ mode: 'mirror' });
    for (const n of ['a', 'b', 'c', 'd']) mem.writeFile(`${SRC}/dir/${n}.txt`, `content ${n}`);
    faulty.failOn('copyFile', `${SRC}/dir/b.txt`, 'EACCES');

    const { record } = await run();

    expect(record).toMatchObject({ status: 'completed_with_errors', filesCopied: 3, errorsEncountered: 1 });
    expect(record.errors).toEqual([{ path: 'dir/b.txt', op: 'copy', message: expect.stringContaining('EACCES') }]);
    expect(events(record.id).filter((e) => e.action === 'error')).toEqual([
      { action: 'error', side: 'target', path: 'dir/b.txt', message: expect.stringMatching(/^copy: EACCES/) },
    ]);
    expect(mem.snapshot(DST)).toEqual({ 'dir/': true, 'dir/a.txt': 'content a', 'dir/c.txt': 'content c', 'dir/d.txt': 'content d' });
    expect(h!.store.getConduit('c')!.state).toBe('failed');
    expect(temps()).toEqual([]);

    // Readable again: the next generation copies it, and only it.
    faulty.reset();
    const next = await run();
    expect(next.record).toMatchObject({ status: 'completed', filesCopied: 1, errorsEncountered: 0 });
    expect(mem.snapshot(DST)).toEqual(mem.snapshot(SRC));
  });

  it('EACCES on its hash (content must decide): completed_with_errors, the error recorded with its path', async () => {
    await setup({ mode: 'bidirectional' });
    // First sync, same size on both sides, different mtimes: only the content can say whether they differ.
    mem.writeFile(`${SRC}/same-size.txt`, 'AAAA', { mtimeNs: 1_000_000_000_000n });
    mem.writeFile(`${DST}/same-size.txt`, 'BBBB', { mtimeNs: 2_000_000_000_000n });
    mem.writeFile(`${SRC}/other.txt`, 'other');
    faulty.failOn('hash', `${SRC}/same-size.txt`, 'EACCES');

    const { record } = await run();

    expect(record.status).toBe('completed_with_errors');
    expect(record.filesCopied).toBe(1);
    expect(record.errors).toEqual([{ path: 'same-size.txt', op: 'hash', message: expect.stringContaining('EACCES') }]);
    expect(events(record.id).filter((e) => e.action === 'error').map((e) => e.path)).toEqual(['same-size.txt']);
    // Neither version of the unreadable path was touched.
    expect(mem.readFile(`${SRC}/same-size.txt`)).toBe('AAAA');
    expect(mem.readFile(`${DST}/same-size.txt`)).toBe('BBBB');
    expect(mem.readFile(`${DST}/other.txt`)).toBe('other');
  });
});

describe('a file that vanishes between scan and copy', () => {
  it('is reported, the rest is copied, nothing is left half-made, and the next generation is clean', async () => {
    await setup({ mode: 'mirror' });
    mem.writeFile(`${SRC}/stays.txt`, 'stays');
    mem.writeFile(`${SRC}/vanishes.txt`, 'vanishes');
    faulty.beforeOp('copyFile', `${SRC}/vanishes.txt`, async (p) => mem.unlink(p), { times: 1 });

    const { record } = await run();

    expect(['completed', 'completed_with_errors']).toContain(record.status);
    expect(record.filesCopied).toBe(1);
    expect(events(record.id).some((e) => e.path === 'vanishes.txt' && (e.action === 'error' || e.action === 'skip'))).toBe(true);
    expect(mem.snapshot(DST)).toEqual({ 'stays.txt': 'stays' });
    expect(temps()).toEqual([]);

    const next = await run();
    expect(next.record).toMatchObject({ status: 'completed', filesCopied: 0, filesDeleted: 0, errorsEncountered: 0 });
    expect(mem.snapshot(DST)).toEqual(mem.snapshot(SRC));
  });
});

describe('a file changed while being copied', () => {
  it('is discarded as changed_during_transfer (no torn copy at the destination) and the next generation copies the new content', async () => {
    await setup({ mode: 'mirror' });
    mem.writeFile(`${SRC}/moving.txt`, 'version one');
    mem.writeFile(`${SRC}/calm.txt`, 'calm');
    faulty.afterOp('copyFile', `${SRC}/moving.txt`, () => mem.writeFile(`${SRC}/moving.txt`, 'version two, longer'), { times: 1 });

    const { record } = await run();

    expect(record.status).toBe('completed');
    expect(record.filesCopied).toBe(1);
    const skips = events(record.id).filter((e) => e.action === 'skip');
    expect(skips).toEqual([{ action: 'skip', side: 'target', path: 'moving.txt', message: expect.stringContaining('changed_during_transfer') }]);
    expect(mem.snapshot(DST)).toEqual({ 'calm.txt': 'calm' });
    expect(temps()).toEqual([]);

    const next = await run();
    expect(next.record).toMatchObject({ status: 'completed', filesCopied: 1 });
    expect(mem.readFile(`${DST}/moving.txt`)).toBe('version two, longer');
  });

  it('an overwrite whose source changes mid-copy leaves the old destination intact', async () => {
    await setup({ mode: 'mirror' });
    mem.writeFile(`${SRC}/f.txt`, 'old');
    await run();
    mem.writeFile(`${SRC}/f.txt`, 'new one');
    faulty.afterOp('copyFile', `${SRC}/f.txt`, () => mem.writeFile(`${SRC}/f.txt`, 'newer still'), { times: 1 });
    const { record } = await run();
    expect(record.filesCopied).toBe(0);
    expect(mem.readFile(`${DST}/f.txt`)).toBe('old');
    expect(temps()).toEqual([]);
    await run();
    expect(mem.readFile(`${DST}/f.txt`)).toBe('newer still');
  });
});

describe('a target file edited between scan and overwrite', () => {
  it('bidirectional: not clobbered; the next generation sees both sides changed and keeps both versions', async () => {
    await setup({ mode: 'bidirectional', conflict: 'keep-both' });
    mem.writeFile(`${SRC}/doc.txt`, 'base', { mtimeNs: 1_000_000_000_000n });
    await run();
    mem.writeFile(`${SRC}/doc.txt`, 'source edit', { mtimeNs: 2_000_000_000_000n });
    faulty.beforeOp('copyFile', `${SRC}/doc.txt`, () => mem.writeFile(`${DST}/doc.txt`, 'target edit, made during the run', { mtimeNs: 3_000_000_000_000n }), { times: 1 });

    const { record } = await run();

    expect(record.filesCopied).toBe(0);
    expect(events(record.id).filter((e) => e.action === 'skip')).toEqual([
      { action: 'skip', side: 'target', path: 'doc.txt', message: expect.stringContaining('modified since scan') },
    ]);
    expect(mem.readFile(`${DST}/doc.txt`)).toBe('target edit, made during the run');
    expect(mem.readFile(`${SRC}/doc.txt`)).toBe('source edit');
    expect(temps()).toEqual([]);

    const next = await run();
    expect(next.record).toMatchObject({ conflicts: 1, conflictsResolved: 1 });
    const both = Object.entries(mem.snapshot(DST)).filter(([p]) => p.startsWith('doc')).map(([, v]) => v).sort();
    expect(both).toEqual(['source edit', 'target edit, made during the run']);
    expect(mem.snapshot(SRC)).toEqual(mem.snapshot(DST));
  });

  it('mirror: not clobbered during that run; overwritten by the next one (mirror overwrites target edits by definition)', async () => {
    await setup({ mode: 'mirror' });
    mem.writeFile(`${SRC}/doc.txt`, 'v1');
    await run();
    mem.writeFile(`${SRC}/doc.txt`, 'v2 from the source');
    faulty.afterOp('copyFile', `${SRC}/doc.txt`, () => mem.writeFile(`${DST}/doc.txt`, 'edited on the target mid-run'), { times: 1 });

    const first = await run();
    expect(first.record.filesCopied).toBe(0);
    expect(mem.readFile(`${DST}/doc.txt`)).toBe('edited on the target mid-run');
    expect(temps()).toEqual([]);

    const next = await run();
    expect(next.record).toMatchObject({ status: 'completed', filesCopied: 1 });
    expect(mem.readFile(`${DST}/doc.txt`)).toBe('v2 from the source');
  });
});

describe('ENOSPC on the target', () => {
  it('leaves no partial file at any final path and no temporary anywhere', async () => {
    await setup({ mode: 'mirror' });
    mem.writeFile(`${SRC}/existing.txt`, 'old, small');
    await run();
    mem.writeFile(`${SRC}/existing.txt`, 'new and much larger content');
    mem.writeFile(`${SRC}/fresh.bin`, 'x'.repeat(4096));
    mem.writeFile(`${SRC}/fits.txt`, 'fits');
    // The disk fills part-way: the temporary already holds some bytes when the write fails.
    const isTempOf = (name: string) => (p: string) => p.startsWith(`${DST}/.${name}.conduit-tmp-`);
    for (const name of ['existing.txt', 'fresh.bin']) {
      faulty.beforeOp('copyFile', isTempOf(name), (to) => mem.writeFile(to, 'partial'));
      faulty.failOn('copyFile', isTempOf(name), 'ENOSPC');
    }

    const { record } = await run();

    expect(record).toMatchObject({ status: 'completed_with_errors', filesCopied: 1, errorsEncountered: 2 });
    expect(record.errors.map((e) => [e.path, e.op, e.message.slice(0, 6)])).toEqual([
      ['existing.txt', 'copy', 'ENOSPC'],
      ['fresh.bin', 'copy', 'ENOSPC'],
    ]);
    expect(mem.snapshot(DST)).toEqual({ 'existing.txt': 'old, small', 'fits.txt': 'fits' });
    expect(temps()).toEqual([]);

    faulty.reset();
    await run();
    expect(mem.snapshot(DST)).toEqual(mem.snapshot(SRC));
  });

  it('ENOSPC at the rename (after the copy landed in the temporary) also leaves nothing behind', async () => {
    await setup({ mode: 'mirror' });
    mem.writeFile(`${SRC}/a.txt`, 'a');
    faulty.failOn('rename', (p) => p.includes('.conduit-tmp-'), 'ENOSPC');
    const { record } = await run();
    expect(record.status).toBe('completed_with_errors');
    expect(mem.snapshot(DST)).toEqual({});
    expect(temps()).toEqual([]);
  });
});
