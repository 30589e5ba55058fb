import { defineConfig } from 'vitest/config';

// Unit tests live beside their modules (src/**/*.test.ts) and use in-process fakes; they share
// worker processes (no per-file isolation: nothing in them mocks modules or patches globals, and
// a fresh process per file cost more than the tests themselves).
//
// Integration tests live under test/ and start real servers (Prosody, ejabberd, PostgreSQL)
// themselves, each on its own free ports and in its own temporary folder, so two can run at once
// on the two-core machines. The files below bound something by the machine's pace (leases of a few
// seconds, login rates, racing processes, bursts against a bounded mailbox, kill -9 at a chosen
// moment, a terminal's foreground process group): they run afterwards, one at a time, with the
// machine to themselves.
const serialIntegration = [
  'test/cluster/**/*.test.ts',
  'test/loadtest/**/*.test.ts',
  'test/cli/run-lock.test.ts',
  'test/cli/terminal-prompts.test.ts',
  'test/cli/log-format.test.ts',
  'test/xmpp/stream-management*.test.ts',
  'test/storage/*kill9*.test.ts',
  'test/storage/postgres-runtime-restart.test.ts',
  'test/entities/server-restart.test.ts',
  'test/entities/burst-after-connect.test.ts',
  'test/entities/lifecycle-races.test.ts',
];

// Shared by both integration projects.
const integration = {
  testTimeout: 120_000,
  hookTimeout: 120_000,
  // On a failing test, prints (and with AVIARY_TEST_ARTIFACTS, keeps) its servers' logs.
  setupFiles: ['test/helpers/temp-root.ts', 'test/helpers/failure-logs.ts'],
};

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'migrations/**/*.test.ts'],
          testTimeout: 20_000,
          isolate: false,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
          // Each test file's temporary folders under one root, removed when the file passed.
          setupFiles: ['test/helpers/temp-root.ts'],
        },
      },
      {
        test: {
          ...integration,
          name: 'integration',
          include: ['test/**/*.test.ts'],
          exclude: ['test/reliability/**', ...serialIntegration],
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          ...integration,
          name: 'integration-serial',
          include: serialIntegration,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
