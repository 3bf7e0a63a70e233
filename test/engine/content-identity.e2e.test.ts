import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt, json, type CliResult } from '../cli/cli-harness.js';
import { readTree, tempArea, writeTree, type TempArea, type TreeView } from '../support/tree.js';

/**
 * Issue 8 §1 on real directories through the real CLI: whether two files are
 * the same is decided by their content, never by size + mtime across sides
 * (SPEC §3). Each test sets equal mtimes with `touch -d` (or gives an
 * identical conflict copy another mtime), which is exactly what a quick check
 * across sides cannot see through.
 */

interface GenerationJson { status: string; conflicts: number; filesCopied: number; errors: unknown[] }
interface ConflictJson { path: string; kind: string; resolution: string; conflictCopy: string | null }

let area: TempArea;
let cli: (...args: string[]) => CliResult;

beforeAll(() => ensureBuilt());
afterEach(() => area?.cleanup());

function setup(): void {
  area = tempArea('conduit-identity-e2e-', { createTarget: true });
  cli = (...args) => conduit(['--db', area.db, ...args], { cwd: area.base });
}

function add(name: string, ...flags: string[]): void {
  const r = cli('add', '--name', name, '--source', area.source, '--target', area.target, ...flags);
  expect(r.code, r.stderr).toBe(0);
}

function run(name: string): GenerationJson {
  const r = cli('run', name, '--json');
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as GenerationJson;
}

function conflicts(name: string): ConflictJson[] {
  return json<ConflictJson[]>(cli('--json', 'conflicts', name, '--all'));
}

/** `touch -d` with nanoseconds, as a user would: the same mtime on every file given. */
function touchSame(stamp: string, ...paths: string[]): void {
  execFileSync('touch', ['-d', stamp, ...paths]);
}

const COPY = /\.conflict-(source|target)-\d{8}T\d{6}Z(-\d+)?(\.[^./]*)?$/;
const copiesIn = (view: TreeView) => Object.keys(view).filter((p) => COPY.test(p)).sort();

describe('bidirectional: two different files with the same size and mtime are a conflict', () => {
  it('both sides edited since the baseline, same size, same mtime: a conflict, both versions survive on both sides', () => {
    setup();
    writeTree(area.source, { 'f.txt': 'original\n' });
    add('b', '--mode', 'bidirectional');
    expect(run('b').status).toBe('completed');

    fs.writeFileSync(join(area.source, 'f.txt'), 'SRC-edit\n');
    fs.writeFileSync(join(area.target, 'f.txt'), 'TGT-edit\n');
    touchSame('2026-01-02 03:04:05.123456789', join(area.source, 'f.txt'), join(area.target, 'f.txt'));
    const g = run('b');

    expect(g.conflicts).toBe(1);
    const s = readTree(area.source);
    const t = readTree(area.target);
    expect(s).toEqual(t);
    // A tie goes to the source: its version stays at the path, the target's is the conflict copy.
    expect(s['f.txt']).toBe('SRC-edit\n');
    const [copy, ...more] = copiesIn(s);
    expect(more).toEqual([]);
    expect(copy).toMatch(/^f\.conflict-target-\d{8}T\d{6}Z\.txt$/);
    expect(s[copy!]).toBe('TGT-edit\n');
    expect(conflicts('b').map((c) => [c.path, c.kind, c.resolution, c.conflictCopy])).toEqual([['f.txt', 'both_modified', 'kept_both', copy]]);
  });

  it('first sync: AAAA on one side, BBBB on the other, same mtime: a first_sync_differs conflict, both survive', () => {
    setup();
    writeTree(area.source, { 'f.txt': 'AAAA' });
    writeTree(area.target, { 'f.txt': 'BBBB' });
    touchSame('2026-01-02 03:04:05.123456789', join(area.source, 'f.txt'), join(area.target, 'f.txt'));
    add('b', '--mode', 'bidirectional');

    const g = run('b');

    expect(g.conflicts).toBe(1);
    const s = readTree(area.source);
    expect(readTree(area.target)).toEqual(s);
    expect(s['f.txt']).toBe('AAAA');
    const copies = copiesIn(s);
    expect(copies).toHaveLength(1);
    expect(s[copies[0]!]).toBe('BBBB');
    expect(conflicts('b').map((c) => [c.kind, c.resolution])).toEqual([['first_sync_differs', 'kept_both']]);
  });

  it('the same mtime does not make the baseline record differing sides as in sync: after a later target edit, no version was lost unseen', () => {
    setup();
    writeTree(area.source, { 'f.txt': 'original\n' });
    add('b', '--mode', 'bidirectional');
    run('b');
    fs.writeFileSync(join(area.source, 'f.txt'), 'SRC-edit\n');
    fs.writeFileSync(join(area.target, 'f.txt'), 'TGT-edit\n');
    touchSame('2026-01-02 03:04:05.123456789', join(area.source, 'f.txt'), join(area.target, 'f.txt'));
    run('b');

    fs.writeFileSync(join(area.target, 'f.txt'), 'later target edit\n');
    run('b');

    // The target's later edit replaces the version it showed (SRC-edit, the tie's winner): an ordinary edit.
    // TGT-edit, which lost, is still in its conflict copy; before the fix it was gone without a trace.
    const s = readTree(area.source);
    expect(s['f.txt']).toBe('later target edit\n');
    expect(copiesIn(s).map((p) => s[p])).toEqual(['TGT-edit\n']);
    expect(readTree(area.target)).toEqual(s);
  });
});

