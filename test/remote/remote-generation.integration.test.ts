import * as nodeFs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { RemoteFileSystem } from '../../src/remote/client/remote-file-system.js';
import { SplitFileSystem } from '../../src/remote/client/split-file-system.js';
import { agentProcessLinkSource } from '../support/agent-process.js';
import { cleanUpEngineTests, engineHarness, type EngineHarness } from '../support/engine.js';
import { readTree, statTree, tempArea, tempFilesUnder, writeTree, type TempArea, type TreeValue } from '../support/tree.js';

/**
 * Whole generations of the real engine through the split filesystem with
 * BOTH roots below the mount path: every scan, copy batch, mkdir batch,
 * large-file copy, link and delete runs in the agent on the "far host"
 * (a real `conduit agent` process confined to the area), nothing on the
 * local disk. (Copies between the hosts are cross-copy.ts's and its tests'.)
 */

let harness: EngineHarness | undefined;
let area: TempArea | undefined;
let source: ReturnType<typeof agentProcessLinkSource> | undefined;
cleanUpEngineTests(() => ({ harness, area }));
afterEach(async () => {
  await source?.close();
  source = undefined;
});

const MOUNT = '/ssh:me@far-host';

async function setUp(mode: 'mirror' | 'bidirectional'): Promise<{ split: SplitFileSystem; local: FaultyFileSystem; m: (real: string) => string }> {
  area = tempArea('conduit-remote-gen-', { createTarget: true });
  source = agentProcessLinkSource(area.base, 'me@far-host');
  const local = new FaultyFileSystem(new NodeFileSystem());
  const m = (real: string): string => `${MOUNT}${real}`;
  const split = new SplitFileSystem(local, new RemoteFileSystem(source), { mountPath: m(area.base), remotePath: area.base });
  harness = await engineHarness(area.db, { source: m(area.source), target: m(area.target), mode });
  return { split, local, m };
}

describe('a generation with both roots on the far host', () => {
  it('mirrors a tree (many small files and directories, a large file, links, modes, an empty directory), then does nothing', async () => {
    const { split, local } = await setUp('mirror');
    const spec: Record<string, TreeValue> = {
      'big.bin': Buffer.alloc(5 * 1024 * 1024 + 3, 9),
      'link-to-a': { symlink: 'd0/f0.txt' },
      'dangling': { symlink: '../nowhere' },
      'private.txt': { content: 'mode 600', mode: 0o600 },
      'empty': { dir: true, mode: 0o750 },
    };
    for (let d = 0; d < 10; d++) for (let i = 0; i < 6; i++) spec[`d${d}/f${i}.txt`] = `dir ${d} file ${i}`;
    writeTree(area!.source, spec);

    const first = await harness!.run({ fs: split });
    expect(first.record.status).toBe('completed');
    expect(readTree(area!.target)).toEqual(readTree(area!.source));
    const s = statTree(area!.source);
    const t = statTree(area!.target);
    for (const [rel, view] of s) {
      expect(t.get(rel)?.kind, rel).toBe(view.kind);
      if (view.kind !== 'symlink') expect(t.get(rel)?.mode, rel).toBe(view.mode);
      // utimes lands within a microsecond (NodeFileSystem `utimesAim`).
      if (view.kind === 'file') expect(Number(t.get(rel)!.mtimeNs - view.mtimeNs), rel).toBeLessThanOrEqual(1_000);
      if (view.kind === 'file') expect(Number(view.mtimeNs - t.get(rel)!.mtimeNs), rel).toBeLessThanOrEqual(1_000);
    }
    expect(tempFilesUnder(area!.target)).toEqual([]);
    expect(local.calls).toEqual([]);

    const again = await harness!.run({ fs: split });
    expect(again.record.status).toBe('completed');
    expect(again.record.filesCopied).toBe(0);

    // A delete on the source reaches the target.
    nodeFs.rmSync(join(area!.source, 'd3'), { recursive: true });
    nodeFs.writeFileSync(join(area!.source, 'd0/f0.txt'), 'changed, longer than before');
    const third = await harness!.run({ fs: split });
    expect(third.record.status).toBe('completed');
    expect(readTree(area!.target)).toEqual(readTree(area!.source));
    expect(local.calls).toEqual([]);
  });

  it('bidirectional: a file changed on both sides is a conflict, kept both ways, with no false conflict on the next run', async () => {
    const { split } = await setUp('bidirectional');
    writeTree(area!.source, { 'shared.txt': 'v1', 'only-source.txt': 'from source' });
    expect((await harness!.run({ fs: split })).record.status).toBe('completed');
    expect(readTree(area!.target)).toEqual(readTree(area!.source));
    writeTree(area!.source, { 'shared.txt': 'source edit' });
    writeTree(area!.target, { 'shared.txt': 'target edit, different', 'only-target.txt': 'from target' });
    const run = await harness!.run({ fs: split });
    expect(run.record.status).toBe('completed');
    expect(harness!.store.listConflicts({ conduit: harness!.name, all: true }).length).toBe(1);
    const tree = readTree(area!.target);
    expect(tree['only-target.txt']).toBe('from target');
    expect(readTree(area!.source)['only-target.txt']).toBe('from target');
    expect(Object.values(tree)).toEqual(expect.arrayContaining(['source edit', 'target edit, different']));
    expect(readTree(area!.target)).toEqual(readTree(area!.source));
    const next = await harness!.run({ fs: split });
    expect(next.record.status).toBe('completed');
    expect(harness!.store.listConflicts({ conduit: harness!.name, all: true }).length).toBe(1);
  });
});
