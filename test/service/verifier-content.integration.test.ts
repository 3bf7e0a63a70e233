import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConduitSpec } from '../../src/config/conduit-spec.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { verifyOnDemand } from '../../src/service/verifier.js';
import { cleanUpEngineTests, engineHarness, type EngineHarness } from '../support/engine.js';
import { put, tempArea, type TempArea } from '../support/tree.js';

/**
 * The verifier's final check reconciles the written paths "as a generation
 * would" (SPEC §8), so it hashes where content decides first
 * (engine/content-hashes.ts). It used to reconcile unhashed entries: with
 * `checksum: true` a target whose bytes were changed under the same size and
 * mtime after the write still verified, although the next generation would
 * find it different and copy again.
 */

let area: TempArea;
let h: EngineHarness | undefined;
const disk = new NodeFileSystem();

async function synced(overrides: Partial<ConduitSpec>): Promise<EngineHarness> {
  area = tempArea('conduit-verify-content-');
  put(area.source, 'f.txt', 'the bytes that landed');
  put(area.source, 'sub/g.txt', 'another file');
  h = await engineHarness(area.db, { source: area.source, target: area.target, ...overrides });
  return h;
}

/** Other bytes of the same length in `path`, its mtime put back to the nanosecond. */
async function replaceBytesKeepingStat(path: string): Promise<void> {
  const before = fs.lstatSync(path, { bigint: true });
  fs.writeFileSync(path, 'X'.repeat(Number(before.size)));
  await disk.setAttributes(path, { mtimeNs: before.mtimeNs });
  const after = fs.lstatSync(path, { bigint: true });
  expect([after.size, after.mtimeNs]).toEqual([before.size, before.mtimeNs]); // the precondition: stat cannot tell
}

cleanUpEngineTests(() => ({ harness: h, area }));

describe('verify reconciles the written paths as a generation would, content hashed where it decides', () => {
  it('checksum: bytes changed under the same size and mtime after the write fail verification, naming the path', async () => {
    const harness = await synced({ mode: 'mirror', checksum: true });
    const { record } = await harness.run();
    expect(record).toMatchObject({ status: 'completed', filesCopied: 2 });
    const conduit = harness.store.getConduit(harness.name)!;
    expect(await verifyOnDemand(harness.store, disk, conduit, record)).toBe('verified');

    await replaceBytesKeepingStat(join(area.target, 'f.txt'));
    const status = await verifyOnDemand(harness.store, disk, conduit, harness.store.getGenerationById(record.id)!);
    expect(status).toMatch(/^failed:.*still plans copy f\.txt/);
    expect(status).not.toContain('g.txt');
    // And the next generation does what verify said is left to do.
    const next = await harness.run();
    expect(next.record).toMatchObject({ status: 'completed', filesCopied: 1 });
    expect(fs.readFileSync(join(area.target, 'f.txt'), 'utf8')).toBe('the bytes that landed');
  });

  it('without checksum, verifying written paths that match the index reads no file', async () => {
    const harness = await synced({ mode: 'bidirectional' });
    const { record } = await harness.run();
    expect(record).toMatchObject({ status: 'completed', filesCopied: 2 });
    const recording = new FaultyFileSystem(disk);
    expect(await verifyOnDemand(harness.store, recording, harness.store.getConduit(harness.name)!, record)).toBe('verified');
    expect(recording.calls.filter((c) => c.op === 'hashFiles' || c.op === 'hash')).toEqual([]);
  });
});
