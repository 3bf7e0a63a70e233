import { describe, expect, test } from 'vitest';
import type { Entry, Snapshot } from '../../src/core/entry.js';
import { buildRules, type RuleSources } from '../../src/engine/filters.js';
import { scanRoot, type ScanResult } from '../../src/engine/scan.js';
import { walk } from '../../src/engine/scan/walk.js';
import { FaultyFileSystem } from '../../src/fs/faulty-file-system.js';
import { MemoryFileSystem } from '../../src/fs/memory-file-system.js';

const ROOT = '/r';
/** The scanning conduit's temp token, and another conduit's. */
const TOKEN = '0123456789ab';
const OTHER = 'fedcba987654';

/** A memory tree under /r: a string is a file's content, `null` a directory, `{ symlink }` a link. */
async function tree(spec: Record<string, string | null | { symlink: string }>): Promise<MemoryFileSystem> {
  const fs = new MemoryFileSystem();
  fs.mkdirp(ROOT);
  for (const [rel, value] of Object.entries(spec)) {
    const path = `${ROOT}/${rel}`;
    if (value === null) {
      fs.mkdirp(path);
      continue;
    }
    fs.mkdirp(path.slice(0, path.lastIndexOf('/')));
    if (typeof value === 'string') fs.writeFile(path, value);
    else await fs.symlink(value.symlink, path);
  }
  return fs;
}

