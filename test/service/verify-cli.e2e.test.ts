import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt, json } from '../cli/cli-harness.js';

let dir: string;
beforeEach(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'conduit-verify-'));
  mkdirSync(join(dir, 'src/docs'), { recursive: true });
  writeFileSync(join(dir, 'src/docs/a.txt'), 'alpha');
  writeFileSync(join(dir, 'src/b.txt'), 'beta');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const cli = (...args: string[]) => conduit(['--db', join(dir, 'conduit.db'), ...args], { cwd: dir });

describe('conduit run --verify and conduit verify', () => {
  it('run --verify waits for the watcher and records verified; verify re-checks it, and names a target file changed since', () => {
    expect(cli('add', '--name', 'docs', '--source', 'src', '--target', 'dst', '--mode', 'mirror').code).toBe(0);
    const run = json<{ status: string; verificationStatus: string; filesCopied: number }>(cli('run', 'docs', '--verify', '--json'));
    expect(run).toMatchObject({ status: 'completed', filesCopied: 2, verificationStatus: 'verified' });

    const again = cli('verify', 'docs', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ conduit: 'docs', generation: 1, verificationStatus: 'verified' });

    writeFileSync(join(dir, 'dst/docs/a.txt'), 'tampered with');
    utimesSync(join(dir, 'dst/docs/a.txt'), new Date('2020-01-01'), new Date('2020-01-01'));
    const failed = cli('verify', 'docs', '--generation', '1');
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^docs generation 1: failed:.*target:docs\/a\.txt/);
    const history = json<{ verificationStatus: string }[]>(cli('history', 'docs', '--json'));
    expect(history[0]!.verificationStatus).toMatch(/^failed:.*docs\/a\.txt/);
  });

  it('refuses an unknown generation with exit 2', () => {
    expect(cli('add', '--name', 'docs', '--source', 'src', '--target', 'dst', '--mode', 'mirror').code).toBe(0);
    const result = cli('verify', 'docs', '--generation', '7');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no generation 7/);
  });
});
