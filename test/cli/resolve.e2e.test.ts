import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt, json, type CliResult } from './cli-harness.js';
import { put, readTree, tempArea, writeTree, type TempArea } from '../support/tree.js';

/**
 * `conduit resolve` keeps the version the user looked at, or nothing: the
 * chosen side must still hold what the conflict recorded (kind, size,
 * mtime). Anything else there now — a symlink swapped in, a later edit — is
 * refused with one line and exit 3 (a refusal, as the guards'), and nothing
 * changes on either side.
 */

let area: TempArea;

beforeAll(() => ensureBuilt());
afterEach(() => area?.cleanup());

function cli(...args: string[]): CliResult {
  return conduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db } });
}

/** A bidirectional conduit with one open `manual` conflict on a.txt; returns its id. */
function conflicted(): number {
  area = tempArea('conduit-resolve-e2e-');
  writeTree(area.source, { 'a.txt': { content: 'base', mtime: 1_700_000_000 } });
  expect(cli('add', '--name', 'n', '--source', area.source, '--target', area.target, '--mode', 'bidirectional', '--conflict', 'manual').code).toBe(0);
  expect(cli('run', 'n').code).toBe(0);
  put(area.source, 'a.txt', 'source edit', 1_700_000_100);
  put(area.target, 'a.txt', 'target edit, longer', 1_700_000_200);
  expect(cli('run', 'n').code).toBe(0);
  const open = json<Array<{ id: number; path: string }>>(cli('--json', 'conflicts', 'n'));
  expect(open).toMatchObject([{ path: 'a.txt' }]);
  return open[0]!.id;
}

describe('regression: resolve --keep target copied whatever the target held now, a symlink swapped in after detection included', () => {
  it('a symlink swapped in on the target since detection: refused, exit 3, one line, nothing copied, the conflict stays open', () => {
    const id = conflicted();
    writeTree(area.base, { 'outside/secret.txt': 'not for the source' });
    fs.unlinkSync(join(area.target, 'a.txt'));
    fs.symlinkSync(join(area.base, 'outside/secret.txt'), join(area.target, 'a.txt'));
    const sourceBefore = readTree(area.source);

    const r = cli('resolve', String(id), '--keep', 'target');

    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(new RegExp(`^conduit: conflict ${id} \\(n: a\\.txt\\) not resolved: the target changed since the conflict was detected \\(it was a file of 19 bytes modified .*, now it is a symbolic link`));
    expect(readTree(area.source)).toEqual(sourceBefore);
    expect(json<Array<{ id: number; resolution: string }>>(cli('--json', 'conflicts', 'n'))).toMatchObject([{ id, resolution: 'unresolved' }]);
  });

  it('--keep source after a later edit of the source (same kind, other size): refused the same way; after a run refreshes the conflict, resolve goes through', () => {
    const id = conflicted();
    put(area.source, 'a.txt', 'source edited again after detection', 1_700_000_300);

    const r = cli('resolve', String(id), '--keep', 'source');

    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/not resolved: the source changed since the conflict was detected \(it was a file of 11 bytes .*, now it is a file of 35 bytes/);
    expect(fs.readFileSync(join(area.target, 'a.txt'), 'utf8')).toBe('target edit, longer');

    // The next generation refreshes the open conflict with what is there now; then the user's choice stands.
    expect(cli('run', 'n').code).toBe(0);
    const ok = cli('resolve', String(id), '--keep', 'source');
    expect(ok.code, ok.stderr).toBe(0);
    expect(fs.readFileSync(join(area.target, 'a.txt'), 'utf8')).toBe('source edited again after detection');
  });

  it('the kept side unchanged since detection: resolved as before', () => {
    const id = conflicted();
    const r = cli('resolve', String(id), '--keep', 'target');
    expect(r.code, r.stderr).toBe(0);
    expect(readTree(area.source)).toEqual({ 'a.txt': 'target edit, longer' });
  });
});
