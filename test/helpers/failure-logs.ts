/**
 * Vitest setup file of the integration projects: when a test fails, prints the tail of every log
 * registered in test/helpers/server-logs.ts (the servers and runtimes of that test file) next to the
 * failure, and, when the environment names a folder in AVIARY_TEST_ARTIFACTS, copies the logs
 * there, one folder per failing test: `<artifacts>/<test file>/<test name>/<log label>.log`.
 * A failed beforeAll/afterAll hook is reported the same way (folder `hooks`), with the last lines
 * of the servers stopped meanwhile.
 *
 * Environment:
 * - AVIARY_TEST_ARTIFACTS: folder for full logs of failing tests (`.ci/run` sets `test-artifacts`).
 * - AVIARY_TEST_LOG_LINES: lines of each log printed on failure (default 40).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeEach, type RunnerTestFile as File, type TestError } from 'vitest';
import { hookErrors } from './hook-errors.js';
import {
  type RegisteredLog,
  readServerLog,
  registeredServerLogs,
  stoppedServerLogs,
  tailLines,
} from './server-logs.js';

const DEFAULT_LINES = 40;

/** A file-name-safe form of `text` (letters, digits, `.`, `-`; at most 80 characters). */
function slug(text: string): string {
  return (
    text
      .replace(/[^a-zA-Z0-9.-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80) || 'unnamed'
  );
}

function printedLines(): number {
  const value = Number(process.env.AVIARY_TEST_LOG_LINES);
  return Number.isInteger(value) && value > 0 ? value : DEFAULT_LINES;
}

interface Failure {
  /** What failed, e.g. `test/x.test.ts > suite > test`. */
  readonly title: string;
  /** The artifact folder below AVIARY_TEST_ARTIFACTS: test file, then test (or `hooks`). */
  readonly folder: readonly string[];
  readonly errors: readonly TestError[];
  readonly logs: readonly RegisteredLog[];
}

async function report(failure: Failure): Promise<void> {
  const { logs } = failure;
  const texts = await Promise.all(logs.map(readServerLog));
  const lines = printedLines();
  const sections = logs.map(
    (log, i) =>
      `----- ${log.label} (last ${lines} lines) -----\n${tailLines(texts[i] ?? '', lines)}`,
  );

  const artifactsRoot = process.env.AVIARY_TEST_ARTIFACTS;
  let savedIn: string | undefined;
  if (artifactsRoot !== undefined && artifactsRoot !== '') {
    const dir = join(artifactsRoot, ...failure.folder.map(slug));
    savedIn = dir;
    mkdirSync(dir, { recursive: true });
    const errors = failure.errors.map((e) => e.stack ?? e.message ?? String(e)).join('\n\n');
    writeFileSync(join(dir, 'failure.txt'), `${failure.title}\n\n${errors}\n`);
    logs.forEach((log, i) => {
      writeFileSync(join(dir, `${slug(log.label)}.log`), texts[i] ?? '');
    });
  }

  const header =
    logs.length === 0
      ? `===== FAILED: ${failure.title} — no server or runtime log registered =====`
      : `===== FAILED: ${failure.title} — logs of its servers and runtimes =====`;
  const footer = savedIn === undefined ? '' : `\n===== full logs saved in ${savedIn} =====`;
  console.error(`${header}\n${sections.join('\n')}${footer}`);
}

const relativeFile = (file: File) => relative(process.cwd(), file.filepath);

// A failing test: the logs of the servers running now, and of those that stopped during the
// test (a cluster node the test stopped: its last lines say what it did while stopping).
beforeEach((context) => {
  const stoppedBefore = stoppedServerLogs().length;
  context.onTestFailed(() => {
    const task = context.task;
    return report({
      title: task.fullName,
      folder: [relativeFile(task.file), task.fullTestName ?? task.name],
      errors: task.result?.errors ?? [],
      logs: [...registeredServerLogs(), ...stoppedServerLogs().slice(stoppedBefore)],
    });
  });
});

// A failed beforeAll/afterAll (servers that would not start, profiles that never came online):
// this hook runs after the file's own afterAll hooks stopped the servers, so it also shows the
// last lines those servers logged.
// biome-ignore lint/correctness/noEmptyPattern: vitest requires a destructured first argument.
afterAll(async ({}, suite) => {
  const errors = hookErrors(suite);
  if (errors.length === 0) return;
  const file = 'file' in suite ? suite.file : suite;
  await report({
    title: `${relativeFile(file)} (a beforeAll/afterAll hook)`,
    folder: [relativeFile(file), 'hooks'],
    errors,
    logs: [...registeredServerLogs(), ...stoppedServerLogs()],
  });
});
