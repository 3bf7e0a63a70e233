#!/usr/bin/env node
// Counts the bytes that cross an ssh link, for the remote benchmark
// (scripts/bench-remote.mjs): used as the ssh command of both conduit
// (`sshCommand`) and rsync (`-e`), so both are measured the same way.
//
//   node scripts/ssh-byte-counter.mjs COUNT_DIR ssh [ssh options...] [args...]
//
// Runs the rest of its command line with its own stdin and stdout relayed
// through pipes, counting the bytes each way: `sent` (the client to the far
// side: what the wrapper reads on stdin) and `received` (the far side to the
// client). These are the payload bytes of the remote protocol (rsync's, or
// conduit's agent protocol), before ssh's encryption and framing. Stderr is
// passed through untouched.
//
// Each invocation (one connection) keeps COUNT_DIR/<pid>.json up to date:
// { pid, startedAt, sent, received, final }, rewritten at most every 100 ms
// while bytes flow and once more at exit with `final: true`. A kept
// connection (under `serve`) can so be read while it is open, and a
// connection killed with SIGKILL loses at most its last 100 ms.
// Signals (TERM, INT, HUP) are passed on to ssh; the wrapper exits with ssh's
// status.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Transform } from 'node:stream';

const [countDir, command, ...args] = process.argv.slice(2);
if (!countDir || !command) {
  process.stderr.write('usage: ssh-byte-counter.mjs COUNT_DIR ssh [args...]\n');
  process.exit(2);
}

const file = path.join(countDir, `${process.pid}.json`);
const startedAt = new Date().toISOString();
const counts = { sent: 0, received: 0 };
let dirty = true;

function save(final) {
  const body = JSON.stringify({ pid: process.pid, startedAt, sent: counts.sent, received: counts.received, final });
  // Write then rename: a reader never sees half a record.
  fs.writeFileSync(`${file}.tmp`, body);
  fs.renameSync(`${file}.tmp`, file);
  dirty = false;
}
save(false);
const timer = setInterval(() => {
  if (dirty) save(false);
}, 100);
timer.unref();

function counter(key) {
  return new Transform({
    transform(chunk, _encoding, callback) {
      counts[key] += chunk.length;
      dirty = true;
      callback(null, chunk);
    },
  });
}

const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'inherit'] });
// ssh gone (EPIPE) or our reader gone: the exit below reports what was counted.
child.stdin.on('error', () => undefined);
process.stdout.on('error', () => undefined);
process.stdin.pipe(counter('sent')).pipe(child.stdin);
const relayedOut = new Promise((resolve) => {
  const out = child.stdout.pipe(counter('received'));
  out.pipe(process.stdout, { end: false });
  out.once('end', resolve);
});

for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.on(signal, () => child.kill(signal));
}

child.once('error', (err) => {
  process.stderr.write(`ssh-byte-counter: ${command}: ${err.message}\n`);
  save(true);
  process.exit(255);
});

child.once('exit', async (code, signal) => {
  // Everything ssh wrote has been relayed before the count is final (its stdout ends with it).
  await Promise.race([relayedOut, new Promise((r) => setTimeout(r, 2_000))]);
  save(true);
  process.exit(code ?? 128 + ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 0));
});
