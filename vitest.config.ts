import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration and e2e tests spawn the real CLI and touch the real disk; two cores here.
    pool: 'forks',
    // Two files at a time: most of the suite waits on child processes (the CLI, sshd, the agent, chromium), so
    // two workers on two cores halve the wall time (756 s → 378 s measured) where the default of one would not.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
