import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { json } from '../cli/cli-harness.js';
import { requireSshdInCi, sshdAvailable } from '../support/sshd.js';
import { put, readTree, writeTree } from '../support/tree.js';
import { expectCompleted, remoteSuite, type GenerationJson } from './remote-e2e.js';

/**
 * Issue 10 with the target on the far host (a real sshd on 127.0.0.1), through
 * the real CLI: versioning keeps the old version on the far host, `versions`
 * and `restore` reach it, `verify` checks a generation against the far disk,
 * and the history records what happened there.
 */

requireSshdInCi();

interface VersionJson { path: string; side: string; versionPath: string; keptAt: string; size: number }

/** Every regular file under `dir` as relative path → content (never following links). */
function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rel, value] of Object.entries(readTree(dir))) if (typeof value === 'string') out[rel] = value;
  return out;
}

describe.skipIf(!sshdAvailable())('history, versioning and verification with the target on ssh', () => {
  const s = remoteSuite('conduit-remote-history-');

  /** A conduit `m` made through a config file (the only way to set versioning), its target the ssh:// URL. */
  function importConduit(mode: string, versioning: Record<string, unknown> | null): void {
    s.remote = 'target';
    const spec: Record<string, unknown> = { name: 'm', source: s.root('source'), target: s.root('target'), mode };
    if (versioning) spec['versioning'] = versioning;
    fs.writeFileSync(join(s.area.base, 'c.json'), JSON.stringify({ conduits: [spec] }));
    const r = s.cli(['import', 'c.json']);
    expect(r.code, r.stderr).toBe(0);
  }

  it('versioning keeps the replaced and the deleted version on the far host; versions lists them; restore puts one back there', () => {
    importConduit('mirror', { dir: '.v', keepDays: 3650 });
    const { source, target } = s.area;
    writeTree(source, { 'docs/a.txt': 'first', 'b.txt': 'bee', 'c.txt': 'ballast', 'd.txt': 'ballast' });
    expectCompleted(s.run('m'));
    put(source, 'docs/a.txt', 'second version', 1_700_000_100);
    fs.rmSync(join(source, 'b.txt'));
    expect(expectCompleted(s.run('m'))).toMatchObject({ filesCopied: 1, filesDeleted: 1 });

    // On the far disk: the new bytes at the path, the old ones under .v, nothing lost.
    expect(fs.readFileSync(join(target, 'docs/a.txt'), 'utf8')).toBe('second version');
    expect(fs.existsSync(join(target, 'b.txt'))).toBe(false);
    const kept = filesUnder(join(target, '.v'));
    expect(Object.values(kept).sort()).toEqual(['bee', 'first']);
    expect(Object.keys(kept).find((k) => kept[k] === 'first')).toMatch(/^docs\/a\.\d{8}T\d{6}Z(-\d+)?\.txt$/);
    expect(fs.existsSync(join(source, '.v'))).toBe(false); // kept on the host that held the file, not here

    const listed = json<VersionJson[]>(s.cli(['--json', 'versions', 'm']));
    expect(listed.map((v) => [v.path, v.side, v.size]).sort()).toEqual([['b.txt', 'target', 3], ['docs/a.txt', 'target', 5]]);

    const restored = s.cli(['--json', 'restore', 'm', 'b.txt']);
    expect(restored.code, restored.stderr).toBe(0);
    expect(fs.readFileSync(join(target, 'b.txt'), 'utf8')).toBe('bee');
  }, 120_000);

  it('run --verify records verified; verify re-checks it against the far disk and names a far file changed since', () => {
    importConduit('mirror', null);
    const { source, target } = s.area;
    writeTree(source, { 'docs/a.txt': 'alpha', 'b.txt': 'beta' });
    const run = s.run('m', '--verify');
    expect(run.code, run.stderr).toBe(0);
    expect(run.out).toMatchObject({ status: 'completed', filesCopied: 2, verificationStatus: 'verified' });

    const again = s.cli(['verify', 'm', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ conduit: 'm', generation: 1, verificationStatus: 'verified' });

    fs.writeFileSync(join(target, 'docs/a.txt'), 'tampered with on the far host');
    fs.utimesSync(join(target, 'docs/a.txt'), new Date('2020-01-01'), new Date('2020-01-01'));
    const failed = s.cli(['verify', 'm', '--generation', '1']);
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout).toMatch(/^m generation 1: failed:.*target:docs\/a\.txt/);
    const history = json<GenerationJson[]>(s.cli(['--json', 'history', 'm']));
    expect(history[0]!.verificationStatus).toMatch(/^failed:.*docs\/a\.txt/);
  }, 120_000);

  it('history and show-generation record the copies and deletes made on the far host', () => {
    importConduit('mirror', null);
    const { source } = s.area;
    writeTree(source, { 'a.txt': 'a', 'b.txt': 'b', 'd/c.txt': 'c' });
    expectCompleted(s.run('m'));
    fs.unlinkSync(join(source, 'b.txt'));
    expectCompleted(s.run('m'));

    const history = json<GenerationJson[]>(s.cli(['--json', 'history', 'm']));
    expect(history.map((g) => [g.generation, g.filesCopied, g.filesDeleted])).toEqual([[2, 0, 1], [1, 3, 0]]);
    const copies = json<{ events: Array<{ action: string; path: string; side: string }> }>(s.cli(['--json', 'show-generation', 'm', '1', '--action', 'copy']));
    expect(copies.events.map((e) => [e.action, e.side, e.path]).sort()).toEqual([['copy', 'target', 'a.txt'], ['copy', 'target', 'b.txt'], ['copy', 'target', 'd/c.txt']]);
    const deletes = json<{ events: Array<{ action: string; path: string }> }>(s.cli(['--json', 'show-generation', 'm', '2', '--action', 'delete']));
    expect(deletes.events).toEqual([expect.objectContaining({ action: 'delete', path: 'b.txt' })]);
    // The conduit shows its target as the user wrote it, not as a path on this machine.
    expect(json<{ target: string }>(s.cli(['--json', 'show', 'm'])).target).toBe(s.root('target'));
  }, 120_000);
});