describe('selective: a target file the conduit did not write is never taken for the source\'s by size and mtime', () => {
  it('first sync, the target holds other bytes of the same size and mtime: they are saved as a conflict copy before the source\'s version is written', () => {
    setup();
    writeTree(area.source, { 'docs/f.txt': 'source bytes' });
    writeTree(area.target, { 'docs/f.txt': 'target bytes' });
    touchSame('2026-01-02 03:04:05.123456789', join(area.source, 'docs/f.txt'), join(area.target, 'docs/f.txt'));
    add('sel', '--mode', 'selective', '--include', 'docs/');

    const g = run('sel');

    expect(g.conflicts).toBe(1);
    const t = readTree(area.target);
    expect(t['docs/f.txt']).toBe('source bytes');
    const copies = copiesIn(t);
    expect(copies).toHaveLength(1);
    expect(copies[0]).toMatch(/^docs\/f\.conflict-target-\d{8}T\d{6}Z\.txt$/);
    expect(t[copies[0]!]).toBe('target bytes');
    expect(readTree(area.source)).toEqual({ 'docs/': true, 'docs/f.txt': 'source bytes' });
    expect(conflicts('sel').map((c) => [c.kind, c.resolution])).toEqual([['first_sync_differs', 'kept_both']]);
  });

  it('first sync, same size and mtime, other bytes and another mode bit: the target\'s bytes are kept as a conflict copy, not overwritten', () => {
    setup();
    writeTree(area.source, { 'docs/f.txt': { content: 'source bytes', mode: 0o644 } });
    writeTree(area.target, { 'docs/f.txt': { content: 'target bytes', mode: 0o600 } });
    touchSame('2026-01-02 03:04:05.123456789', join(area.source, 'docs/f.txt'), join(area.target, 'docs/f.txt'));
    add('sel', '--mode', 'selective', '--include', 'docs/');

    const g = run('sel');

    expect(g.conflicts).toBe(1);
    const t = readTree(area.target);
    expect(t['docs/f.txt']).toBe('source bytes');
    expect(Object.entries(t).filter(([p]) => COPY.test(p)).map(([, v]) => v)).toEqual(['target bytes']);
  });
});

