import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration and e2e tests spawn the real CLI and touch the real disk; two cores here.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
