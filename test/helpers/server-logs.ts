/**
 * Registry of the logs a failing test should show: every fixture that starts a server (Prosody,
 * ejabberd, PostgreSQL) or a runtime registers where its log lives, and unregisters when it stops.
 * The failure reporter (test/helpers/failure-logs.ts, a vitest setup file) prints the tail of each
 * registered log when a test fails and, with AVIARY_TEST_ARTIFACTS set, copies the whole logs there.
 * Unregistering keeps the log's tail, for failures reported after the servers stopped (a failed
 * `beforeAll`).
 *
 * One registry per test file: vitest runs each file in its own module graph, and the setup file
 * imports this same module, so only the failing file's servers are reported.
 *
 * @example
 * // in a fixture, right after the server started:
 * const unregister = registerServerLog('postgresql', logFile);
 * // in its stop(), before the folder is removed:
 * await unregister();
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
const stopped: RegisteredLog[] = [];
/** Lines kept of a log whose server stopped. */
const STOPPED_TAIL_LINES = 1000;

/**
 * Registers a log to show when a test fails; returns the function that unregisters it (call it
 * when the server stops, before its folder is removed): it keeps the log's last lines.
 */
export function registerServerLog(label: string, source: LogSource): () => Promise<void> {
  const entry: RegisteredLog = { label, source };
  registered.add(entry);
  return async () => {
    if (!registered.delete(entry)) return;
    // A file source is read before the first await, so callers may remove it right after calling.
    const text = tailLines(await readServerLog(entry), STOPPED_TAIL_LINES);
    stopped.push({ label: `${label} (stopped)`, source: () => text });
  };
}

/** The logs of servers that stopped (their last lines), in stopping order. */
export function stoppedServerLogs(): readonly RegisteredLog[] {
  return [...stopped];
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
