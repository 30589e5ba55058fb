import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { z } from 'zod';
import type { Logger } from '../log.js';
import { VERSION } from '../runtime/version.js';
import { ApiError, errorBody, statusForError } from './api-error.js';
import { checkJsonDepth, MAX_JSON_DEPTH } from './json-limits.js';
import { openApiDocument } from './openapi.js';
import { type EventStream, SseEndpoint } from './sse-endpoint.js';

export type { EventStream } from './sse-endpoint.js';

export interface ApiRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly body: unknown;
  readonly signal: AbortSignal;
}

export interface ApiResponse {
  readonly status?: number;
  readonly body?: unknown;
  readonly contentType?: string;
}

/**
 * One endpoint. `auth: false` only for what holds no data: the status page shell and `/livez`.
 * `summary`, `input` and `produces` describe it in `/openapi.json`.
 */
export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path with `:name` parameters, e.g. `/profiles/:name/connect`. */
  readonly path: string;
  readonly auth?: boolean;
  readonly summary?: string;
  readonly input?: z.ZodType;
  readonly produces?: string;
  handle(request: ApiRequest): Promise<ApiResponse> | ApiResponse;
}

interface CompiledRoute {
  readonly route: Route;
  readonly pattern: RegExp;
  readonly names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const source = route.path
    .split('/')
    .map((part) => {
      if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(part.slice(1));
      return '([^/]+)';
    })
    .join('/');
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/** Decodes one `%`-escaped path segment; a malformed escape is the caller's error (400). */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new ApiError('api.bad-path', `malformed percent-escape in the path: ${part}`);
  }
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer (.+)$/.exec(header ?? '');
  if (!match?.[1]) return false;
  const given = Buffer.from(match[1]);
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * The control API: JSON over HTTP on loopback, every endpoint behind a bearer token (401 without
 * it), bodies limited in size and parsed strictly (400 with a reason), errors as
 * `{ error: { code, message } }`.
 */
export class ControlServer {
  readonly #server: Server;
  readonly #routes: CompiledRoute[];
  readonly #streams: SseEndpoint[];
  readonly #token: string;
  readonly #maxBodyBytes: number;
  readonly #log: Logger;

