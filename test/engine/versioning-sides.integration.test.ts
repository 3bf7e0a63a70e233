import { describe, expect, it } from 'vitest';
import type { ConduitSpec } from '../../src/config/conduit-spec.js';
import { cleanUpEngineTests, engineHarness, type EngineHarness } from '../support/engine.js';
import { readTree, tempArea, writeTree, type TempArea } from '../support/tree.js';

/**
 * SPEC §6 pruning of old versions, and SPEC §2: a one-way conduit never
 * writes its source. With a relative versioning dir every root has a folder
 * of that name; old-version pruning must run only where this mode writes
 * (mirror and selective: the target; bidirectional: both). It used to prune
 * inside a mirror's source too, deleting files there (a folder the user keeps
 * under that name, or versions a conduit the other way round made).
 */

const NOW = new Date('2026-03-01T10:15:00.000Z');
/** Versions named as conduit names them, a year older than keepDays allows. */
const OLD_VERSIONS = {
  '.conduit-versions/a.20250101T000000Z.txt': 'an old version',
  '.conduit-versions/deep/b.20250101T000000Z.txt': 'another old version',
};

/** A side after pruning: the versions dir stays, emptied. */
const PRUNED = { '.conduit-versions/': true, 'a.txt': 'synced' };

let area: TempArea;
let h: EngineHarness | undefined;

async function setup(overrides: Partial<ConduitSpec>): Promise<EngineHarness> {
  area = tempArea('conduit-versioning-sides-', { createTarget: true });
  h = await engineHarness(area.db, { source: area.source, target: area.target, versioning: { dir: '.conduit-versions', keepDays: 30 }, ...overrides });
  writeTree(area.source, { 'a.txt': 'synced', ...OLD_VERSIONS });
  writeTree(area.target, OLD_VERSIONS);
  return h;
}

cleanUpEngineTests(() => ({ harness: h, area }));

describe('regression: old-version pruning ran inside the source of a one-way conduit', () => {
  for (const mode of ['mirror', 'selective'] as const) {
    it(`${mode}: the source's folder of the versioning dir's name is left exactly as it was; the target's old versions are pruned`, async () => {
      const harness = await setup(mode === 'selective' ? { mode, include: ['a.txt'] } : { mode });
      const sourceBefore = readTree(area.source);

      const { record } = await harness.run({ now: () => NOW });

      expect(record).toMatchObject({ status: 'completed', filesCopied: 1 });
      expect(readTree(area.source)).toEqual(sourceBefore);
      expect(readTree(area.target)).toEqual(PRUNED);
    });
  }

  it('bidirectional writes both sides: the old versions of both are pruned', async () => {
    const harness = await setup({ mode: 'bidirectional' });

    const { record } = await harness.run({ now: () => NOW });

    expect(record).toMatchObject({ status: 'completed', filesCopied: 1 });
    expect(readTree(area.source)).toEqual(PRUNED);
    expect(readTree(area.target)).toEqual(PRUNED);
  });
});
