import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConduitSpec } from '../../src/config/conduit-spec.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';
import { cleanUpEngineTests, engineHarness, type EngineHarness } from '../support/engine.js';
import { tempArea, tempFilesUnder, type TempArea } from '../support/tree.js';

/**
 * Names are bytes (README "Choices"; issue 8 §7, reproduced: `bad\xff\xfe.txt`
 * failed to scan on every run — decoded to U+FFFD, then ENOENT). Real
 * directories, real SQLite, NodeFileSystem with its scan and copy workers.
 * Trees are created and read back with Buffer paths and compared as latin1
 * strings, which map bytes one to one, so "the same" here means the same bytes.
 */

const b = (...parts: Array<string | number[]>): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));

/** `bad\xff\xfe.txt`: not UTF-8 at all. */
const BAD = b('bad', [0xff, 0xfe], '.txt');
/** A directory named in Latin-1 (`caf\xe9`), holding a file whose name is not UTF-8 either. */
const LATIN1_DIR = b('caf', [0xe9]);
const INSIDE = b('inner', [0xff], '.txt');
/** Valid UTF-8 whose character (U+F780) lies in the range conduit uses to escape bytes: must round-trip too. */
const ESCAPE_RANGE = b('pua\uF780\uF7FF.txt');
/** A link whose name and text are not UTF-8. */
const LINK = b('link', [0xfe]);
const LINK_TEXT = b('to', [0xff], '/nowhere');

const at = (root: string, ...rel: Buffer[]): Buffer => Buffer.concat([Buffer.from(root), ...rel.flatMap((r) => [Buffer.from('/'), r])]);

/** Everything under `root`, byte-exact: latin1(relative path bytes) → content (latin1) | 'dir' | { symlink }. */
function byteTree(root: string): Record<string, string | { symlink: string }> {
  const out: Record<string, string | { symlink: string }> = {};
  const walk = (dir: Buffer, prefix: string): void => {
    for (const name of fs.readdirSync(dir, { encoding: 'buffer' })) {
      const path = Buffer.concat([dir, Buffer.from('/'), name]);
      const rel = prefix + name.toString('latin1');
      const st = fs.lstatSync(path);
      if (st.isSymbolicLink()) out[rel] = { symlink: fs.readlinkSync(path, { encoding: 'buffer' }).toString('latin1') };
      else if (st.isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(path, `${rel}/`);
      } else out[rel] = fs.readFileSync(path).toString('latin1');
    }
  };
  walk(Buffer.from(root), '');
  return out;
}

function plantByteNames(root: string): void {
  fs.writeFileSync(at(root, BAD), 'bytes, not text');
  fs.mkdirSync(at(root, LATIN1_DIR));
  fs.writeFileSync(at(root, LATIN1_DIR, INSIDE), 'inside a Latin-1 directory');
  fs.writeFileSync(at(root, ESCAPE_RANGE), 'private use, valid UTF-8');
  fs.symlinkSync(LINK_TEXT, at(root, LINK));
}

/** Enough small files that the copies go to the copy workers (generation/transfer-step.ts COPY_WORKERS_FROM is 32). */
function plantFiller(root: string, count: number): void {
  for (let i = 0; i < count; i++) fs.writeFileSync(join(root, `filler-${i}.txt`), `filler ${i}`);
}

let area: TempArea;
let h: EngineHarness | undefined;

async function setup(overrides: Partial<ConduitSpec>): Promise<EngineHarness> {
  area = tempArea('conduit-bytes-');
  h = await engineHarness(area.db, { source: area.source, target: area.target, maxDeletePercent: 100, ...overrides });
  return h;
}

cleanUpEngineTests(() => ({ harness: h, area }));

function errorEvents(generationId: number) {
  return h!.store.listEvents(generationId).filter((e) => e.action === 'error').map((e) => `${e.path}: ${e.message}`);
}