  /**
   * Besides `routes`, the server answers `GET /livez` without a token (the process serves
   * HTTP: nothing more, so it reveals nothing) and `GET /openapi.json`, the OpenAPI document of
   * every endpoint it serves.
   */
  constructor(options: {
    token: string;
    routes: readonly Route[];
    streams?: readonly EventStream[];
    maxBodyBytes?: number;
    /** Events kept per stream for clients reconnecting with `Last-Event-ID`. */
    replayCapacity?: number;
    /** Version named in the OpenAPI document. */
    version?: string;
    log: Logger;
  }) {
    this.#token = options.token;
    this.#streams = (options.streams ?? []).map(
      (stream) => new SseEndpoint(stream, options.replayCapacity),
    );
    const builtIn: Route[] = [
      {
        method: 'GET',
        path: '/livez',
        auth: false,
        summary: 'liveness: the process answers HTTP (no token, no data)',
        handle: () => ({ body: { live: true } }),
      },
      {
        method: 'GET',
        path: '/openapi.json',
        summary: 'this OpenAPI 3.1 document',
        handle: () => ({ body: documentOnce() }),
      },
    ];
    const all = [...options.routes, ...builtIn];
    // Built at the first request, not here: turning every operation's schema into JSON Schema
    // costs more CPU than the rest of start-up together, and few clients ever ask for it.
    let document: ReturnType<typeof openApiDocument> | undefined;
    const documentOnce = () => {
      document ??= openApiDocument({
        version: options.version ?? VERSION,
        routes: [
          ...all,
          ...this.#streams.map((stream) => ({
            method: 'GET',
            path: stream.path,
            summary: 'server-sent events (Last-Event-ID replays; ?events=a,b filters by type)',
            produces: 'text/event-stream',
          })),
        ],
      });
      return document;
    };
    this.#routes = all.map(compile);
    this.#maxBodyBytes = options.maxBodyBytes ?? 1_048_576;
    this.#log = options.log;
    this.#server = createServer((req, res) => {
      void this.#handle(req, res);
    });
    this.#server.headersTimeout = 10_000;
    this.#server.requestTimeout = 60_000;
  }

  /** Listens on `host:port` (port 0 = free port). Resolves with the base URL. */
  async listen(host: string, port: number): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, host, () => {
        this.#server.off('error', reject);
        resolve();
      });
    });
    const address = this.#server.address() as AddressInfo;
    const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    return `http://${shownHost}:${address.port}`;
  }

  async close(): Promise<void> {
    for (const stream of this.#streams) stream.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://control.invalid');
    const method = (req.method ?? 'GET').toUpperCase();
    try {
      const stream = this.#streams.find((s) => s.path === url.pathname);
      if (stream && method === 'GET') {
        this.#authorize(req, url);
        stream.open(req, res, url.searchParams);
        return;
      }
      const candidates = this.#routes.filter((r) => r.pattern.test(url.pathname));
      if (candidates.length === 0)
        throw new ApiError('api.no-endpoint', `no endpoint ${url.pathname}`);
      const found = candidates.find((r) => r.route.method === method);
      if (!found)
        throw new ApiError('api.method-not-allowed', `${method} is not allowed on ${url.pathname}`);
      if (found.route.auth !== false) this.#authorize(req, url);
      const match = found.pattern.exec(url.pathname) as RegExpExecArray;
      const params: Record<string, string> = {};
      found.names.forEach((name, i) => {
        params[name] = decodePathPart(match[i + 1] ?? '');
      });
      const body = method === 'GET' || method === 'DELETE' ? undefined : await this.#readJson(req);
      const controller = new AbortController();
      res.on('close', () => controller.abort());
      const response = await found.route.handle({
        params,
        query: url.searchParams,
        body,
        signal: controller.signal,
      });
      this.#send(res, response.status ?? 200, response.body, response.contentType);
    } catch (error) {
      const status = statusForError(error);
      if (status >= 500)
        this.#log.error({ err: error, path: url.pathname }, 'control API request failed');
      this.#send(res, status, errorBody(error));
    }
  }

  /** Bearer token in the Authorization header (or `?token=` for EventSource, which cannot set headers). */
  #authorize(req: IncomingMessage, url: URL): void {
    const header =
      req.headers.authorization ??
      (url.searchParams.has('token') ? `Bearer ${url.searchParams.get('token')}` : undefined);
    if (!tokenMatches(header, this.#token)) {
      throw new ApiError(
        'api.unauthorized',
        'missing or wrong bearer token (see the api-token file in the data folder)',
      );
    }
  }

  async #readJson(req: IncomingMessage): Promise<unknown> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req) {
      size += (chunk as Buffer).length;
      if (size > this.#maxBodyBytes)
        throw new ApiError(
          'api.body-too-large',
          `request body larger than ${this.#maxBodyBytes} bytes`,
        );
      chunks.push(chunk as Buffer);
    }
    if (size === 0) return {};
    const type = req.headers['content-type'] ?? '';
    if (!type.startsWith('application/json')) {
      throw new ApiError(
        'api.unsupported-media-type',
        'request bodies must be JSON (Content-Type: application/json)',
      );
    }
    const text = Buffer.concat(chunks).toString('utf8');
    // Depth is checked on the text, before parsing: a deeply nested value would overflow the
    // stack wherever it is walked recursively later (validation, structured clone to a worker).
    checkJsonDepth(text, MAX_JSON_DEPTH);
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new ApiError('api.malformed-json', `malformed JSON body: ${(error as Error).message}`);
    }
  }

  #send(res: ServerResponse, status: number, body: unknown, contentType?: string): void {
    if (res.headersSent) {
      res.end();
      return;
    }
    if (contentType !== undefined && typeof body === 'string') {
      res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(body);
      return;
    }
    const text = body === undefined ? '' : JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
    });
    res.end(text);
  }
}
