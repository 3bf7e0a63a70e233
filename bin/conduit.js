#!/usr/bin/env node
// The installed entry point: the compiled CLI lives in dist/ (built by `npm run build`, run on `prepare`).
import('../dist/src/cli/main.js').then((m) => m.main(process.argv)).catch((err) => {
  process.stderr.write(`conduit: ${err && err.message ? err.message : String(err)}\n`);
  process.exitCode = 1;
});
