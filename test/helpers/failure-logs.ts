/**
 * Vitest setup file of the integration project: when a test fails, prints the tail of every log
 * registered in test/helpers/server-logs.ts (the servers and runtimes of that test file) next to the
 * failure, and, when the environment names a folder in AVIARY_TEST_ARTIFACTS, copies the whole logs
 * there, one folder per failing test: `<artifacts>/<test file>/<test name>/<log label>.log`.
 *
 * Environment:
 * - AVIARY_TEST_ARTIFACTS: folder for full logs of failing tests (`.ci/run` sets `test-artifacts`).
 * - AVIARY_TEST_LOG_LINES: lines of each log printed on failure (default 40).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { beforeEach, type TestContext } from 'vitest';
import { readServerLog, registeredServerLogs, tailLines } from './server-logs.js';

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

async function reportFailure(context: TestContext): Promise<void> {
  const logs = registeredServerLogs();
  const task = context.task;
  const texts = await Promise.all(logs.map(readServerLog));
  const lines = printedLines();
  const sections = logs.map(
    (log, i) =>
      `----- ${log.label} (last ${lines} lines) -----\n${tailLines(texts[i] ?? '', lines)}`,
  );

  const artifactsRoot = process.env.AVIARY_TEST_ARTIFACTS;
  let savedIn: string | undefined;
  if (artifactsRoot !== undefined && artifactsRoot !== '') {
    savedIn = join(
      artifactsRoot,
      slug(relative(process.cwd(), task.file.filepath)),
      slug(task.fullTestName ?? task.name),
    );
    mkdirSync(savedIn, { recursive: true });
    const errors = (task.result?.errors ?? [])
      .map((e) => e.stack ?? e.message ?? String(e))
      .join('\n\n');
    writeFileSync(join(savedIn, 'failure.txt'), `${task.fullName}\n\n${errors}\n`);
    logs.forEach((log, i) => {
      writeFileSync(join(savedIn as string, `${slug(log.label)}.log`), texts[i] ?? '');
    });
  }

  const header =
    logs.length === 0
      ? `===== FAILED: ${task.fullName} — no server or runtime log registered =====`
      : `===== FAILED: ${task.fullName} — logs of its servers and runtimes =====`;
  const footer = savedIn === undefined ? '' : `\n===== full logs saved in ${savedIn} =====`;
  console.error(`${header}\n${sections.join('\n')}${footer}`);
}

beforeEach((context) => {
  context.onTestFailed(() => reportFailure(context));
});
