import { afterEach, describe, expect, it } from 'vitest';
import { AviaryError } from '../errors.js';
import { createLogger } from '../log.js';
import { ControlServer } from './control-server.js';

const token = 'a'.repeat(64);
let server: ControlServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(): Promise<{ url: string; publish: (e: string, d: unknown) => void }> {
  const listeners = new Set<(e: string, d: unknown) => void>();
  server = new ControlServer({
    token,
    maxBodyBytes: 1000,
    log: createLogger({ level: 'silent' }),
    routes: [
      {
        method: 'POST',
        path: '/echo/:name',
        handle: (req) => ({ body: { name: req.params.name, body: req.body } }),
      },
      {
        method: 'GET',
        path: '/missing',
        handle: () => {
          throw new AviaryError('profile.not-found', 'no such profile');
        },
      },
    ],
    streams: [
      {
        path: '/events',
        subscribe(send) {
          listeners.add(send);
          return () => listeners.delete(send);
        },
      },
    ],
  });
  const url = await server.listen('127.0.0.1', 0);
  return {
    url,
    publish: (e, d) => {
      for (const listener of listeners) listener(e, d);
    },
  };
}

const auth = { authorization: `Bearer ${token}` };

describe('control server', () => {
  it('listens on loopback and answers 401 without or with a wrong token', async () => {
    const { url } = await start();
    expect(new URL(url).hostname).toBe('127.0.0.1');
    expect((await fetch(`${url}/echo/x`, { method: 'POST' })).status).toBe(401);
    const wrong = await fetch(`${url}/echo/x`, {
      method: 'POST',
      headers: { authorization: `Bearer ${'b'.repeat(64)}` },
    });
    expect(wrong.status).toBe(401);
    expect(((await wrong.json()) as { error: { code: string } }).error.code).toBe(
      'api.unauthorized',
    );
  });

  it('routes with parameters and parses JSON bodies', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/echo/al%20ice`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ a: 1 }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ name: 'al ice', body: { a: 1 } });
  });

  it('rejects malformed, non-JSON and oversized bodies with a reason', async () => {
    const { url } = await start();
    const malformed = await fetch(`${url}/echo/x`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{"a":',
    });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as { error: { message: string } }).error.message).toMatch(
      /malformed JSON/,
    );
    const notJson = await fetch(`${url}/echo/x`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'text/plain' },
      body: 'hi',
    });
    expect(notJson.status).toBe(415);
    const huge = await fetch(`${url}/echo/x`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ s: 'x'.repeat(5000) }),
    });
    expect(huge.status).toBe(413);
  });

  it('maps typed errors to statuses and unknown paths to 404, wrong methods to 405', async () => {
    const { url } = await start();
    const missing = await fetch(`${url}/missing`, { headers: auth });
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe(
      'profile.not-found',
    );
    expect((await fetch(`${url}/nowhere`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${url}/echo/x`, { headers: auth })).status).toBe(405);
  });

  it('answers 400 (not 500) to a malformed percent-escape in the path', async () => {
    const { url } = await start();
    const response = await fetch(`${url}/echo/%E0%A4%A`, { method: 'POST', headers: auth });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe(
      'api.bad-path',
    );
  });

  it('refuses a deeply nested body with 400 before any route sees it', async () => {
    const { url } = await start();
    const deep = `{"extra":${'['.repeat(400)}${']'.repeat(400)}}`;
    const response = await fetch(`${url}/echo/x`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: deep,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('api.too-deep');
    expect(body.error.message).toMatch(/deeper than 64 levels/);
  });

  it('answers /livez without a token and /openapi.json only with one', async () => {
    const { url } = await start();
    const live = await fetch(`${url}/livez`);
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ live: true });
    expect((await fetch(`${url}/openapi.json`)).status).toBe(401);
    expect((await fetch(`${url}/openapi.json`, { headers: auth })).status).toBe(200);
  });

  it('streams server-sent events to authorised readers only', async () => {
    const { url, publish } = await start();
    expect((await fetch(`${url}/events`)).status).toBe(401);
    const controller = new AbortController();
    const response = await fetch(`${url}/events`, { headers: auth, signal: controller.signal });
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const opening = new TextDecoder().decode((await reader.read()).value);
    expect(opening).toMatch(/^retry: \d+$/m);
    publish('messageNew', { uid: 'u1' });
    const { value } = await reader.read();
    expect(new TextDecoder().decode(value)).toMatch(
      /^id: [0-9a-f]+\.1\nevent: messageNew\ndata: \{"uid":"u1"\}\n\n$/,
    );
    controller.abort();
  });
});
