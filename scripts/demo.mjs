#!/usr/bin/env node
// `npm run demo`: `conduit serve` on a working copy of the example, so that
// running it never changes a tracked file. The `notes` conduit is
// bidirectional: served in place, an edit in example/notes-desktop would be
// synced back into the committed example/notes-laptop. The first run copies
// example/ and conduits.example.json into demo/ (git-ignored); the config's
// relative paths resolve against its own folder, so the database, the API
// token file and every synced folder live in demo/. Later runs reuse it
// (`rm -rf demo` starts over). Arguments are passed to `serve` (`npm run
// demo -- --port 7421`). The CLI runs in this process, so signals reach it.
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const project = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const work = join(project, 'demo');
const config = join(work, 'conduits.example.json');
const built = join(project, 'dist', 'src', 'cli', 'main.js');

if (!existsSync(built)) {
  console.error(`demo: ${relative(project, built)} is missing: run npm install (it builds) or npm run build first`);
  process.exit(1);
}

if (!existsSync(config)) {
  const example = join(project, 'conduits.example.json');
  // Targets a serve run in place may have left under example/ are not part of the example.
  const targets = new Set(JSON.parse(readFileSync(example, 'utf8')).conduits.map((c) => resolve(project, c.target)));
  mkdirSync(work, { recursive: true });
  cpSync(join(project, 'example'), join(work, 'example'), { recursive: true, filter: (path) => !targets.has(resolve(path)) });
  cpSync(example, config);
  console.error('demo: copied example/ and conduits.example.json into demo/ (git-ignored); rm -rf demo to start over');
}

const { main } = await import(pathToFileURL(built).href);
await main([process.argv[0], join(project, 'bin', 'conduit.js'), 'serve', '--config', config, ...process.argv.slice(2)]);
