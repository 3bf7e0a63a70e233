import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Snapshot } from '../../src/core/entry.js';
import { buildRules, type RuleSources } from '../../src/engine/filters.js';
import { scanInWorker, scanRoot, stopScanWorkers } from '../../src/engine/scan.js';
import { walk } from '../../src/engine/scan/walk.js';
import { NodeFileSystem } from '../../src/fs/node-file-system.js';

const nodeFs = new NodeFileSystem();
let base: string;
let root: string;
let outside: string;
let hasFifo = false;

function write(rel: string, content: string): void {
  const path = join(root, rel);
  fs.mkdirSync(join(path, '..'), { recursive: true });
  fs.writeFileSync(path, content);
}

function kinds(entries: Snapshot): Record<string, string> {
  return Object.fromEntries([...entries].map(([p, e]) => [p, e.kind === 'problem' ? `problem:${e.code}` : e.kind]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
}

beforeAll(() => {
  base = fs.mkdtempSync(join(tmpdir(), 'conduit-scan-'));
  root = join(base, 'root');
  outside = join(base, 'outside');
  fs.mkdirSync(root);
  // A directory full of files OUTSIDE the root, reachable only through a link.
  fs.mkdirSync(outside);
  for (let i = 0; i < 20; i++) fs.writeFileSync(join(outside, `secret-${i}.txt`), 'do not read');

  write('a/b/c.txt', 'nested');
  write('a/b/d/e.txt', 'deeper');
  fs.mkdirSync(join(root, 'empty'));
  fs.mkdirSync(join(root, 'a/empty-too'));
  write('.hidden', 'dot');
  write('a/.dotdir/x', 'in a dot dir');
  write('zero.bin', '');
  write('docs/guide.md', 'g');
  write('docs/api/ref.md', 'r');
  write('docs/api/ref.md.bak', 'old');
  write('notes/n.pdf', 'pdf');
  write('node_modules/m/index.js', 'm');
  write('big.iso', 'pretend');
  write('.conduitignore', '# disk images\n*.iso\n');
  write('a/.c.txt.conduit-tmp-0123456789ab-7f3e', 'partial copy');
  fs.symlinkSync(outside, join(root, 'link-to-outside')); // absolute, outside the root, a directory
  fs.symlinkSync('../../nowhere/at/all', join(root, 'a/dangling')); // relative, dangling
  try {
    execFileSync('mkfifo', [join(root, 'pipe')]);
    hasFifo = true;
  } catch {
    hasFifo = false;
  }
});

afterAll(async () => {
  await stopScanWorkers();
  fs.rmSync(base, { recursive: true, force: true });
});

function rules(sources: RuleSources = {}) {
  return buildRules({ conduitIgnoreText: [fs.readFileSync(join(root, '.conduitignore'), 'utf8')], ...sources });
}

describe('scanRoot on the real disk (worker thread)', () => {
  test('reports nested files, empty dirs, dotfiles, a 0-byte file; links as links; temps apart; the FIFO as a problem', async () => {
    const result = await scanRoot(nodeFs, root, { rules: rules(), tempToken: '0123456789ab' });
    expect(result.root).toBe('ok');
    const expected: Record<string, string> = {
      '.conduitignore': 'file',
      '.hidden': 'file',
      a: 'dir',
      'a/.dotdir': 'dir',
      'a/.dotdir/x': 'file',
      'a/b': 'dir',
      'a/b/c.txt': 'file',
      'a/b/d': 'dir',
      'a/b/d/e.txt': 'file',
      'a/dangling': 'symlink',
      'a/empty-too': 'dir',
      docs: 'dir',
      'docs/api': 'dir',
      'docs/api/ref.md': 'file',
      'docs/api/ref.md.bak': 'file',
      'docs/guide.md': 'file',
      empty: 'dir',
      'link-to-outside': 'symlink',
      node_modules: 'dir',
      'node_modules/m': 'dir',
      'node_modules/m/index.js': 'file',
      notes: 'dir',
      'notes/n.pdf': 'file',
      'zero.bin': 'file',
    };
    if (hasFifo) expected['pipe'] = 'problem:unsupported';
    expect(kinds(result.entries)).toEqual(expected); // big.iso: hidden by .conduitignore
    expect(result.staleTemps).toEqual(['a/.c.txt.conduit-tmp-0123456789ab-7f3e']);
    expect(result.entries.get('zero.bin')).toMatchObject({ kind: 'file', size: 0 });
    expect(result.entries.get('a/b/c.txt')).toMatchObject({ kind: 'file', size: 6 });
  });

  test('symlinks keep their text verbatim and are never descended into, even to a directory outside the root', async () => {
    const result = await scanRoot(nodeFs, root, { rules: rules() });
    expect(result.entries.get('link-to-outside')).toMatchObject({ kind: 'symlink', linkTarget: outside });
    expect(result.entries.get('a/dangling')).toMatchObject({ kind: 'symlink', linkTarget: '../../nowhere/at/all' });
    const leaked = [...result.entries.keys()].filter((p) => p.includes('secret-') || p.startsWith('link-to-outside/'));
    expect(leaked).toEqual([]);
  });

  test('mtimes are bigint nanoseconds equal to lstat’s, and modes are the permission bits', async () => {
    const result = await scanRoot(nodeFs, root, { rules: rules() });
    for (const [rel, entry] of result.entries) {
      if (entry.kind === 'problem') continue;
      const st = fs.lstatSync(join(root, rel), { bigint: true });
      expect(typeof entry.mtimeNs).toBe('bigint');
      expect(entry.mtimeNs, rel).toBe(st.mtimeNs);
      expect(entry.ino, rel).toBe(Number(st.ino));
      if (entry.kind !== 'symlink') expect(entry.mode, rel).toBe(Number(st.mode & 0o7777n));
      if (entry.kind === 'file') expect(entry.size, rel).toBe(Number(st.size));
    }
  });

  test('include and exclude prune while walking; .conduitignore lines apply', async () => {
    const result = await scanRoot(nodeFs, root, { rules: rules({ include: ['docs/**', '*.pdf', '*.iso'], exclude: ['*.bak'] }) });
    expect(kinds(result.entries)).toEqual({ docs: 'dir', 'docs/api': 'dir', 'docs/api/ref.md': 'file', 'docs/guide.md': 'file', notes: 'dir', 'notes/n.pdf': 'file' });
    const excluded = await scanRoot(nodeFs, root, { rules: rules({ exclude: ['node_modules/', 'a/'] }) });
    expect([...excluded.entries.keys()].filter((p) => p.startsWith('node_modules') || p.startsWith('a'))).toEqual([]);
  });

  test('onlyPaths through the worker: those paths and their ancestors', async () => {
    const result = await scanRoot(nodeFs, root, { rules: rules(), onlyPaths: ['a/b/d', 'docs/guide.md', 'gone/file'] });
    expect(kinds(result.entries)).toEqual({ a: 'dir', 'a/b': 'dir', 'a/b/d': 'dir', 'a/b/d/e.txt': 'file', docs: 'dir', 'docs/guide.md': 'file' });
  });

  test('the worker and the inline walk give identical results', async () => {
    for (const sources of [{}, { include: ['docs/**', '*.pdf'] }, { exclude: ['a/'] }] as RuleSources[]) {
      const options = { rules: rules(sources) };
      const inWorker = await scanInWorker(root, options);
      const inline = walk(nodeFs, root, options);
      expect(inWorker.entries).toEqual(inline.entries);
      expect({ ...inWorker, entries: null }).toEqual({ ...inline, entries: null });
    }
  });

  test('two roots scan at once', async () => {
    const [one, two] = await Promise.all([scanRoot(nodeFs, root, { rules: rules() }), scanRoot(nodeFs, join(root, 'a'), { rules: rules() })]);
    expect(one.entries.get('a/b/c.txt')?.kind).toBe('file');
    expect(two.entries.get('b/c.txt')?.kind).toBe('file');
  });
});

describe('scanRoot: root states on the real disk', () => {
  test('a missing root', async () => {
    const result = await scanRoot(nodeFs, join(base, 'does-not-exist'), { rules: rules() });
    expect(result.root).toBe('missing');
    expect(result.entries.size).toBe(0);
  });

  test('a root below a file is missing too', async () => {
    expect((await scanRoot(nodeFs, join(root, 'zero.bin', 'x'), { rules: rules() })).root).toBe('missing');
  });

  test('a root that is a symlink is followed for the root alone; a dangling one is missing', async () => {
    const viaLink = join(base, 'root-link');
    const dangling = join(base, 'root-dangling');
    fs.symlinkSync(join(root, 'a'), viaLink);
    fs.symlinkSync(join(base, 'nowhere'), dangling);
    const result = await scanRoot(nodeFs, viaLink, { rules: rules() });
    expect(result.root).toBe('ok');
    expect(result.entries.get('b/c.txt')?.kind).toBe('file');
    expect(result.entries.get('dangling')?.kind).toBe('symlink');
    expect((await scanRoot(nodeFs, dangling, { rules: rules() })).root).toBe('missing');
  });

  test('a root that is a file', async () => {
    const result = await scanRoot(nodeFs, join(root, 'zero.bin'), { rules: rules() });
    expect(result.root).toBe('not_a_directory');
    expect(result.rootMessage).toContain('zero.bin');
  });

  test.skipIf(process.getuid?.() === 0)('an unreadable root, and an unreadable directory inside (a problem, the walk goes on)', async () => {
    const locked = join(base, 'locked-root');
    fs.mkdirSync(join(locked, 'inner'), { recursive: true });
    fs.writeFileSync(join(locked, 'inner', 'x'), 'x');
    fs.writeFileSync(join(locked, 'ok.txt'), 'ok');
    fs.chmodSync(join(locked, 'inner'), 0o000);
    try {
      const result = await scanRoot(nodeFs, locked, { rules: rules() });
      expect(kinds(result.entries)).toEqual({ inner: 'problem:EACCES', 'ok.txt': 'file' });
      fs.chmodSync(locked, 0o000);
      expect((await scanRoot(nodeFs, locked, { rules: rules() })).root).toBe('unreadable');
    } finally {
      fs.chmodSync(locked, 0o755);
      fs.chmodSync(join(locked, 'inner'), 0o755);
    }
  });
});
