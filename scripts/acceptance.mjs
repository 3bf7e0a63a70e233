#!/usr/bin/env node
// Runs the shared acceptance scenarios (../shared/scenarios) against this
// checkout's built CLI. CI has shared/ beside the clone; a lone clone without
// it says so and fails, rather than passing without having run anything.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const runner = process.env.CONDUIT_SCENARIOS_RUNNER ?? join(project, '..', 'shared', 'scenarios', 'run-scenarios.mjs');
if (!existsSync(runner)) {
  console.error(`acceptance: scenario runner not found at ${runner} (set CONDUIT_SCENARIOS_RUNNER)`);
  process.exit(1);
}
const result = spawnSync(process.execPath, [runner, ...process.argv.slice(2)], {
  cwd: project,
  env: { ...process.env, CONDUIT_PROJECT: project },
  stdio: 'inherit',
});
process.exit(result.status ?? 1);
