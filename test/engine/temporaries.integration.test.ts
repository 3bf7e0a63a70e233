import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ConduitSpec } from '../../src/config/conduit-spec.js';
import { stopScanWorkers } from '../../src/engine/scan.js';
import { engineHarness, type EngineHarness } from '../support/engine.js';
import { readTree, tempArea, writeTree, type TempArea } from '../support/tree.js';

/**
 * Issue 8 §4 / SPEC §3: a temporary's name carries a token only its own
 * conduit writes (`.<name>.conduit-tmp-<token>-<random>`, the token from the
 * conduit's uuid). Only this conduit's leftovers are removed, only on the
 * sides its mode writes and only inside its scope; another conduit's
 * temporaries are neither synced nor removed; every other name is a user's
 * file and is synced like one.
 */

let area: TempArea;
const harnesses: EngineHarness[] = [];

async function setup(overrides: Partial<ConduitSpec>, options: { createTarget?: boolean } = {}): Promise<EngineHarness> {
  area = tempArea('conduit-temps-', options);
  return harness(area.db, { source: area.source, target: area.target, ...overrides });
}

async function harness(db: string, overrides: Partial<ConduitSpec>): Promise<EngineHarness> {
  const h = await engineHarness(db, overrides);
  harnesses.push(h);
  return h;
}

/** The temp token of the harness's conduit: the first 12 hex digits of its uuid. */
function tokenOf(h: EngineHarness): string {
  return h.store.getConduit(h.name)!.uuid.replace(/-/g, '').slice(0, 12).toLowerCase();
}

afterEach(() => {
  for (const h of harnesses.splice(0)) h.close();
  area?.cleanup();
});
afterAll(async () => {
  await stopScanWorkers();
});

describe('regression: user files named like temporaries were deleted from the source with no event', () => {
  it('mirror syncs .thesis.conduit-tmp-final and sub/.x.conduit-tmp-v2 like any file and never removes them', async () => {
    const h = await setup({ mode: 'mirror' });
    writeTree(area.source, {
      '.thesis.conduit-tmp-final': 'my thesis, final version',
      'sub/.x.conduit-tmp-v2': 'version two',
      'a.txt': 'a',
    });
    const before = readTree(area.source);

    const first = await h.run();
    const second = await h.run();

    expect(readTree(area.source)).toEqual(before);
    expect(readTree(area.target)).toEqual(before);
    expect(first.record).toMatchObject({ status: 'completed', filesCopied: 3 });
    expect(second.record).toMatchObject({ status: 'completed', filesCopied: 0, filesDeleted: 0 });
  });
});

describe('regression: selective removed temp-shaped files outside the selection and the target\'s own', () => {
  it('leaves the target\'s own temp-shaped files, and this conduit\'s temporaries outside its scope or on the source', async () => {
    const h = await setup({ mode: 'selective', include: ['docs/**'] }, { createTarget: true });
    const token = tokenOf(h);
    writeTree(area.source, {
      'docs/a.txt': 'a',
      '.y.conduit-tmp-v3': 'a source file outside the selection',
      // This conduit's own leftover, but selective never writes the source.
      [`docs/.b.txt.conduit-tmp-${token}-r3`]: 'left on the source',
    });
    writeTree(area.target, {
      '.notes.conduit-tmp-mine': 'the target\'s own, outside the selection',
      'docs/.draft.conduit-tmp-v1': 'the target\'s own, inside the selection',
      // This conduit's leftovers: one whose final name is outside the selection (kept), one inside (removed).
      [`.z.txt.conduit-tmp-${token}-r1`]: 'outside the scope',
      [`docs/.a.txt.conduit-tmp-${token}-r2`]: 'an interrupted copy of docs/a.txt',
    });

    const { record } = await h.run();

    expect(record).toMatchObject({ status: 'completed', filesCopied: 1, filesDeleted: 0 });
    expect(readTree(area.source)).toEqual({
      '.y.conduit-tmp-v3': 'a source file outside the selection',
      'docs/': true,
      [`docs/.b.txt.conduit-tmp-${token}-r3`]: 'left on the source',
      'docs/a.txt': 'a',
    });
    expect(readTree(area.target)).toEqual({
      '.notes.conduit-tmp-mine': 'the target\'s own, outside the selection',
      [`.z.txt.conduit-tmp-${token}-r1`]: 'outside the scope',
      'docs/': true,
      'docs/.draft.conduit-tmp-v1': 'the target\'s own, inside the selection',
      'docs/a.txt': 'a',
    });
  });
});

