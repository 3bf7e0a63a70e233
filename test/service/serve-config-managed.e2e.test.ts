import { mkdirSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { conduit, json } from '../cli/cli-harness.js';
import { API_TOKEN, conduitEntry, eventually, ServeArea, startServe, type Served } from './serve-harness.js';

/**
 * Issue 11 §1: SIGHUP re-imported the config file and silently reverted a
 * CLI `edit` of a conduit the file names, and reported all of them
 * "updated" when one changed. Now the file manages its conduits: the CLI and
 * the API refuse to change them (naming the file), SIGHUP reports only what
 * changed, and `show` says who manages a conduit.
 */

let area: ServeArea;
let served: Served | undefined;

afterEach(async () => {
  await served?.stop('SIGKILL');
  served = undefined;
  area?.cleanup();
});

interface Shown { name: string; exclude: string[]; enabled: boolean; managedBy: string | null }

describe('conduits managed by the config file of serve', () => {
  it('a CLI or API change of a conduit the file names is refused naming the file; SIGHUP applies the file and reports only what changed', async () => {
    area = new ServeArea();
    const conduits = ['a', 'b', 'c'].map((name) => conduitEntry(name, { schedule: 'manual' }));
    for (const name of ['a', 'b', 'c', 'mine']) mkdirSync(area.path(`${name}-source`));
    area.writeConfig(conduits);
    served = await startServe(area);
    const cli = (...args: string[]) => conduit(['--db', area.db, ...args], { cwd: area.dir });

    // Visible: show, show --json and list --json name the file.
    expect(cli('show', 'a').stdout).toContain(`managed by       ${area.config}`);
    expect(json<Shown>(cli('show', 'a', '--json')).managedBy).toBe(area.config);
    expect(json<Shown[]>(cli('list', '--json')).map((c) => [c.name, c.managedBy])).toEqual([['a', area.config], ['b', area.config], ['c', area.config]]);

    // The CLI: one line naming the file, exit 2, nothing changed.
    for (const args of [['edit', 'a', '--exclude', '*.bak'], ['remove', 'a']]) {
      const refused = cli(...args);
      expect(refused.code, args.join(' ')).toBe(2);
      expect(refused.stderr.trim().split('\n')).toEqual([`conduit: conduit "a" is managed by ${area.config}: ${args[0]} it there and send serve SIGHUP (a change here would be reverted)`]);
    }
    expect(json<Shown>(cli('show', 'a', '--json'))).toMatchObject({ exclude: [], enabled: true });
    // The API: 409 with the same line.
    const patched = await fetch(`${served.url}/api/conduits/a`, {
      method: 'PATCH', headers: { authorization: `Bearer ${API_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ exclude: ['*.bak'] }),
    });
    expect(patched.status).toBe(409);
    expect(((await patched.json()) as { error: string }).error).toContain(`is managed by ${area.config}`);
    const deleted = await fetch(`${served.url}/api/conduits/a`, { method: 'DELETE', headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(deleted.status).toBe(409);
    // Pausing is allowed (a drive away for the week), and no re-import of an unchanged file reverts it.
    expect(cli('disable', 'a').code).toBe(0);

    // A conduit the CLI added is the CLI's: no file manages it.
    expect(cli('add', '--name', 'mine', '--source', './mine-source', '--target', './mine-target', '--mode', 'mirror').code).toBe(0);
    expect(cli('edit', 'mine', '--exclude', '*.bak').code).toBe(0);
    expect(json<Shown>(cli('show', 'mine', '--json')).managedBy).toBeNull();

    // The file changes b: SIGHUP applies it and says so, and only that.
    writeFileSync(area.config, JSON.stringify({ database: './conduit.db', conduits: [conduits[0], { ...conduits[1], exclude: ['*.tmp'] }, conduits[2]] }, null, 2));
    served.child.kill('SIGHUP');
    const reread = await eventually('the config re-read', () => served!.log.find((line) => line.includes('config re-read')), (line) => line !== undefined);
    expect(JSON.parse(reread!).msg).toBe('config re-read: updated: b; unchanged: a, c');
    expect(json<Shown>(cli('show', 'b', '--json')).exclude).toEqual(['*.tmp']);
    expect(json<Shown>(cli('show', 'a', '--json')).enabled).toBe(false);
    expect(json<Shown>(cli('show', 'mine', '--json')).exclude).toEqual(['*.bak']);

    // Taken out of the file, c is handed back to the CLI (its history and baseline stay).
    // …and the file's own `enabled`, once it changes, is the file's word again.
    writeFileSync(area.config, JSON.stringify({ database: './conduit.db', conduits: [{ ...conduits[0], enabled: false }, { ...conduits[1], exclude: ['*.tmp'] }] }, null, 2));
    served.child.kill('SIGHUP');
    const released = await eventually('the second re-read', () => served!.log.filter((line) => line.includes('config re-read')), (lines) => lines.length === 2);
    expect(JSON.parse(released[1]!).msg).toBe('config re-read: unchanged: a, b; no longer managed by the file: c');
    writeFileSync(area.config, JSON.stringify({ database: './conduit.db', conduits: [{ ...conduits[0], enabled: true }, { ...conduits[1], exclude: ['*.tmp'] }] }, null, 2));
    served.child.kill('SIGHUP');
    const third = await eventually('the third re-read', () => served!.log.filter((line) => line.includes('config re-read')), (lines) => lines.length === 3);
    expect(JSON.parse(third[2]!).msg).toBe('config re-read: updated: a; unchanged: b');
    expect(json<Shown>(cli('show', 'a', '--json')).enabled).toBe(true);
    expect(json<Shown>(cli('show', 'c', '--json')).managedBy).toBeNull();
    expect(cli('edit', 'c', '--exclude', '*.bak').code).toBe(0);
  });
});
