import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConduitSpec } from '../../src/config/conduit-spec.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import type { FileSystem } from '../../src/fs/file-system.js';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { cleanUpEngineTests, engineHarness, type EngineHarness } from '../support/engine.js';
import { readTree, tempArea, tempFilesUnder, type TempArea } from '../support/tree.js';

/**
 * Issue 8 §8: the filesystem seam is the only way to the disk. The scan
 * worker and the copy workers are capabilities of the FileSystem (walkTree,
 * openCopyBatches), so a decorator either keeps that production path (no
 * rules: forwarded) or makes its faults reach the very copies and names it
 * targets. Before, the engine chose the workers with `instanceof
 * NodeFileSystem`: any decorator silently lost them, and no fault could ever
 * be injected on the path that copies most files.
 */

/** More small copies than generation/transfer-step.ts's COPY_WORKERS_FROM (32), so a plan goes to the copy workers. */
const FILES = 40;
const name = (i: number) => `f${String(i).padStart(2, '0')}.txt`;

let area: TempArea;
let h: EngineHarness | undefined;

async function setup(overrides: Partial<ConduitSpec> = {}): Promise<EngineHarness> {
  area = tempArea('conduit-seam-');
  for (let i = 0; i < FILES; i++) fs.writeFileSync(join(area.source, name(i)), `content ${i}`);
  h = await engineHarness(area.db, { source: area.source, target: area.target, mode: 'mirror', ...overrides });
  return h;
}

cleanUpEngineTests(() => ({ harness: h, area }));

const errors = (generationId: number) =>
  h!.store.listEvents(generationId).filter((e) => e.action === 'error').map((e) => ({ path: e.path, message: e.message }));
const copiedFileByFile = (recording: FaultyFileSystem) => recording.calls.filter((c) => c.op === 'copyFile').length;
const batched = (recording: FaultyFileSystem) => recording.calls.filter((c) => c.op === 'copyBatch').flatMap((c) => c.paths);

describe('the real disk behind a decorator', () => {
  it('with no rules keeps the production path: the scan in its worker, the small files in copy workers', async () => {
    const harness = await setup();
    const recording = new FaultyFileSystem(new NodeFileSystem());
    const result = await harness.run({ fs: recording });
    expect(result.record).toMatchObject({ status: 'completed', filesCopied: FILES, errorsEncountered: 0 });
    expect(readTree(area.target)).toEqual(readTree(area.source));
    expect(recording.calls.filter((c) => c.op === 'walkTree').map((c) => c.paths)).toEqual([[area.source], [area.target]]);
    expect(recording.calls.some((c) => c.op === 'readdirSync' || c.op === 'lstatSync')).toBe(false);
    expect(copiedFileByFile(recording)).toBe(0);
    for (let i = 0; i < FILES; i++) expect(batched(recording)).toContain(join(area.source, name(i)));
  });

  it('a fault injected on one copy reaches that copy, which would otherwise have gone to the copy workers', async () => {
    const harness = await setup();
    const faulty = new FaultyFileSystem(new NodeFileSystem()).failOn('copyFile', join(area.source, name(7)), 'EIO');
    const result = await harness.run({ fs: faulty });
    expect(result.record).toMatchObject({ status: 'completed_with_errors', filesCopied: FILES - 1, errorsEncountered: 1 });
    expect(errors(result.record.id)).toEqual([{ path: name(7), message: expect.stringContaining(`EIO: injected fault, copyFile '${join(area.source, name(7))}'`) as unknown as string }]);
    expect(fs.existsSync(join(area.target, name(7)))).toBe(false);
    expect(fs.readdirSync(area.target)).toHaveLength(FILES - 1);
    expect(tempFilesUnder(area.base)).toEqual([]);
    // The decorator refused the batches, so every copy went through it, file by file.
    expect(batched(faulty)).toEqual([]);
    expect(copiedFileByFile(faulty)).toBe(FILES);

    const next = await harness.run();
    expect(next.record).toMatchObject({ status: 'completed', filesCopied: 1 });
    expect(readTree(area.target)).toEqual(readTree(area.source));
  });

  it('a fault injected on one name of the scan reaches the scan, which would otherwise have run in its worker', async () => {
    const harness = await setup();
    const faulty = new FaultyFileSystem(new NodeFileSystem()).failOn('lstatSync', join(area.source, name(3)), 'EACCES');
    const result = await harness.run({ fs: faulty });
    expect(result.record).toMatchObject({ status: 'completed_with_errors' });
    expect(errors(result.record.id)).toEqual([{ path: name(3), message: expect.stringContaining('EACCES: injected fault, lstatSync') as unknown as string }]);
    expect(fs.existsSync(join(area.target, name(3)))).toBe(false);
    expect(fs.readdirSync(area.target)).toHaveLength(FILES - 1);
  });
});

describe('the in-memory filesystem', () => {
  it('runs a plan\'s small copies through its own inline batches, with the same outcome as file by file', async () => {
    area = tempArea('conduit-seam-');
    const mem = new MemoryFileSystem();
    for (let i = 0; i < FILES; i++) mem.writeFile(`/m/src/${name(i)}`, `content ${i}`, { mode: i % 2 === 0 ? 0o644 : 0o600 });
    h = await engineHarness(area.db, { source: '/m/src', target: '/m/dst', mode: 'mirror' });
    const recording = new FaultyFileSystem(mem);
    const result = await h.run({ fs: recording as FileSystem });
    expect(result.record).toMatchObject({ status: 'completed', filesCopied: FILES, errorsEncountered: 0 });
    expect(batched(recording)).toHaveLength(3 * FILES);
    expect(copiedFileByFile(recording)).toBe(0);
    const src = mem.snapshot('/m/src');
    expect(mem.snapshot('/m/dst')).toEqual(src);
    for (let i = 0; i < FILES; i++) {
      const s = mem.lstatSync(`/m/src/${name(i)}`);
      const t = mem.lstatSync(`/m/dst/${name(i)}`);
      expect(t).toMatchObject({ kind: 'file', mode: s.kind === 'file' ? s.mode : -1, mtimeNs: s.kind === 'file' ? s.mtimeNs : -1n });
    }
    expect((await h.run({ fs: mem })).record).toMatchObject({ status: 'completed', filesCopied: 0 });
  });
});
