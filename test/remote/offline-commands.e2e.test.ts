import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conduit, json, type CliResult } from '../cli/cli-harness.js';
import { requireSshdInCi, sshdAvailable, startSshd, type Sshd } from '../support/sshd.js';
import { statTree, tempArea, writeTree, type TempArea } from '../support/tree.js';

/**
 * Issue 10 "Offline" outside a generation, through the real CLI and a real
 * sshd on 127.0.0.1: with the far host down, every command that touches the
 * roots — verify, versions, restore, resolve — says so in one line and exits
 * 3, changing nothing on either side or in the history.
 */

requireSshdInCi();

interface ConflictJson { id: number; path: string; resolution: string }

/** A refusal as the user sees it: exit 3, exactly one line on stderr, no stack trace. */
function expectOneLineRefusal(r: CliResult): string {
  expect(r.code, r.stderr).toBe(3);
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, r.stderr).toHaveLength(1);
  return lines[0]!;
}

const snapshot = (...dirs: string[]) => dirs.map((d) => statTree(d));

describe.skipIf(!sshdAvailable())('commands that touch the roots while the far host is down', () => {
  let sshdDir: string;
  let sshd: Sshd;
  let area: TempArea;
  beforeAll(async () => {
    sshdDir = fs.mkdtempSync(join(tmpdir(), 'conduit-sshd-'));
    sshd = await startSshd(sshdDir);
    area = tempArea('conduit-remote-offline-commands-', { createTarget: true });
  }, 120_000);
  afterAll(async () => {
    await sshd?.stop();
    area?.cleanup();
    fs.rmSync(sshdDir, { recursive: true, force: true });
  });
  const cli = (args: readonly string[]) => conduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db, ...sshd.env() } });

  it('verify, versions, restore and resolve: one line naming the host, exit 3, nothing changed', async () => {
    const { source, target } = area;
    const s = { cli, sshd };
    // Both sides hold the same path with different contents at the first sync: a conflict under `manual` waits for a person.
    writeTree(source, { 'same.txt': 'source version', 'only-here.txt': 'x' });
    writeTree(target, { 'same.txt': 'target version, longer' });
    const file = join(area.base, 'conduits.json');
    fs.writeFileSync(file, JSON.stringify({ conduits: [{
      name: 'b', source, target: sshd.url(target), mode: 'bidirectional', conflict: 'manual', versioning: { dir: '.versions', keepDays: 30 },
    }] }));
    const added = cli(['import', file]);
    expect(added.code, added.stderr).toBe(0);
    const first = cli(['--json', 'run', 'b']);
    expect((JSON.parse(first.stdout) as { status: string }).status, first.stderr).toBe('completed');
    const conflicts = json<ConflictJson[]>(s.cli(['--json', 'conflicts', 'b']));
    expect(conflicts.map((c) => c.path)).toEqual(['same.txt']);
    const history = s.cli(['--json', 'history', 'b']).stdout;
    const before = snapshot(source, target);

    await s.sshd.stop();
    try {
      for (const args of [['verify', 'b'], ['versions', 'b'], ['restore', 'b', 'same.txt'], ['resolve', String(conflicts[0]!.id), '--keep', 'source']]) {
        const line = expectOneLineRefusal(s.cli(args));
        expect(line, args.join(' ')).toMatch(/cannot reach 127\.0\.0\.1/);
      }
      expect(snapshot(source, target)).toEqual(before);
      expect(json<ConflictJson[]>(s.cli(['--json', 'conflicts', 'b'])).map((c) => c.resolution)).toEqual(['unresolved']);
      expect(s.cli(['--json', 'history', 'b']).stdout).toBe(history);
    } finally {
      await s.sshd.start();
    }
    // Back: a resolution goes through (the far host's version onto this one).
    const resolved = s.cli(['resolve', String(conflicts[0]!.id), '--keep', 'target']);
    expect(resolved.code, resolved.stderr).toBe(0);
    expect(fs.readFileSync(join(source, 'same.txt'), 'utf8')).toBe('target version, longer');
  }, 180_000);
});
