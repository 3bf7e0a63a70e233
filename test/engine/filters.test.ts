import { describe, expect, test } from 'vitest';
import {
  BUILTIN_IGNORES,
  buildRules,
  compileFilter,
  isConduitTempName,
  parseTempName,
  pathPattern,
  usesFastRuleTest,
  type RuleSources,
} from '../../src/engine/filters.js';

type Kind = 'file' | 'dir';

/** One row: with these rule sources, is `path` (a file or a directory) in scope for its own sake? */
interface Row {
  readonly what: string;
  readonly rules: RuleSources;
  readonly path: string;
  readonly kind: Kind;
  readonly inScope: boolean;
}

const docs: RuleSources = { include: ['docs/**'] };
const pdf: RuleSources = { include: ['*.pdf'] };
const reports: RuleSources = { include: ['reports/**', '*.pdf'] };

const rows: Row[] = [
  // no rules at all
  { what: 'no rules: a file is in scope', rules: { useIndexRules: false }, path: 'a/b.txt', kind: 'file', inScope: true },
  { what: 'no rules: a directory is in scope', rules: { useIndexRules: false }, path: 'a', kind: 'dir', inScope: true },

  // include a subtree
  { what: 'docs/**: a file under docs', rules: docs, path: 'docs/guide.md', kind: 'file', inScope: true },
  { what: 'docs/**: a deep file under docs', rules: docs, path: 'docs/a/b/c.md', kind: 'file', inScope: true },
  { what: 'docs/**: a directory under docs (reported even when empty)', rules: docs, path: 'docs/empty', kind: 'dir', inScope: true },
  { what: 'docs/**: docs itself is only a leading directory', rules: docs, path: 'docs', kind: 'dir', inScope: false },
  { what: 'docs/**: a file outside docs', rules: docs, path: 'src/x.ts', kind: 'file', inScope: false },
  { what: 'docs/**: a top-level file named like the directory', rules: docs, path: 'docs.md', kind: 'file', inScope: false },
  { what: 'docs/**: is anchored, so a nested docs is out', rules: docs, path: 'a/docs/x.md', kind: 'file', inScope: false },
  { what: 'docs/ (dir pattern): docs itself is in scope', rules: { include: ['docs/'] }, path: 'docs', kind: 'dir', inScope: true },
  { what: 'docs/ (dir pattern): everything below docs', rules: { include: ['docs/'] }, path: 'docs/a/b.md', kind: 'file', inScope: true },
  { what: 'docs/ (dir pattern): unanchored, so a nested docs too', rules: { include: ['docs/'] }, path: 'x/docs/b.md', kind: 'file', inScope: true },
  { what: 'docs/ (dir pattern): a file named docs is not a directory', rules: { include: ['docs/'] }, path: 'docs', kind: 'file', inScope: false },
  { what: '/docs/ (anchored): a nested docs is out', rules: { include: ['/docs/'] }, path: 'x/docs/b.md', kind: 'file', inScope: false },

  // include by extension
  { what: '*.pdf: a pdf at the top', rules: pdf, path: 'a.pdf', kind: 'file', inScope: true },
  { what: '*.pdf: a pdf at any depth', rules: pdf, path: 'x/y/z/a.pdf', kind: 'file', inScope: true },
  { what: '*.pdf: another extension', rules: pdf, path: 'x/a.txt', kind: 'file', inScope: false },
  { what: '*.pdf: a directory is only leading', rules: pdf, path: 'x', kind: 'dir', inScope: false },
  { what: '*.pdf: case-sensitive, like git and rsync', rules: pdf, path: 'A.PDF', kind: 'file', inScope: false },
  { what: '*.conf: a conf file deep down', rules: { include: ['*.conf'] }, path: 'etc/nginx/nginx.conf', kind: 'file', inScope: true },
  { what: '*.conf: a .conf.bak is not a conf', rules: { include: ['*.conf'] }, path: 'etc/nginx.conf.bak', kind: 'file', inScope: false },

  // SPEC §10: reports/** + *.pdf
  { what: 'reports/** + *.pdf: a report', rules: reports, path: 'reports/2026/q1.xlsx', kind: 'file', inScope: true },
  { what: 'reports/** + *.pdf: a pdf elsewhere', rules: reports, path: 'misc/scan.pdf', kind: 'file', inScope: true },
  { what: 'reports/** + *.pdf: anything else', rules: reports, path: 'misc/scan.png', kind: 'file', inScope: false },

  // anchored vs unanchored
  { what: '/build (anchored): the top-level build', rules: { exclude: ['/build'] }, path: 'build/out.js', kind: 'file', inScope: false },
  { what: '/build (anchored): a nested build stays', rules: { exclude: ['/build'] }, path: 'pkg/build/out.js', kind: 'file', inScope: true },
  { what: 'build (unanchored): a nested build goes too', rules: { exclude: ['build'] }, path: 'pkg/build/out.js', kind: 'file', inScope: false },
  { what: 'a/*.tmp (inner slash anchors): directly in a', rules: { exclude: ['a/*.tmp'] }, path: 'a/x.tmp', kind: 'file', inScope: false },
  { what: 'a/*.tmp (inner slash anchors): not deeper', rules: { exclude: ['a/*.tmp'] }, path: 'a/b/x.tmp', kind: 'file', inScope: true },
  { what: 'a/*.tmp (inner slash anchors): not in a nested a', rules: { exclude: ['a/*.tmp'] }, path: 'b/a/x.tmp', kind: 'file', inScope: true },
  { what: '**/cache: at any depth', rules: { exclude: ['**/cache'] }, path: 'x/y/cache', kind: 'dir', inScope: false },

  // negation
  { what: 'exclude *.log, !keep.log: a log', rules: { exclude: ['*.log', '!keep.log'] }, path: 'x/a.log', kind: 'file', inScope: false },
  { what: 'exclude *.log, !keep.log: the kept one', rules: { exclude: ['*.log', '!keep.log'] }, path: 'x/keep.log', kind: 'file', inScope: true },
  { what: 'exclude logs/, !logs/keep.log: no re-include below an excluded dir (git)', rules: { exclude: ['logs/', '!logs/keep.log'] }, path: 'logs/keep.log', kind: 'file', inScope: false },
  { what: 'include docs/**, !docs/*.tmp: un-selected', rules: { include: ['docs/**', '!docs/*.tmp'] }, path: 'docs/x.tmp', kind: 'file', inScope: false },
  { what: 'include docs/**, !docs/*.tmp: the rest stays', rules: { include: ['docs/**', '!docs/*.tmp'] }, path: 'docs/x.md', kind: 'file', inScope: true },

  // exclude wins over include
  { what: 'include docs/**, exclude *.bak: a bak under docs', rules: { include: ['docs/**'], exclude: ['*.bak'] }, path: 'docs/a.bak', kind: 'file', inScope: false },
  { what: 'include docs/**, exclude docs/private/: the private dir', rules: { include: ['docs/**'], exclude: ['docs/private/'] }, path: 'docs/private', kind: 'dir', inScope: false },
  { what: 'include docs/**, exclude docs/private/: a file in it', rules: { include: ['docs/**'], exclude: ['docs/private/'] }, path: 'docs/private/x.md', kind: 'file', inScope: false },
  { what: 'include *.pdf, exclude *.pdf: exclude wins', rules: { include: ['*.pdf'], exclude: ['*.pdf'] }, path: 'a.pdf', kind: 'file', inScope: false },

  // directory-only patterns
  { what: 'node_modules/: the directory', rules: { exclude: ['node_modules/'] }, path: 'node_modules', kind: 'dir', inScope: false },
  { what: 'node_modules/: a nested one', rules: { exclude: ['node_modules/'] }, path: 'pkg/node_modules', kind: 'dir', inScope: false },
  { what: 'node_modules/: files below it', rules: { exclude: ['node_modules/'] }, path: 'pkg/node_modules/x/index.js', kind: 'file', inScope: false },
  { what: 'node_modules/: a FILE named node_modules stays', rules: { exclude: ['node_modules/'] }, path: 'node_modules', kind: 'file', inScope: true },

  // built-in index rules
  { what: 'built-ins: .DS_Store anywhere', rules: {}, path: 'photos/.DS_Store', kind: 'file', inScope: false },
  { what: 'built-ins: Thumbs.db', rules: {}, path: 'Thumbs.db', kind: 'file', inScope: false },
  { what: 'built-ins: desktop.ini', rules: {}, path: 'a/desktop.ini', kind: 'file', inScope: false },
  { what: 'built-ins: a temporary', rules: {}, path: 'a/.report.pdf.conduit-tmp-0123456789ab-1f3a', kind: 'file', inScope: false },
  { what: 'built-ins: a user file named like a temporary', rules: {}, path: 'a/.thesis.conduit-tmp-final', kind: 'file', inScope: true },
  { what: 'built-ins: an ordinary dotfile stays', rules: {}, path: '.bashrc', kind: 'file', inScope: true },
  { what: 'built-ins off: .DS_Store is synced', rules: { useIndexRules: false }, path: '.DS_Store', kind: 'file', inScope: true },
  { what: 'built-ins win over include', rules: { include: ['docs/**'] }, path: 'docs/.DS_Store', kind: 'file', inScope: false },

  // .conduitignore
  { what: '.conduitignore: a listed pattern', rules: { conduitIgnoreText: ['# comment\n*.iso\n\nvm/\n'] }, path: 'big/disk.iso', kind: 'file', inScope: false },
  { what: '.conduitignore: a listed dir', rules: { conduitIgnoreText: ['*.iso\r\nvm/\r\n'] }, path: 'vm', kind: 'dir', inScope: false },
  { what: '.conduitignore: both roots count', rules: { conduitIgnoreText: ['*.iso\n', '*.vmdk\n'] }, path: 'x.vmdk', kind: 'file', inScope: false },
  { what: '.conduitignore: a negation in it', rules: { conduitIgnoreText: ['*.iso\n!keep.iso\n'] }, path: 'keep.iso', kind: 'file', inScope: true },
  { what: '.conduitignore: unlisted stays', rules: { conduitIgnoreText: ['*.iso\n'] }, path: 'x.txt', kind: 'file', inScope: true },
  { what: '.conduitignore: ignored with index rules off', rules: { useIndexRules: false, conduitIgnoreText: ['*.iso\n'] }, path: 'x.iso', kind: 'file', inScope: true },

  // extra excludes (versioning directory)
  { what: 'extraExcludes: the versioning dir', rules: { extraExcludes: [pathPattern('.conduit-versions')] }, path: '.conduit-versions', kind: 'dir', inScope: false },
  { what: 'extraExcludes: cannot be re-included by a user negation', rules: { exclude: ['!.conduit-versions'], extraExcludes: [pathPattern('.conduit-versions')] }, path: '.conduit-versions/a.txt.20260101', kind: 'file', inScope: false },
  { what: 'extraExcludes: anchored, a nested one is user data', rules: { extraExcludes: [pathPattern('.conduit-versions')] }, path: 'x/.conduit-versions', kind: 'dir', inScope: true },
  { what: 'pathPattern escapes globs', rules: { extraExcludes: [pathPattern('v[1]*')] }, path: 'v1x', kind: 'dir', inScope: true },
  { what: 'pathPattern matches its literal path', rules: { extraExcludes: [pathPattern('v[1]*')] }, path: 'v[1]*', kind: 'dir', inScope: false },
];