function kinds(entries: Snapshot): Record<string, string> {
  return Object.fromEntries([...entries].map(([p, e]) => [p, e.kind === 'problem' ? `problem:${e.code}` : e.kind]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
}

function scan(fs: MemoryFileSystem | FaultyFileSystem, rules: RuleSources = {}, onlyPaths?: string[]): ScanResult {
  return walk(fs, ROOT, onlyPaths === undefined ? { rules: buildRules(rules), tempToken: TOKEN } : { rules: buildRules(rules), onlyPaths, tempToken: TOKEN });
}

describe('walk: what a full scan reports', () => {
  test('every file, directory (empty ones too) and link, by relative POSIX path; the root is not an entry', async () => {
    const fs = await tree({ 'a/b/c.txt': 'c', 'a/empty': null, '.dot': 'x', 'zero': '', 'ln': { symlink: '../outside' } });
    const result = scan(fs);
    expect(result.root).toBe('ok');
    expect(kinds(result.entries)).toEqual({ '.dot': 'file', a: 'dir', 'a/b': 'dir', 'a/b/c.txt': 'file', 'a/empty': 'dir', ln: 'symlink', zero: 'file' });
    expect(result.entries.get('ln')).toMatchObject({ kind: 'symlink', linkTarget: '../outside' });
    expect(result.entries.get('zero')).toMatchObject({ kind: 'file', size: 0 });
    expect(result.visited).toBe(7);
  });

  test('an unreadable directory becomes a problem entry (its subtree unknown) and the walk goes on', async () => {
    const fs = new FaultyFileSystem(await tree({ 'locked/secret.txt': 's', 'open/a.txt': 'a', 'z.txt': 'z' }));
    fs.failOn('readdirSync', `${ROOT}/locked`, 'EACCES');
    const result = scan(fs);
    expect(kinds(result.entries)).toEqual({ locked: 'problem:EACCES', open: 'dir', 'open/a.txt': 'file', 'z.txt': 'file' });
    expect(result.entries.get('locked')).toMatchObject({ kind: 'problem', code: 'EACCES' });
  });

  test('an unstat-able file becomes a problem entry and the walk goes on', async () => {
    const fs = new FaultyFileSystem(await tree({ 'a/bad.txt': 'x', 'a/good.txt': 'y' }));
    fs.failOn('lstatSync', `${ROOT}/a/bad.txt`, 'EACCES');
    expect(kinds(scan(fs).entries)).toEqual({ a: 'dir', 'a/bad.txt': 'problem:EACCES', 'a/good.txt': 'file' });
  });

  test('a name that vanished between readdir and lstat is a problem, not a deletion', async () => {
    const fs = new FaultyFileSystem(await tree({ 'gone.txt': 'x' }));
    fs.failOn('lstatSync', `${ROOT}/gone.txt`, 'ENOENT');
    expect(kinds(scan(fs).entries)).toEqual({ 'gone.txt': 'problem:ENOENT' });
  });

  test('sockets, FIFOs and devices come back as unsupported problems', async () => {
    const fs = await tree({ 'a.txt': 'a' });
    fs.mkspecial(`${ROOT}/pipe`, 'FIFO');
    expect(kinds(scan(fs).entries)).toEqual({ 'a.txt': 'file', pipe: 'problem:unsupported' });
  });

  test('this conduit\'s temporaries are stale temps, another\'s are skipped, neither is an entry, even with index rules off', async () => {
    const fs = await tree({
      [`a/.x.txt.conduit-tmp-${TOKEN}-1a2b`]: 'partial', [`.y.conduit-tmp-${TOKEN}-9`]: 'p', 'a/x.txt': 'x',
      [`a/.z.conduit-tmp-${OTHER}-1`]: 'another conduit\'s copy in flight',
    });
    for (const useIndexRules of [true, false]) {
      const result = scan(fs, { useIndexRules });
      expect([...result.staleTemps].sort()).toEqual([`.y.conduit-tmp-${TOKEN}-9`, `a/.x.txt.conduit-tmp-${TOKEN}-1a2b`]);
      expect(kinds(result.entries)).toEqual({ a: 'dir', 'a/x.txt': 'file' });
    }
  });

  test('a name like a temporary but without a conduit token is a user\'s file', async () => {
    const fs = await tree({ '.thesis.conduit-tmp-final': 't', 'sub/.x.conduit-tmp-v2': 'x', [`.a.conduit-tmp-${TOKEN}`]: 'no random part' });
    const result = scan(fs);
    expect(result.staleTemps).toEqual([]);
    expect(kinds(result.entries)).toEqual({ [`.a.conduit-tmp-${TOKEN}`]: 'file', '.thesis.conduit-tmp-final': 'file', sub: 'dir', 'sub/.x.conduit-tmp-v2': 'file' });
  });

  test('only temporaries whose final name is in scope are stale: excluded or unselected ones are left alone', async () => {
    const fs = await tree({
      'docs/a.md': 'a', [`docs/.a.md.conduit-tmp-${TOKEN}-1`]: 'in scope', [`docs/.a.bak.conduit-tmp-${TOKEN}-2`]: 'excluded',
      [`.top.md.conduit-tmp-${TOKEN}-3`]: 'not selected',
    });
    expect(scan(fs, { include: ['docs/**'], exclude: ['*.bak'] }).staleTemps).toEqual([`docs/.a.md.conduit-tmp-${TOKEN}-1`]);
    expect(scan(fs).staleTemps.slice().sort()).toEqual([`.top.md.conduit-tmp-${TOKEN}-3`, `docs/.a.bak.conduit-tmp-${TOKEN}-2`, `docs/.a.md.conduit-tmp-${TOKEN}-1`]);
  });

  test('without a token no temporary is stale', async () => {
    const fs = await tree({ [`.y.conduit-tmp-${TOKEN}-9`]: 'p' });
    const result = walk(fs, ROOT, { rules: buildRules({}) });
    expect(result.staleTemps).toEqual([]);
    expect(kinds(result.entries)).toEqual({});
  });

  test('symlinks are never followed: a link to a directory is a leaf', async () => {
    const fs = await tree({ 'real/inside.txt': 'x', 'link': { symlink: 'real' } });
    const fake = new FaultyFileSystem(fs);
    const result = scan(fake);
    expect(kinds(result.entries)).toEqual({ link: 'symlink', real: 'dir', 'real/inside.txt': 'file' });
    expect(fake.calls.filter((c) => c.paths.some((p) => p.startsWith(`${ROOT}/link/`)))).toEqual([]);
  });

  test('a deep tree does not exhaust the call stack (the walk is iterative)', async () => {
    const deep = Array.from({ length: 1500 }, (_, i) => `d${i}`).join('/');
    const fs = await tree({ [`${deep}/leaf.txt`]: 'x' });
    const result = scan(fs);
    expect(result.entries.size).toBe(1501);
    expect(result.entries.get(`${deep}/leaf.txt`)?.kind).toBe('file');
  });
});

describe('walk: filters while walking', () => {
  test('excluded paths are invisible and excluded directories are never read', async () => {
    const fs = new FaultyFileSystem(await tree({ 'node_modules/x/i.js': 'x', 'src/a.ts': 'a', 'src/a.log': 'l', '.DS_Store': 'm' }));
    const result = scan(fs, { exclude: ['node_modules/', '*.log'] });
    expect(kinds(result.entries)).toEqual({ src: 'dir', 'src/a.ts': 'file' });
    expect(fs.calls.filter((c) => c.op === 'readdirSync').map((c) => c.paths[0])).not.toContain(`${ROOT}/node_modules`);
  });

  test('leading directories are reported only when something below them is; pruned ones are never read', async () => {
    const fs = new FaultyFileSystem(
      await tree({ 'docs/a.md': 'a', 'docs/empty': null, 'docs/sub/b.md': 'b', 'src/x.ts': 'x', 'other/deep/y.txt': 'y' }),
    );
    const result = scan(fs, { include: ['docs/**'] });
    expect(kinds(result.entries)).toEqual({ docs: 'dir', 'docs/a.md': 'file', 'docs/empty': 'dir', 'docs/sub': 'dir', 'docs/sub/b.md': 'file' });
    const read = fs.calls.filter((c) => c.op === 'readdirSync').map((c) => c.paths[0]);
    expect(read).not.toContain(`${ROOT}/src`);
    expect(read).not.toContain(`${ROOT}/other`);
  });

  test('an include by extension reports its files with their parents, and no leading directory that holds none', async () => {
    const fs = await tree({ 'a/b/r.pdf': 'p', 'a/b/r.txt': 't', 'c/d/e.txt': 'e', 'f.pdf': 'f' });
    expect(kinds(scan(fs, { include: ['*.pdf'] }).entries)).toEqual({ a: 'dir', 'a/b': 'dir', 'a/b/r.pdf': 'file', 'f.pdf': 'file' });
  });

  test('a leading directory whose docs are all excluded is not reported', async () => {
    const fs = await tree({ 'docs/private/x.md': 'x', 'docs/a.md': 'a' });
    const result = scan(fs, { include: ['docs/**'], exclude: ['docs/private/'] });
    expect(kinds(result.entries)).toEqual({ docs: 'dir', 'docs/a.md': 'file' });
  });

  test('an unreadable leading directory is reported as a problem (its contents may be selected), with its parents', async () => {
    const fs = new FaultyFileSystem(await tree({ 'x/y/r.pdf': 'p' }));
    fs.failOn('readdirSync', `${ROOT}/x/y`, 'EACCES');
    expect(kinds(scan(fs, { include: ['*.pdf'] }).entries)).toEqual({ x: 'dir', 'x/y': 'problem:EACCES' });
  });
});

describe('walk: the root', () => {
  test('a missing root', () => {
    const fs = new MemoryFileSystem();
    const result = walk(fs, '/nope', { rules: buildRules({}) });
    expect(result).toMatchObject({ root: 'missing', staleTemps: [], visited: 0 });
    expect(result.entries.size).toBe(0);
    expect(result.rootMessage).toContain('/nope');
  });

  test('a root that is a file', () => {
    const fs = new MemoryFileSystem();
    fs.writeFile('/f', 'x');
    expect(walk(fs, '/f', { rules: buildRules({}) })).toMatchObject({ root: 'not_a_directory' });
  });

  test('an unreadable root', async () => {
    const fs = new FaultyFileSystem(await tree({ 'a.txt': 'a' }));
    fs.failOn('readdirSync', ROOT, 'EACCES');
    const result = scan(fs);
    expect(result).toMatchObject({ root: 'unreadable' });
    expect(result.rootMessage).toContain('EACCES');
  });

  test('a root given with a trailing slash gives the same relative paths', async () => {
    const fs = await tree({ 'a/b.txt': 'b' });
    expect(kinds(walk(fs, `${ROOT}/`, { rules: buildRules({}) }).entries)).toEqual({ a: 'dir', 'a/b.txt': 'file' });
  });
});

describe('walk: onlyPaths (the watcher fast path)', () => {
  const spec = { 'a/b/c.txt': 'c', 'a/b/d.txt': 'd', 'a/x/y.txt': 'y', 'big/1.txt': '1', 'big/2.txt': '2', 'top.txt': 't' };

  test('scans just those paths plus their ancestors', async () => {
    const fs = new FaultyFileSystem(await tree(spec));
    const result = scan(fs, {}, ['a/b/c.txt', 'top.txt']);
    expect(kinds(result.entries)).toEqual({ a: 'dir', 'a/b': 'dir', 'a/b/c.txt': 'file', 'top.txt': 'file' });
    expect(fs.calls.filter((c) => c.op === 'readdirSync')).toEqual([]); // nothing else was listed
  });

  test('a directory among them is walked as a subtree', async () => {
    const fs = await tree(spec);
    expect(kinds(scan(fs, {}, ['a/b']).entries)).toEqual({ a: 'dir', 'a/b': 'dir', 'a/b/c.txt': 'file', 'a/b/d.txt': 'file' });
  });

  test('paths that no longer exist are simply absent (their ancestors are reported as what they are now)', async () => {
    const fs = await tree(spec);
    expect(kinds(scan(fs, {}, ['a/b/gone.txt', 'nope/deeper/x']).entries)).toEqual({ a: 'dir', 'a/b': 'dir' });
    expect(kinds(scan(fs, {}, ['top.txt/was-a-dir']).entries)).toEqual({ 'top.txt': 'file' });
  });

  test('overlapping paths are scanned once', async () => {
    const fs = new FaultyFileSystem(await tree(spec));
    const result = scan(fs, {}, ['a', 'a/b/c.txt', 'a/b', 'a']);
    expect(Object.keys(kinds(result.entries))).toEqual(['a', 'a/b', 'a/b/c.txt', 'a/b/d.txt', 'a/x', 'a/x/y.txt']);
    expect(fs.calls.filter((c) => c.op === 'readdirSync').map((c) => c.paths[0]).sort()).toEqual([`${ROOT}/a`, `${ROOT}/a/b`, `${ROOT}/a/x`]);
  });

  test('the filters apply as in a full walk', async () => {
    const fs = await tree({ ...spec, 'node_modules/m/i.js': 'i', 'docs/a.md': 'a' });
    expect(kinds(scan(fs, { exclude: ['node_modules/'] }, ['node_modules/m/i.js', 'top.txt']).entries)).toEqual({ 'top.txt': 'file' });
    expect(kinds(scan(fs, { include: ['docs/**'] }, ['docs/a.md', 'top.txt']).entries)).toEqual({ docs: 'dir', 'docs/a.md': 'file' });
  });

  test('a path below what is now a symlink is not looked up through the link', async () => {
    const fs = new FaultyFileSystem(await tree({ 'real/f.txt': 'f', link: { symlink: 'real' } }));
    const result = scan(fs, {}, ['link/f.txt']);
    expect(kinds(result.entries)).toEqual({ link: 'symlink' });
    expect(fs.calls.some((c) => c.paths.includes(`${ROOT}/link/f.txt`))).toBe(false);
  });

  test('agrees with the full walk on every path it reports', async () => {
    const fs = await tree({ ...spec, [`a/.t.conduit-tmp-${TOKEN}-1`]: 'x' });
    const full = scan(fs).entries;
    const some = scan(fs, {}, ['a', 'big/2.txt']);
    for (const [path, entry] of some.entries) expect(entry).toEqual(full.get(path));
    expect(some.staleTemps).toEqual([`a/.t.conduit-tmp-${TOKEN}-1`]);
  });

  test('rejects a path that is not a clean relative path', async () => {
    const fs = await tree(spec);
    for (const bad of ['', '/abs', 'a/../b', './a', 'a/']) expect(() => scan(fs, {}, [bad])).toThrow(/onlyPaths/);
  });
});

test('scanRoot walks any FileSystem other than the real disk inline', async () => {
  const fs = await tree({ 'a.txt': 'a' });
  const result = await scanRoot(fs, ROOT, { rules: buildRules({}) });
  const entry: Entry | undefined = result.entries.get('a.txt');
  expect(entry?.kind).toBe('file');
});
