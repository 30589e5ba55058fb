import { defineConfig } from 'vitest/config';

// Unit tests live beside their modules (src/**/*.test.ts) and use in-process fakes.
// Integration tests live under test/ and start real servers (Prosody, ejabberd) themselves;
// they run one file at a time because the machines have two cores.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'migrations/**/*.test.ts'],
          testTimeout: 20_000,
          // Each test file's temporary folders under one root, removed when the file passed.
          setupFiles: ['test/helpers/temp-root.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/reliability/**'],
          testTimeout: 120_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          // On a failing test, prints (and with AVIARY_TEST_ARTIFACTS, keeps) its servers' logs.
          setupFiles: ['test/helpers/temp-root.ts', 'test/helpers/failure-logs.ts'],
        },
      },
    ],
  },
});
