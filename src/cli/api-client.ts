import { processAlive, readLockPid } from '../runtime/data-dir-lock.js';
import { readApiToken, readRuntimeInfo } from '../runtime/runtime-files.js';
import { CliError } from './output.js';

/** A connection to the runtime running on a data folder, through its control API. */
export interface RuntimeClient {
  readonly apiUrl: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
}

/**
 * Finds the runtime that holds `dataDir` (lock pid alive + runtime.json + token), or undefined
 * when none runs there. Commands use it to act on the running runtime instead of the files.
 */
export function connectToRuntime(dataDir: string): RuntimeClient | undefined {
  const pid = readLockPid(dataDir);
  if (pid === undefined || !processAlive(pid)) return undefined;
  const info = readRuntimeInfo(dataDir);
  const token = readApiToken(dataDir);
  if (info === undefined || info.pid !== pid || token === undefined) return undefined;
  return {
    apiUrl: info.apiUrl,
    async request<T>(method: string, path: string, body?: unknown): Promise<T> {
      let response: Response;
      try {
        response = await fetch(`${info.apiUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? null : JSON.stringify(body),
          signal: AbortSignal.timeout(60_000),
        });
      } catch (error) {
        throw new CliError(
          `cannot reach the runtime at ${info.apiUrl}: ${(error as Error).message}`,
        );
      }
      const text = await response.text();
      const data = text.length > 0 ? (JSON.parse(text) as unknown) : undefined;
      if (!response.ok) {
        const message =
          (data as { error?: { message?: string } } | undefined)?.error?.message ??
          response.statusText;
        throw new CliError(`the runtime refused ${method} ${path}: ${message}`);
      }
      return data as T;
    },
  };
}
