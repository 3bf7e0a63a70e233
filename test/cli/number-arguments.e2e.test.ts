import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { conduit, ensureBuilt, json, type CliResult } from './cli-harness.js';
import { readTree, tempArea, writeTree, type TempArea, type TreeView } from '../support/tree.js';

/**
 * Issue 8 §7 beyond add/edit: every number the CLI takes — a positional
 * (`resolve <conflict-id>`, `show-generation <name> <N>`) or a flag
 * (`history --limit`, `verify --generation`, `serve --port`) — is plain
 * decimal digits or refused with one line naming the argument, exit 2,
 * nothing changed. `Number()` took `1e1`, `0xa`, `' 10'` and `10.0` for 10,
 * so `resolve 1e1 --keep source` settled conflict 10.
 */

let area: TempArea;
let cli: (...args: string[]) => CliResult;
let before: { export: string; conflicts: string; source: TreeView; target: TreeView; history: string };

interface ConflictJson { id: number; path: string; resolution: string }

const state = () => ({
  export: cli('export').stdout,
  conflicts: cli('--json', 'conflicts', 'n', '--all').stdout,
  source: readTree(area.source),
  target: readTree(area.target),
  history: cli('--json', 'history', 'n').stdout,
});

beforeAll(() => {
  ensureBuilt();
  area = tempArea('conduit-number-arguments-e2e-', { createTarget: true });
  cli = (...args) => conduit(args, { cwd: area.base, env: { CONDUIT_DB: area.db } });
  // Ten first-sync conflicts, ids 1 to 10, left open by the manual policy; two generations.
  for (let i = 1; i <= 10; i++) {
    const name = `c${String(i).padStart(2, '0')}.txt`;
    writeTree(area.source, { [name]: `source ${i}` });
    writeTree(area.target, { [name]: `target version ${i}` });
  }
  expect(cli('add', '--name', 'n', '--source', area.source, '--target', area.target, '--mode', 'bidirectional', '--conflict', 'manual').code).toBe(0);
  expect(cli('run', 'n').code).toBe(0);
  expect(cli('run', 'n').code).toBe(0);
  const open = json<ConflictJson[]>(cli('--json', 'conflicts', 'n'));
  expect(open.map((c) => [c.id, c.path])).toContainEqual([10, 'c10.txt']);
  before = state();
});
afterAll(() => area?.cleanup());

function expectRefused(args: string[], message: string): void {
  const result = cli(...args);
  const lines = result.stderr.split('\n').filter((line) => line !== '');
  expect(lines, result.stderr).toEqual([`conduit: ${message}`]);
  expect(result.code).toBe(2);
  expect(result.stdout).toBe('');
  expect(state()).toEqual(before);
}

describe('regression: numbers outside add/edit were read with Number(), so `resolve 1e1 --keep source` resolved conflict 10', () => {
  test.each(['1e1', '0xa', '0xA', ' 10', '10 ', '10.0', '+10', '1_0', '0b1010', 'Infinity'])('resolve %j --keep source', (text) => {
    expectRefused(['resolve', text, '--keep', 'source'], `<conflict-id>: expected a conflict id (see conduit conflicts), got ${JSON.stringify(text)}`);
  });

  test('resolve 0 / -1 are refused the same way (no conflict has them)', () => {
    expectRefused(['resolve', '0', '--dismiss'], '<conflict-id>: expected a conflict id (see conduit conflicts), got "0"');
    expectRefused(['resolve', '--dismiss', '--', '-1'], '<conflict-id>: expected a conflict id (see conduit conflicts), got "-1"');
  });

  test.each(['1e1', '0x2', ' 2', '2.0', '+2'])('history --limit %j', (text) => {
    expectRefused(['history', 'n', '--limit', text], `--limit: expected a whole number from 1 to 10000, got ${JSON.stringify(text)}`);
  });

  test.each(['1e0', '0x1', ' 1', '1.0', '+1'])('show-generation n %j', (text) => {
    expectRefused(['show-generation', 'n', text], `<N>: expected a generation number (1, 2, …), got ${JSON.stringify(text)}`);
  });

  test.each(['1e0', '0x1', '1.0'])('verify --generation %j', (text) => {
    expectRefused(['verify', 'n', '--generation', text], `--generation: expected a generation number (1, 2, …), got ${JSON.stringify(text)}`);
  });

  test.each(['0x10', '1e3', ' 80', '99999'])('serve --port %j', (text) => {
    expectRefused(['serve', '--port', text], `--port: expected a port from 0 to 65535, got ${JSON.stringify(text)}`);
  });

  test('plain digits still work: history --limit 01, show-generation n 2, resolve 010 --keep source', () => {
    expect(json<unknown[]>(cli('--json', 'history', 'n', '--limit', '01'))).toHaveLength(1);
    expect(json<{ generation: number }>(cli('--json', 'show-generation', 'n', '2'))).toMatchObject({ generation: 2 });
    expect(json<ConflictJson>(cli('--json', 'resolve', '010', '--keep', 'source'))).toMatchObject({ id: 10, path: 'c10.txt', resolution: 'accepted_source' });
    expect(readTree(area.target)['c10.txt']).toBe('source 10');
  });
});
