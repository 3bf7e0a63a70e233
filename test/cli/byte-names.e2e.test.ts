import * as fs from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt, json } from './cli-harness.js';
import { tempArea, type TempArea } from '../support/tree.js';

/**
 * Issue 8 §7 as it was reproduced, through the real CLI: a source holding
 * `bad\xff\xfe.txt` failed to scan on every run ("decoded to U+FFFD, then
 * ENOENT"). Now the name is synced byte for byte, the re-run is a clean no-op,
 * and `--json` shows the name in conduit's escaped form (README "Names are bytes").
 */

interface GenerationJson {
  status: string; filesCopied: number; filesDeleted: number; errors: Array<{ path: string; message: string }>;
}

const BAD = Buffer.concat([Buffer.from('bad'), Buffer.from([0xff, 0xfe]), Buffer.from('.txt')]);
const inRoot = (root: string, name: Buffer) => Buffer.concat([Buffer.from(`${root}/`), name]);

let area: TempArea;
beforeAll(() => ensureBuilt());
afterEach(() => area?.cleanup());

describe('conduit run with a name that is not UTF-8', () => {
  it('mirrors bad\\xff\\xfe.txt byte-exactly, re-runs as a no-op without errors, and propagates its deletion', () => {
    area = tempArea('conduit-bytes-e2e-');
    const cli = (...args: string[]) => conduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db } });
    fs.writeFileSync(inRoot(area.source, BAD), 'not UTF-8, still mine');
    expect(cli('add', '--name', 'm', '--source', area.source, '--target', area.target, '--mode', 'mirror').code).toBe(0);

    const first = json<GenerationJson>(cli('run', 'm', '--json'));
    expect(first).toMatchObject({ status: 'completed', filesCopied: 1, errors: [] });
    expect(fs.readdirSync(area.target, { encoding: 'buffer' })).toEqual([BAD]);
    expect(fs.readFileSync(inRoot(area.target, BAD), 'utf8')).toBe('not UTF-8, still mine');

    const again = json<GenerationJson>(cli('run', 'm', '--json'));
    expect(again).toMatchObject({ status: 'completed', filesCopied: 0, filesDeleted: 0, errors: [] });

    fs.unlinkSync(inRoot(area.source, BAD));
    const deleted = cli('run', 'm', '--json', '--force');
    expect(json<GenerationJson>(deleted)).toMatchObject({ status: 'completed', filesDeleted: 1, errors: [] });
    expect(fs.readdirSync(area.target)).toEqual([]);
  });

  it('shows the name in --json as conduit\'s string for those bytes (show-generation)', () => {
    area = tempArea('conduit-bytes-e2e-');
    const cli = (...args: string[]) => conduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db } });
    fs.writeFileSync(inRoot(area.source, BAD), 'x');
    expect(cli('add', '--name', 'm', '--source', area.source, '--target', area.target, '--mode', 'mirror').code).toBe(0);
    expect(json<GenerationJson>(cli('run', 'm', '--json'))).toMatchObject({ status: 'completed' });
    const shown = cli('show-generation', 'm', '1', '--action', 'copy', '--json');
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(JSON.stringify('bad\uF7FF\uF7FE.txt').slice(1, -1));
  });
});
