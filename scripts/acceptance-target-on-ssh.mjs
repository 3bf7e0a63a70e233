#!/usr/bin/env node
// The command under test in `acceptance.mjs --target-on-ssh` (the runner's
// CONDUIT_CMD): this checkout's CLI, with the target of `add` given as
// `ssh://127.0.0.1:<port><the same absolute path>`. The far host is loopback,
// so the runner's own checks still read the target folder at its local path,
// while conduit reaches it only through ssh and the agent (issue 10: "the
// acceptance scenarios run once more with the target on ssh").
import { spawnSync } from 'node:child_process';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = process.env.CONDUIT_ACCEPTANCE_TARGET_PREFIX;
if (!prefix || !/^ssh:\/\/[^/]+$/.test(prefix)) {
  console.error(`acceptance-target-on-ssh: CONDUIT_ACCEPTANCE_TARGET_PREFIX must be ssh://host:port, got ${JSON.stringify(prefix)}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const command = args.findIndex((a, i) => !a.startsWith('-') && args[i - 1] !== '--db');
if (args[command] === 'add') {
  const at = args.indexOf('--target', command);
  if (at < 0 || args[at + 1] === undefined || !isAbsolute(args[at + 1])) {
    console.error(`acceptance-target-on-ssh: add without an absolute --target: ${JSON.stringify(args)}`);
    process.exit(2);
  }
  args[at + 1] = `${prefix}${args[at + 1]}`;
}

const result = spawnSync(process.execPath, [join(project, 'bin/conduit.js'), ...args], { stdio: 'inherit' });
if (result.signal) process.kill(process.pid, result.signal);
process.exit(result.status ?? 1);
