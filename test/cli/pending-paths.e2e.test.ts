import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt, json } from './cli-harness.js';
import { tempArea, type TempArea } from '../support/tree.js';

/**
 * Issue 11 §1: a file under constant writes never syncs (every generation
 * skips it, `changed_during_transfer`) while the conduit said `current`. A
 * conduit with paths that did not land is `pending`, and says which and why.
 */

let area: TempArea;
let writer: ChildProcess | undefined;

beforeAll(() => ensureBuilt());

afterEach(async () => {
  if (writer && writer.exitCode === null && writer.signalCode === null) {
    writer.kill('SIGKILL');
    await once(writer, 'exit');
  }
  writer = undefined;
  area?.cleanup();
});

interface ShownConduit {
  state: string;
  pendingPaths: number;
  pending: { path: string; reason: string; sinceGeneration: number; generations: number }[];
}

describe('pending paths', () => {
  it('a file under constant writes is pending (not current) with its reason, warned about after 3 generations, and lands once the writes stop', async () => {
    area = tempArea('conduit-pending-e2e-');
    const cli = (...args: string[]) => conduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db } });
    fs.mkdirSync(area.source, { recursive: true });
    fs.writeFileSync(join(area.source, 'quiet.txt'), 'quiet');
    const log = join(area.source, 'busy.log');
    // Big enough that a copy takes longer than the gap between two appends.
    fs.writeFileSync(log, 'x'.repeat(4 * 1024 * 1024));
    writer = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      process.stdout.write('writing\\n');
      const fd = fs.openSync(${JSON.stringify(log)}, 'a');
      setInterval(() => fs.writeSync(fd, 'line of a log that never stops\\n'), 1);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(writer.stdout!, 'data');

    expect(cli('add', '--name', 'logs', '--source', area.source, '--target', area.target, '--mode', 'mirror').code).toBe(0);
    for (let i = 0; i < 3; i++) expect(cli('run', 'logs').code).toBe(0);
    expect(fs.readFileSync(join(area.target, 'quiet.txt'), 'utf8')).toBe('quiet');

    const shown = json<ShownConduit>(cli('show', 'logs', '--json'));
    expect(shown.state).toBe('pending');
    expect(shown.pendingPaths).toBe(1);
    expect(shown.pending).toHaveLength(1);
    expect(shown.pending[0]).toMatchObject({ path: 'busy.log', sinceGeneration: 1, generations: 3 });
    expect(shown.pending[0]!.reason).toMatch(/changed_during_transfer|modified since scan/);
    const listed = json<ShownConduit[]>(cli('list', '--json'));
    expect(listed.map((c) => [c.state, c.pendingPaths])).toEqual([['pending', 1]]);
    const text = cli('show', 'logs');
    expect(text.stdout).toMatch(/state\s+pending \(1 path pending\)/);
    expect(text.stdout).toMatch(/WARNING busy\.log: .* \(since generation 1, 3 generations in a row\)/);
    expect(text.stderr).toContain('pending for 3 generations or more');
    expect(cli('list').stdout).toContain('pending (1 path pending)');

    writer.kill('SIGKILL');
    await once(writer, 'exit');
    expect(cli('run', 'logs').code).toBe(0);
    expect(fs.readFileSync(join(area.target, 'busy.log'))).toEqual(fs.readFileSync(log));
    const after = json<ShownConduit>(cli('show', 'logs', '--json'));
    expect([after.state, after.pendingPaths, after.pending]).toEqual(['current', 0, []]);
  }, 240_000); // seven CLI processes beside a writer that never rests: minutes on a loaded two-core machine
});
