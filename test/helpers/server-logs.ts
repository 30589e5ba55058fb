/**
 * Registry of the logs a failing test should show: every fixture that starts a server (Prosody,
 * ejabberd, PostgreSQL) or a runtime registers where its log lives, and unregisters when it stops.
 * The failure reporter (test/helpers/failure-logs.ts, a vitest setup file) prints the tail of each
 * registered log when a test fails and, with AVIARY_TEST_ARTIFACTS set, copies the whole logs there.
 *
 * One registry per test file: vitest runs each file in its own module graph, and the setup file
 * imports this same module, so only the failing file's servers are reported.
 *
 * @example
 * // in a fixture, right after the server started:
 * const unregister = registerServerLog('postgresql', logFile);
 * // in its stop():
 * unregister();
 */
import { readFileSync } from 'node:fs';

/** Where a log's text comes from: a file path, or a function returning the text (in-memory output). */
export type LogSource = string | (() => string | Promise<string>);

export interface RegisteredLog {
  /** Short human label, e.g. `prosody c2s:40123 log`. Unique labels make artifact names clear. */
  readonly label: string;
  readonly source: LogSource;
}

const registered = new Set<RegisteredLog>();

/**
 * Registers a log to show when a test fails; returns the function that unregisters it (call it
 * when the server stops, before its folder is removed). Registering twice is harmless.
 */
export function registerServerLog(label: string, source: LogSource): () => void {
  const entry: RegisteredLog = { label, source };
  registered.add(entry);
  return () => {
    registered.delete(entry);
  };
}

/** The logs registered now, in registration order. */
export function registeredServerLogs(): readonly RegisteredLog[] {
  return [...registered];
}

/** The whole text of a registered log; a missing or unreadable log says so instead of throwing. */
export async function readServerLog(log: RegisteredLog): Promise<string> {
  try {
    return typeof log.source === 'string' ? readFileSync(log.source, 'utf8') : await log.source();
  } catch (error) {
    return `(log unavailable: ${(error as Error).message})`;
  }
}

/** The last `lines` lines of `text`. */
export function tailLines(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
