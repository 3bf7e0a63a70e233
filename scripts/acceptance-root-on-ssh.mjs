#!/usr/bin/env node
// The command under test in `acceptance.mjs --target-on-ssh` / `--source-on-ssh`
// (the runner's CONDUIT_CMD): this checkout's CLI, with that root of `add`
// given as `ssh://127.0.0.1:<port><the same absolute path>`. The far host is
// loopback, so the runner's own checks still read the folder at its local
// path, while conduit reaches it only through ssh and the agent (issue 10:
// "the acceptance scenarios run once more with the target on ssh").
import { spawnSync } from 'node:child_process';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const prefix = process.env.CONDUIT_ACCEPTANCE_SSH_PREFIX;
const side = process.env.CONDUIT_ACCEPTANCE_ON_SSH ?? 'target';
if (!prefix || !/^ssh:\/\/[^/]+$/.test(prefix) || !['source', 'target'].includes(side)) {
  console.error(`acceptance-root-on-ssh: CONDUIT_ACCEPTANCE_SSH_PREFIX must be ssh://host:port and CONDUIT_ACCEPTANCE_ON_SSH source or target, got ${JSON.stringify(prefix)}, ${JSON.stringify(side)}`);
  process.exit(2);
}

const args = process.argv.slice(2);
const command = args.findIndex((a, i) => !a.startsWith('-') && args[i - 1] !== '--db');
if (args[command] === 'add') {
  const at = args.indexOf(`--${side}`, command);
  if (at < 0 || args[at + 1] === undefined || !isAbsolute(args[at + 1])) {
    console.error(`acceptance-root-on-ssh: add without an absolute --${side}: ${JSON.stringify(args)}`);
    process.exit(2);
  }
  args[at + 1] = `${prefix}${args[at + 1]}`;
}

const result = spawnSync(process.execPath, [join(project, 'bin/conduit.js'), ...args], { stdio: 'inherit' });
if (result.signal) process.kill(process.pid, result.signal);
process.exit(result.status ?? 1);
