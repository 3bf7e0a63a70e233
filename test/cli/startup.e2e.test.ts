import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { conduit, ensureBuilt, type CliResult } from './cli-harness.js';
import { tempArea, writeTree, type TempArea } from '../support/tree.js';

/**
 * What the one-shot CLI loads (issue 9, "a CLI that starts fast"): every
 * module a command's process loads is recorded by a preload script
 * (`NODE_OPTIONS=--import`) that registers a module hook (ESM) and, at exit,
 * lists node's CommonJS cache (packages loaded with `require`). A command
 * must not load what it does not use: `run` has no HTTP server, no config
 * validation, no migrations to run and, at the default level, nothing to log.
 */

/** Packages no one-shot command needs on an up-to-date database at the default log level. */
const NEVER_ON_A_ONE_SHOT_COMMAND = ['fastify', 'pino', 'pino-pretty', 'typeorm', 'zod', 'prom-client', 'chokidar'];

const RECORDER = `
import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
const out = process.env.CONDUIT_TEST_MODULES;
register('data:text/javascript,' + encodeURIComponent(\`
  import { appendFileSync } from 'node:fs';
  export async function load(url, context, next) {
    appendFileSync(\${JSON.stringify(out)}, url + '\\\\n');
    return next(url, context);
  }
\`));
process.on('exit', () => {
  const cache = createRequire(import.meta.url).cache;
  appendFileSync(out, Object.keys(cache).map((file) => 'file://' + file + '\\n').join(''));
});
`;

let area: TempArea;
let recorder: string;
let modulesFile: string;

beforeAll(() => ensureBuilt());
afterEach(() => area?.cleanup());

function setup(): void {
  area = tempArea('conduit-startup-e2e-');
  recorder = join(area.base, 'record-modules.mjs');
  writeFileSync(recorder, RECORDER);
  modulesFile = join(area.base, 'modules.txt');
}

/** Runs the CLI and returns its result and the packages (node_modules names) its main thread loaded. */
function cliLoading(...args: string[]): { result: CliResult; packages: Set<string> } {
  writeFileSync(modulesFile, '');
  const result = conduit(args, {
    cwd: area.base,
    env: { CONDUIT_DB: area.db, NODE_OPTIONS: `--import ${pathToFileURL(recorder).href}`, CONDUIT_TEST_MODULES: modulesFile },
  });
  const packages = new Set<string>();
  for (const url of readFileSync(modulesFile, 'utf8').split('\n')) {
    const match = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
    if (match?.[1] !== undefined) packages.add(match[1]);
  }
  return { result, packages };
}

function expectNoneOf(packages: Set<string>, forbidden: readonly string[]): void {
  expect([...packages].filter((name) => forbidden.includes(name))).toEqual([]);
}

describe('start-up: a command loads only what it needs', () => {
  it('a no-op `run` loads neither pino nor zod, TypeORM, fastify or chokidar (and the recorder sees what it does load)', () => {
    setup();
    writeTree(area.source, { 'a.txt': 'a', 'd/b.txt': 'b' });
    expect(conduit(['add', '--name', 'm', '--source', area.source, '--target', area.target, '--mode', 'mirror'], { cwd: area.base, env: { CONDUIT_DB: area.db } }).code).toBe(0);
    expect(conduit(['run', 'm'], { cwd: area.base, env: { CONDUIT_DB: area.db } }).code).toBe(0);

    const { result, packages } = cliLoading('--json', 'run', 'm');
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ status: 'completed', filesCopied: 0 });
    // The recorder works: what run needs is there.
    expect(packages.has('commander')).toBe(true);
    expect(packages.has('better-sqlite3')).toBe(true);
    expectNoneOf(packages, NEVER_ON_A_ONE_SHOT_COMMAND);
    // Issue 10: a conduit with two local roots does not load the remote modules (the agent protocol's msgpackr).
    expect(packages.has('msgpackr')).toBe(false);
  });

  it('`list` on an up-to-date database and `--help` load no logger, migration or validation packages', () => {
    setup();
    const help = cliLoading('--help');
    expect(help.result.code).toBe(0);
    expect(help.result.stdout).toContain('Usage: conduit');
    expectNoneOf(help.packages, [...NEVER_ON_A_ONE_SHOT_COMMAND, 'better-sqlite3']);

    // The first command creates and migrates the database (TypeORM runs the migrations); the next one only opens it.
    expect(conduit(['list'], { cwd: area.base, env: { CONDUIT_DB: area.db } }).code).toBe(0);
    const list = cliLoading('--json', 'list');
    expect(list.result.code, list.result.stderr).toBe(0);
    expect(JSON.parse(list.result.stdout)).toEqual([]);
    expectNoneOf(list.packages, NEVER_ON_A_ONE_SHOT_COMMAND);
  });

  it('`conduit agent` (what ssh starts on the far host) greets without loading the CLI\'s parser; `--help` still lists it', () => {
    setup();
    // No input: the agent greets, its session ends with stdin, and it exits 0.
    const { result, packages } = cliLoading('agent');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.startsWith('\0CONDUIT-AGENT\n')).toBe(true);
    // The recorder works: the protocol's package is there; the parser is not.
    expect(packages.has('msgpackr')).toBe(true);
    expect(packages.has('commander')).toBe(false);
    expect(conduit(['--help'], { cwd: area.base }).stdout).toMatch(/^ {2}agent +the far end of a remote root/m);
    const help = conduit(['agent', '--help'], { cwd: area.base });
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: conduit agent');
  });

  it('a warning is still logged, through pino, when there is one to log', () => {
    setup();
    // An unknown level is bad input; a valid one with a message to print loads the logger on demand.
    const { result, packages } = cliLoading('--log-level', 'debug', '--json', 'list');
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('"msg":"opening store"');
    expect(packages.has('pino')).toBe(true);
  });
});