describe('keep-both: no second copy when an identical conflict copy already sits beside the path', () => {
  /**
   * Synced start: f.txt and an old conflict copy of it on both sides. Then the
   * target writes the old copy's bytes into f.txt again and the source makes a
   * newer edit: the target loses, and its bytes are already in the old copy.
   */
  function conflictAgain(oldCopy: string, options: { copyOnlyOnTarget?: boolean } = {}): { copies: string[]; t: TreeView; s: TreeView } {
    setup();
    writeTree(area.source, { 'f.txt': 'original\n' });
    // The old copy has an mtime of its own (2020-05-05), not the loser's.
    const copy = { [oldCopy]: { content: 'lost before\n', mtime: 1_588_651_505 } };
    if (!options.copyOnlyOnTarget) writeTree(area.source, copy);
    add('b', '--mode', 'bidirectional');
    expect(run('b').status).toBe('completed');
    if (options.copyOnlyOnTarget) writeTree(area.target, copy);
    fs.writeFileSync(join(area.target, 'f.txt'), 'lost before\n');
    touchSame('2026-01-01 00:00:00', join(area.target, 'f.txt'));
    fs.writeFileSync(join(area.source, 'f.txt'), 'newer source edit\n');
    touchSame('2026-01-02 00:00:00', join(area.source, 'f.txt'));

    const g = run('b');

    expect(g.conflicts).toBe(1);
    const s = readTree(area.source);
    const t = readTree(area.target);
    expect(t).toEqual(s);
    expect(s['f.txt']).toBe('newer source edit\n');
    const recorded = conflicts('b');
    expect(recorded.map((c) => [c.path, c.kind, c.resolution, c.conflictCopy])).toEqual([['f.txt', 'both_modified', 'kept_both', oldCopy]]);
    return { copies: copiesIn(s), s, t };
  }

  it('the identical copy has another mtime than the loser: no second copy, the conflict records the existing one', () => {
    const { copies, s } = conflictAgain('f.conflict-target-20200101T000000Z.txt');
    expect(copies).toEqual(['f.conflict-target-20200101T000000Z.txt']);
    expect(s['f.conflict-target-20200101T000000Z.txt']).toBe('lost before\n');
  });

  it('the identical copy is named after the other side: no second copy', () => {
    const { copies } = conflictAgain('f.conflict-source-20200101T000000Z-2.txt');
    expect(copies).toEqual(['f.conflict-source-20200101T000000Z-2.txt']);
  });

  it('the identical copy exists on the target only: no second copy, and it reaches the source in the same generation', () => {
    const { copies, s } = conflictAgain('f.conflict-target-20200101T000000Z.txt', { copyOnlyOnTarget: true });
    expect(copies).toEqual(['f.conflict-target-20200101T000000Z.txt']);
    expect(s['f.conflict-target-20200101T000000Z.txt']).toBe('lost before\n');
  });
});

describe('a type change on a path that is itself a conflict copy: the newer version wins, no copy of a copy', () => {
  const P = 'f.conflict-target-20200101T000000Z.txt';

  it('the file is newer than the directory that replaced it on the other side: the file keeps the path on both sides', () => {
    setup();
    writeTree(area.source, { [P]: 'old copy\n' });
    add('b', '--mode', 'bidirectional', '--max-delete', '100'); // the one file of the tree is replaced: not the guard's business here
    run('b');
    // The source turns the path into a directory (older), the target edits the file (newer).
    fs.rmSync(join(area.source, P));
    fs.mkdirSync(join(area.source, P));
    touchSame('2026-01-01 00:00:00', join(area.source, P));
    fs.writeFileSync(join(area.target, P), 'edited copy\n');
    touchSame('2026-01-02 00:00:00', join(area.target, P));

    const g = run('b');

    expect(g.conflicts).toBe(1);
    expect(readTree(area.source)).toEqual({ [P]: 'edited copy\n' });
    expect(readTree(area.target)).toEqual({ [P]: 'edited copy\n' });
    expect(conflicts('b').map((c) => [c.kind, c.resolution, c.conflictCopy])).toEqual([['type_change', 'accepted_target', null]]);
  });

  it('the directory is newer: it keeps the path on both sides and the file is not copied (no copy of a copy)', () => {
    setup();
    writeTree(area.source, { [P]: 'old copy\n' });
    add('b', '--mode', 'bidirectional', '--max-delete', '100'); // the one file of the tree is replaced: not the guard's business here
    run('b');
    fs.rmSync(join(area.source, P));
    fs.mkdirSync(join(area.source, P));
    fs.writeFileSync(join(area.target, P), 'edited copy\n');
    touchSame('2026-01-01 00:00:00', join(area.target, P));
    touchSame('2026-01-02 00:00:00', join(area.source, P));

    const g = run('b');

    expect(g.conflicts).toBe(1);
    expect(readTree(area.source)).toEqual({ [`${P}/`]: true });
    expect(readTree(area.target)).toEqual({ [`${P}/`]: true });
    expect(conflicts('b').map((c) => [c.kind, c.resolution, c.conflictCopy])).toEqual([['type_change', 'accepted_source', null]]);
  });
});
