import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

let prosody: ProsodyFixture;
let runtime: Aviary;
let token: string;

beforeAll(async () => {
  prosody = await startProsody({
    users: [
      { username: 'api1', password: 'api1-pw' },
      { username: 'api2', password: 'api2-pw' },
    ],
  });
  runtime = await startTestRuntime(prosody, { api: true });
  token = readFileSync(join(runtime.dataDir, 'api-token'), 'utf8').trim();
});
afterAll(async () => {
  await runtime?.stop();
  await prosody?.stop();
});

async function api(
  method: string,
  path: string,
  body?: unknown,
  auth = true,
): Promise<{ status: number; json: unknown; text: string }> {
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    method,
    headers: {
      ...(auth ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? null : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text };
}

function metricValue(text: string, name: string, labels = ''): number {
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`${name}${labels} `) || (labels === '' && l.startsWith(`${name} `)));
  return line === undefined ? Number.NaN : Number(line.split(' ').at(-1));
}

const profileBody = (user: string, password: string) => ({
  name: user,
  jid: `${user}@${prosody.domain}`,
  password,
  serverHost: '127.0.0.1',
  serverPort: prosody.c2sPort,
});

describe('control API against a runtime on Prosody', () => {
  it('refuses requests without the token and validates bodies', async () => {
    expect((await api('GET', '/profiles', undefined, false)).status).toBe(401);
    expect((await api('GET', '/health', undefined, false)).status).toBe(401);
    const bad = await api('POST', '/profiles', { name: 'x', jid: 'x@y' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('password');
    const unknownField = await api('POST', '/profiles', {
      ...profileBody('api1', 'api1-pw'),
      colour: 'red',
    });
    expect(unknownField.status).toBe(400);
    expect(unknownField.text).toContain('colour: unknown field');
    expect((await api('GET', '/profiles/nobody')).status).toBe(404);
  });

  it('adds profiles, streams messageNew over SSE, sends, answers history, and metrics move', async () => {
    expect((await api('POST', '/profiles', profileBody('api1', 'api1-pw'))).status).toBe(201);
    expect((await api('POST', '/profiles', profileBody('api2', 'api2-pw'))).status).toBe(201);
    expect((await api('POST', '/profiles', profileBody('api2', 'api2-pw'))).status).toBe(409);
    await runtime.waitForState('api1', 'online');
    await runtime.waitForState('api2', 'online');
    const listed = (await api('GET', '/profiles')).json as { name: string; state: string }[];
    expect(listed.map((p) => [p.name, p.state])).toEqual([
      ['api1', 'online'],
      ['api2', 'online'],
    ]);

    const metricsBefore = (await api('GET', '/metrics')).text;
    expect(metricValue(metricsBefore, 'aviary_connections', '{kind="client",state="online"}')).toBe(
      2,
    );

    const controller = new AbortController();
    const stream = await fetch(`${runtime.apiUrl}/events`, {
      headers: { authorization: `Bearer ${token}` },
      signal: controller.signal,
    });
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    let streamed = '';
    const pump = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        streamed += new TextDecoder().decode(value);
      }
    })().catch(() => undefined);

    const sent = await api('POST', '/profiles/api1/messages', {
      to: `api2@${prosody.domain}`,
      message: { '': 'over the API' },
    });
    expect(sent.status).toBe(201);
    await waitFor(
      () => streamed.includes('"direction":"in"') && streamed.includes('over the API'),
      10_000,
    );
    expect(streamed).toContain('event: messageNew');
    controller.abort();
    await pump;

    const history = await api(
      'GET',
      `/profiles/api2/history?with=${encodeURIComponent(`api1@${prosody.domain}`)}`,
    );
    expect(history.status).toBe(200);
    // A body without xml:lang takes the stanza's language (RFC 6120 §8.1.5), which the server may set.
    expect(
      (history.json as { message: Record<string, string> }[]).map((h) => Object.values(h.message)),
    ).toEqual([['over the API']]);
    expect((await api('GET', '/profiles/api2/history?limit=abc')).status).toBe(400);

    const metricsAfter = (await api('GET', '/metrics')).text;
    expect(metricsAfter).toMatch(/^# HELP aviary_messages_total/m);
    expect(
      metricValue(
        metricsAfter,
        'aviary_messages_total',
        '{direction="out",outcome="stored-or-signalled"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    expect(
      metricValue(
        metricsAfter,
        'aviary_messages_total',
        '{direction="in",outcome="stored-or-signalled"}',
      ),
    ).toBeGreaterThanOrEqual(1);
    // Every non-comment line is "name{labels} value" (Prometheus text format 0.0.4).
    for (const line of metricsAfter.split('\n').filter((l) => l && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? -?[0-9.eE+-]+|NaN|[+-]Inf$/);
    }

    const health = await api('GET', '/health');
    expect(health.json).toMatchObject({
      ok: true,
      checks: { storage: { ok: true }, entities: { ok: true } },
    });
  });

  it('disconnects, connects and removes through the API', async () => {
    const off = await api('POST', '/profiles/api2/disconnect', {});
    expect((off.json as { state: string }).state).toBe('offline');
    expect((await api('POST', '/profiles/api2/connect', {})).status).toBe(202);
    await runtime.waitForState('api2', 'online');
    expect((await api('DELETE', '/profiles/api2')).status).toBe(204);
    expect((await api('GET', '/profiles/api2')).status).toBe(404);
  });

  it('describes in /openapi.json every endpoint the running runtime serves, and /livez needs no token', async () => {
    const live = await api('GET', '/livez', undefined, false);
    expect(live.status).toBe(200);
    expect(live.json).toEqual({ live: true });
    expect((await api('GET', '/openapi.json', undefined, false)).status).toBe(401);
    const document = (await api('GET', '/openapi.json')).json as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toBe('3.1.0');
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // The routes the runtime adds beside the operation table are there too.
    for (const route of ['GET /metrics', 'GET /actors', 'GET /ui', 'GET /events', 'GET /health'])
      expect(documented).toContain(route);
    // Every documented parameterless GET is served (the stream stays open: skipped).
    for (const entry of documented.filter((e) => e.startsWith('GET ') && !e.includes('{'))) {
      const path = entry.slice(4);
      if (path === '/events') continue;
      const answer = await api('GET', path);
      expect(answer.json, entry).not.toMatchObject({ error: { code: 'api.no-endpoint' } });
      expect(answer.status, entry).not.toBe(405);
    }
  });
});
