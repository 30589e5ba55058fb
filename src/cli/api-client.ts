import { processAlive, readLockPid } from '../runtime/data-dir-lock.js';
import { readApiToken, readRuntimeInfo } from '../runtime/runtime-files.js';
import { CliError } from './output.js';

/** A connection to the runtime running on a data folder, through its control API. */
export interface RuntimeClient {
  readonly apiUrl: string;
  request<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** Follows the server-sent event stream until the returned function is called. */
  subscribe(onEvent: (event: string, data: unknown) => void): () => void;
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
    subscribe(onEvent) {
      const controller = new AbortController();
      void (async () => {
        const response = await fetch(`${info.apiUrl}/events`, {
          headers: { authorization: `Bearer ${token}` },
          signal: controller.signal,
        });
        const reader = (response.body as ReadableStream<Uint8Array>).getReader();
        const decoder = new TextDecoder();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end = buffer.indexOf('\n\n');
          while (end >= 0) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event !== undefined && data !== undefined)
              onEvent(event, JSON.parse(data) as unknown);
            end = buffer.indexOf('\n\n');
          }
        }
      })().catch(() => undefined);
      return () => controller.abort();
    },
  };
}