describe('filters: (rules, path, kind) → in scope', () => {
  test.each(rows)('$what', ({ rules, path, kind, inScope }) => {
    const filter = compileFilter(buildRules(rules));
    expect(kind === 'dir' ? filter.dirInScope(path) : filter.fileInScope(path)).toBe(inScope);
  });

  test.each(rows)('the walk-time answers agree with the standalone ones: $what', ({ rules, path, kind, inScope }) => {
    // What the walk computes top down with excludedHere/selectedHere must equal the standalone answer.
    const filter = compileFilter(buildRules(rules));
    const segments = path.split('/');
    let excluded = false;
    let selected = !filter.selective;
    for (let i = 1; i <= segments.length && !excluded; i++) {
      const rel = segments.slice(0, i).join('/');
      const isDir = i < segments.length || kind === 'dir';
      excluded = filter.excludedHere(rel, isDir);
      selected ||= filter.selectedHere(rel, isDir);
    }
    expect(!excluded && selected).toBe(inScope);
  });
});

describe('mayContainIncluded: which directories the walk may prune', () => {
  const cases: { rules: RuleSources; dir: string; may: boolean }[] = [
    { rules: {}, dir: 'anything', may: true },
    { rules: docs, dir: 'docs', may: true },
    { rules: docs, dir: 'docs/a/b', may: true },
    { rules: docs, dir: 'src', may: false },
    { rules: docs, dir: 'src/docs', may: false },
    { rules: { include: ['/docs/api/*.md'] }, dir: 'docs', may: true },
    { rules: { include: ['/docs/api/*.md'] }, dir: 'docs/api', may: true },
    { rules: { include: ['/docs/api/*.md'] }, dir: 'docs/guide', may: false },
    { rules: { include: ['docs/api/'] }, dir: 'other', may: false }, // inner slash: anchored
    { rules: pdf, dir: 'deep/down', may: true }, // unanchored: any depth
    { rules: { include: ['docs/'] }, dir: 'src', may: true }, // only a trailing slash: unanchored
    { rules: { include: ['**/x.md'] }, dir: 'src', may: true },
    { rules: { include: ['a/*/c'] }, dir: 'a/b', may: true }, // a glob segment: unsure, walk
    { rules: { include: ['a/*/c'] }, dir: 'z', may: false },
    { rules: reports, dir: 'misc', may: true }, // *.pdf reaches everywhere
    { rules: { include: ['reports/**', 'docs/**'] }, dir: 'misc', may: false },
    { rules: { include: ['reports/**', 'docs/**'] }, dir: 'docs', may: true },
    { rules: { include: ['docs/**', '!docs/x/**'] }, dir: 'src', may: false }, // negations never widen
    { rules: { include: [' spaced/**'] }, dir: ' spaced', may: true }, // a leading space is part of the name
    { rules: { include: [' spaced/**'] }, dir: 'spaced', may: false },
  ];
  test.each(cases)('$rules.include under $dir → $may', ({ rules, dir, may }) => {
    expect(compileFilter(buildRules(rules)).mayContainIncluded(dir)).toBe(may);
  });
});