describe('stale temporaries are removed only on the sides the mode writes, and only this conduit\'s', () => {
  it('mirror removes its own leftovers on the target, not on the source, and never another conduit\'s', async () => {
    const h = await setup({ mode: 'mirror' }, { createTarget: true });
    const token = tokenOf(h);
    const other = 'abcdef012345';
    writeTree(area.source, { 'd/a.txt': 'a', [`d/.a.txt.conduit-tmp-${token}-s1`]: 'mine, on the source' });
    writeTree(area.target, {
      [`d/.a.txt.conduit-tmp-${token}-t1`]: 'mine, on the target: an interrupted copy',
      [`d/.q.txt.conduit-tmp-${other}-t2`]: 'another conduit\'s copy in flight',
    });

    const { record } = await h.run();

    expect(record).toMatchObject({ status: 'completed', filesCopied: 1, filesDeleted: 0, errorsEncountered: 0 });
    expect(readTree(area.source)).toEqual({ 'd/': true, 'd/a.txt': 'a', [`d/.a.txt.conduit-tmp-${token}-s1`]: 'mine, on the source' });
    expect(readTree(area.target)).toEqual({ 'd/': true, 'd/a.txt': 'a', [`d/.q.txt.conduit-tmp-${other}-t2`]: 'another conduit\'s copy in flight' });
  });

  it('bidirectional removes its own leftovers on both sides, and neither syncs nor removes another conduit\'s', async () => {
    const h = await setup({ mode: 'bidirectional' }, { createTarget: true });
    const token = tokenOf(h);
    const other = '0123456789ab';
    writeTree(area.source, { 'a.txt': 'a', [`.a.txt.conduit-tmp-${token}-s1`]: 'mine', [`.o.conduit-tmp-${other}-s2`]: 'theirs' });
    writeTree(area.target, { [`.b.txt.conduit-tmp-${token}-t1`]: 'mine too' });

    const { record } = await h.run();

    expect(record).toMatchObject({ status: 'completed', filesCopied: 1 });
    expect(readTree(area.source)).toEqual({ 'a.txt': 'a', [`.o.conduit-tmp-${other}-s2`]: 'theirs' });
    expect(readTree(area.target)).toEqual({ 'a.txt': 'a' });
  });
});

describe('regression: with chained conduits the downstream run deleted the upstream run\'s temporaries', () => {
  it('a conduit whose source is another\'s target leaves the upstream conduit\'s temporary alone and does not sync it', async () => {
    area = tempArea('conduit-chain-');
    const mid = join(area.base, 'mid');
    const end = join(area.base, 'end');
    fs.mkdirSync(mid);
    const upstream = await harness(join(area.base, 'up.db'), { mode: 'mirror', source: area.source, target: mid });
    const downstream = await harness(join(area.base, 'down.db'), { mode: 'mirror', source: mid, target: end });
    writeTree(mid, { 'done.txt': 'landed already', [`.big.iso.conduit-tmp-${tokenOf(upstream)}-7f3e`]: 'half of big.iso, still being written' });

    const { record } = await downstream.run();

    expect(record).toMatchObject({ status: 'completed', filesCopied: 1, errorsEncountered: 0 });
    expect(readTree(mid)).toEqual({ 'done.txt': 'landed already', [`.big.iso.conduit-tmp-${tokenOf(upstream)}-7f3e`]: 'half of big.iso, still being written' });
    expect(readTree(end)).toEqual({ 'done.txt': 'landed already' });
  });
});
