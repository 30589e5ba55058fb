import { defineConfig } from 'vitest/config';

// The reliability suite: one file at a time, real Prosody, fault injection.
// `--expose-gc` lets the soak test force a collection before each heap sample.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 120_000,
    fileParallelism: false,
    pool: 'forks',
    execArgv: ['--expose-gc'],
    // On a failing test, prints (and with AVIARY_TEST_ARTIFACTS, keeps) its servers' logs.
    setupFiles: ['test/helpers/temp-root.ts', 'test/helpers/failure-logs.ts'],
  },
});