describe('buildRules', () => {
  test('index rules hold the built-ins and the .conduitignore lines; extra excludes go last', () => {
    const rules = buildRules({ include: ['a/**'], exclude: ['*.log'], conduitIgnoreText: ['\uFEFF# c\nx\n\ny\r\n'], extraExcludes: ['/v/'] });
    expect(rules).toEqual({ include: ['a/**'], exclude: ['*.log', '/v/'], ignore: [...BUILTIN_IGNORES, 'x', 'y'] });
  });

  test('rules are plain data (they cross to the scan worker)', () => {
    const rules = buildRules({ include: ['a'], conduitIgnoreText: ['b'] });
    expect(structuredClone(rules)).toEqual(rules);
  });

  test('without index rules there are no ignores', () => {
    expect(buildRules({ useIndexRules: false, conduitIgnoreText: ['x'] }).ignore).toEqual([]);
  });
});

describe('temporaries', () => {
  test.each([
    ['.report.pdf.conduit-tmp-0123456789ab-8c1f', true],
    ['.a.conduit-tmp-abcdef012345-x', true],
    ['.a.b.conduit-tmp-x.conduit-tmp-abcdef012345-x', true], // the last marker that fits
    ['.a\nb.conduit-tmp-abcdef012345-x\ny', true], // names may hold newlines
    ['.conduit-tmp-0123456789ab-x', false], // no <name>
    ['.a.conduit-tmp-0123456789ab-', false], // no random part
    ['.a.conduit-tmp-0123456789ab', false], // no random part
    ['a.conduit-tmp-0123456789ab-x', false], // not a dotfile
    ['.a.conduit-tmp-0123456789AB-x', false], // tokens are lowercase
    ['.a.conduit-tmp-0123456789a-x', false], // 11 digits
    ['.a.conduit-tmp-0123456789abc-x', false], // 13 digits
    ['.a.conduit-tmpx', false],
    ['.thesis.conduit-tmp-final', false], // a user's file
    ['.x.conduit-tmp-v2', false],
    ['.a.conduit-tmp-x', false],
  ])('%s is a temporary: %s', (name, is) => {
    expect(isConduitTempName(name)).toBe(is);
    // The built-in ignore glob agrees with the strict shape, name for name.
    expect(compileFilter(buildRules({})).isExcluded(`d/${name}`, false), 'built-in ignore').toBe(is);
  });

  test('parseTempName gives the final name and the writing conduit\'s token', () => {
    expect(parseTempName('.report.pdf.conduit-tmp-0123456789ab-8c1f')).toEqual({ name: 'report.pdf', token: '0123456789ab' });
    expect(parseTempName('.thesis.conduit-tmp-final')).toBeNull();
  });
});

test('the walk uses ignore’s per-path rule test (guards the measured fast path against an ignore upgrade)', () => {
  expect(usesFastRuleTest).toBe(true);
});