describe.each([
  { path: 'file by file', filler: 0 },
  { path: 'through the copy workers', filler: 40 },
])('names that are not valid UTF-8 sync byte-exactly ($path)', ({ filler }) => {
  it('mirror: bad\\xff\\xfe.txt and friends land with exactly their bytes; a no-op re-run does nothing; deletions propagate', async () => {
    const harness = await setup({ mode: 'mirror' });
    plantByteNames(area.source);
    plantFiller(area.source, filler);

    // A decorator with no rules forwards every capability: its log shows which copy path ran.
    const recording = new FaultyFileSystem(new NodeFileSystem());
    const first = await harness.run({ fs: recording });
    expect(recording.calls.some((c) => c.op === 'copyBatch')).toBe(filler > 0);
    expect(errorEvents(first.record.id)).toEqual([]);
    expect(first.record).toMatchObject({ status: 'completed', errorsEncountered: 0, filesCopied: 4 + filler });
    expect(byteTree(area.target)).toEqual(byteTree(area.source));
    expect(fs.readFileSync(at(area.target, BAD), 'utf8')).toBe('bytes, not text');
    expect(fs.readlinkSync(at(area.target, LINK), { encoding: 'buffer' }).equals(LINK_TEXT)).toBe(true);
    expect(tempFilesUnder(area.base)).toEqual([]);

    const again = await harness.run();
    expect(errorEvents(again.record.id)).toEqual([]);
    expect(again.record).toMatchObject({ status: 'completed', errorsEncountered: 0, filesCopied: 0, filesDeleted: 0, dirsCreated: 0, dirsDeleted: 0 });
    expect(harness.commits.at(-1)!.baselineUpserts.size).toBe(0);

    fs.unlinkSync(at(area.source, BAD));
    fs.unlinkSync(at(area.source, LATIN1_DIR, INSIDE));
    fs.rmdirSync(at(area.source, LATIN1_DIR));
    fs.unlinkSync(at(area.source, ESCAPE_RANGE));
    const deleted = await harness.run();
    expect(errorEvents(deleted.record.id)).toEqual([]);
    expect(deleted.record).toMatchObject({ status: 'completed', filesDeleted: 3, dirsDeleted: 1 });
    expect(byteTree(area.target)).toEqual(byteTree(area.source));
    expect(fs.existsSync(at(area.target, BAD))).toBe(false);
  });

  it('bidirectional: a byte name made on either side reaches the other; a no-op re-run does nothing; a delete propagates', async () => {
    const harness = await setup({ mode: 'bidirectional' });
    plantByteNames(area.source);
    plantFiller(area.source, filler);
    const first = await harness.run();
    expect(errorEvents(first.record.id)).toEqual([]);
    expect(first.record).toMatchObject({ status: 'completed', errorsEncountered: 0 });
    expect(byteTree(area.target)).toEqual(byteTree(area.source));

    const fromTarget = b('target-made', [0xc3, 0x28], '.txt'); // an invalid two-byte sequence
    fs.writeFileSync(at(area.target, fromTarget), 'made on the target');
    const second = await harness.run();
    expect(errorEvents(second.record.id)).toEqual([]);
    expect(second.record).toMatchObject({ status: 'completed', filesCopied: 1, conflicts: 0 });
    expect(fs.readFileSync(at(area.source, fromTarget), 'utf8')).toBe('made on the target');
    expect(byteTree(area.source)).toEqual(byteTree(area.target));

    const noop = await harness.run();
    expect(errorEvents(noop.record.id)).toEqual([]);
    expect(noop.record).toMatchObject({ status: 'completed', errorsEncountered: 0, filesCopied: 0, filesDeleted: 0, conflicts: 0 });

    fs.unlinkSync(at(area.source, BAD));
    const deleted = await harness.run();
    expect(errorEvents(deleted.record.id)).toEqual([]);
    expect(deleted.record).toMatchObject({ status: 'completed', filesDeleted: 1 });
    expect(fs.existsSync(at(area.target, BAD))).toBe(false);
    expect(byteTree(area.source)).toEqual(byteTree(area.target));
  });
});
