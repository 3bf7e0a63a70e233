#!/usr/bin/env node
// The installed entry point: the compiled CLI lives in dist/ (built by `npm run build`, run on `prepare`).
// A plain `conduit agent` (what a client's ssh starts on the far host) skips the CLI's parser and
// starts the agent at once: the client waits for its greeting. `conduit agent --help` and the rest go through main.
const agent = process.argv.length === 3 && process.argv[2] === 'agent';
const started = agent
  ? import('../dist/src/cli/commands/agent.js').then((m) => m.run())
  : import('../dist/src/cli/main.js').then((m) => m.main(process.argv));
started.catch((err) => {
  process.stderr.write(`conduit: ${err && err.message ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
