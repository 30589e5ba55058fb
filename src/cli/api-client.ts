/**
 * The CLI's client of the control API. It calls operations of the table (`src/api/operations.ts`)
 * through the shared encoding, and rebuilds a refused call's `{ error: { code, message } }` as
 * the same coded {@link AviaryError}, so `aviary` reports the code the runtime raised.
 *
 * It is what a command served by a running runtime loads, so it stays light: the endpoints come
 * from a plain table (no zod), and calls go through `node:http` (no `fetch`, whose HTTP stack
 * costs tens of milliseconds to load). The event stream, used by `--wait` and sync progress
 * only, keeps `fetch`.
 */
import { request as httpRequest } from 'node:http';
import { followEvents } from '../api/follow-events.js';
import { endpointOf } from '../api/operation-endpoints.js';
import { encodeRequest } from '../api/operation-request.js';
import type { OperationInput, OperationName, OperationOutput } from '../api/operations.js';
import { AviaryError, deserializeError } from '../errors.js';
import { processAlive, readLockPid } from '../runtime/data-dir-lock.js';
import { readApiToken, readRuntimeInfo } from '../runtime/runtime-files.js';

/** A connection to the runtime running on a data folder, through its control API. */
export interface RuntimeClient {
  readonly apiUrl: string;
  /** Calls one operation; a refusal throws the runtime's coded error. */
  call<N extends OperationName>(name: N, input: OperationInput<N>): Promise<OperationOutput<N>>;
  /** Follows the server-sent event stream until the returned function is called. */
  subscribe(onEvent: (event: string, data: unknown) => void): () => void;
}

/** Rebuilds the coded error of a refused call from the answer's body. */
export function errorFromAnswer(status: number, text: string): AviaryError {
  let body: unknown;
  try {
    body = JSON.parse(text) as unknown;
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: unknown; message?: unknown; details?: unknown } })
    ?.error;
  if (typeof error?.code === 'string' && typeof error.message === 'string') {
    return deserializeError({
      name: 'AviaryError',
      code: error.code,
      message: error.message,
      details:
        typeof error.details === 'object' && error.details !== null
          ? (error.details as Record<string, unknown>)
          : undefined,
    });
  }
  return new AviaryError('internal', `the runtime answered HTTP ${status} without an error body`);
}

/**
 * Finds the runtime that holds `dataDir` (lock pid alive + runtime.json + token), or undefined
 * when none runs there. Reads three small files; starts nothing.
 */
export function connectToRuntime(dataDir: string): RuntimeClient | undefined {
  const pid = readLockPid(dataDir);
  if (pid === undefined || !processAlive(pid)) return undefined;
  const info = readRuntimeInfo(dataDir);
  const token = readApiToken(dataDir);
  if (info === undefined || info.pid !== pid || token === undefined) return undefined;
  return {
    apiUrl: info.apiUrl,
    async call<N extends OperationName>(
      name: N,
      input: OperationInput<N>,
    ): Promise<OperationOutput<N>> {
      const request = encodeRequest(endpointOf(name), input as Record<string, unknown>);
      let answer: { status: number; text: string };
      try {
        answer = await send(`${info.apiUrl}${request.path}`, request.method, token, request.body);
      } catch (error) {
        throw new AviaryError(
          'api.unreachable',
          `cannot reach the runtime at ${info.apiUrl}: ${(error as Error).message}`,
          { cause: error },
        );
      }
      const { status, text } = answer;
      if (status < 200 || status > 299) throw errorFromAnswer(status, text);
      return (text.length > 0 ? JSON.parse(text) : undefined) as OperationOutput<N>;
    },
    subscribe(onEvent) {
      const controller = followEvents(info.apiUrl, token, onEvent);
      return () => controller.abort();
    },
  };
}

/** One HTTP request with a bearer token and an optional JSON body; gives up after 60 s. */
function send(
  url: string,
  method: string,
  token: string,
  body: Record<string, unknown> | undefined,
): Promise<{ status: number; text: string }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload === undefined
            ? {}
            : {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(payload),
              }),
        },
        timeout: 60_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 60 s')));
    req.on('error', reject);
    req.end(payload);
  });
}
