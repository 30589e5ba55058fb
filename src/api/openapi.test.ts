import { afterEach, describe, expect, it } from 'vitest';
import { createLogger } from '../log.js';
import { ControlServer, type Route } from './control-server.js';
import { openApiPath } from './openapi.js';
import type { ControlFacade } from './operation.js';
import { operationRoutes } from './operation-routes.js';

const token = 'd'.repeat(64);
const auth = { authorization: `Bearer ${token}` };
let server: ControlServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A facade that refuses every call: these tests look at routing, never at outcomes. */
const refusing = new Proxy({} as ControlFacade, {
  get: () => () => {
    throw new Error('not called in this test');
  },
});

const extra: Route[] = [
  { method: 'GET', path: '/metrics', handle: () => ({ body: 'x', contentType: 'text/plain' }) },
];

type Document = {
  openapi: string;
  paths: Record<string, Record<string, Record<string, unknown>>>;
};

async function start(): Promise<{ url: string; routes: Route[] }> {
  const routes = [...operationRoutes(refusing), ...extra];
  server = new ControlServer({
    token,
    routes,
    log: createLogger({ level: 'silent' }),
    streams: [{ path: '/events', subscribe: () => () => {} }],
  });
  return { url: await server.listen('127.0.0.1', 0), routes };
}

async function documentOf(url: string): Promise<Document> {
  const response = await fetch(`${url}/openapi.json`, { headers: auth });
  expect(response.status).toBe(200);
  return (await response.json()) as Document;
}

describe('GET /openapi.json', () => {
  it('lists every served route (operations, extra routes, built-ins, streams) and nothing else', async () => {
    const { url, routes } = await start();
    const document = await documentOf(url);
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const served = [
      ...routes.map((route) => `${route.method} ${openApiPath(route.path)}`),
      'GET /livez',
      'GET /openapi.json',
      'GET /events',
    ];
    expect(documented.sort()).toEqual(served.sort());
  });

  it('documents only endpoints the server routes: none answers api.no-endpoint or api.method-not-allowed', async () => {
    const { url } = await start();
    const document = await documentOf(url);
    for (const [path, item] of Object.entries(document.paths)) {
      if (path === '/events') continue; // a stream stays open; its route is checked above
      for (const method of Object.keys(item)) {
        const response = await fetch(`${url}${path.replace(/\{[^}]+\}/g, 'x')}`, {
          method: method.toUpperCase(),
          headers: auth,
        });
        const text = await response.text();
        const code = text.startsWith('{"error"')
          ? (JSON.parse(text) as { error: { code: string } }).error.code
          : undefined;
        expect(['api.no-endpoint', 'api.method-not-allowed'], `${method} ${path}`).not.toContain(
          code,
        );
      }
    }
  });

  it('puts path fields in the path, GET fields in the query and POST fields in a JSON body', async () => {
    const { url } = await start();
    const { paths } = await documentOf(url);
    const history = paths['/profiles/{profile}/history']?.get as {
      parameters: { name: string; in: string }[];
    };
    expect(history.parameters).toContainEqual(
      expect.objectContaining({ name: 'profile', in: 'path' }),
    );
    expect(history.parameters).toContainEqual(
      expect.objectContaining({ name: 'limit', in: 'query' }),
    );
    const add = paths['/profiles']?.post as {
      requestBody: { content: { 'application/json': { schema: { required: string[] } } } };
    };
    expect(add.requestBody.content['application/json'].schema.required).toEqual(
      expect.arrayContaining(['name', 'jid', 'password']),
    );
    expect(paths['/livez']?.get?.security).toEqual([]);
  });
});
