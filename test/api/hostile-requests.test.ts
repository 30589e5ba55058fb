/**
 * Hostile control-API requests against a real runtime (no XMPP server needed: the profile never
 * connects). A value thousands of levels deep, in a message's `extra` or a search filter, used to
 * overflow the stack on its way to the storage thread and end the process; a malformed `%`
 * escape in a path answered 500. Now each is a typed 400, and the runtime keeps serving.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATIONS } from '../../src/api/operations.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { startTestRuntime } from '../helpers/runtime.js';

let runtime: Aviary;
let token: string;

beforeAll(async () => {
  runtime = await startTestRuntime(undefined, { api: true, autoconnect: false });
  token = readFileSync(join(runtime.dataDir, 'api-token'), 'utf8').trim();
  await runtime.addProfile({
    name: 'target',
    jid: 'target@example.test',
    password: 'pw',
    serverHost: '127.0.0.1',
    serverPort: 9,
    autoconnect: false,
  });
});
afterAll(async () => {
  await runtime?.stop();
});

async function call(
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; error?: { code: string; message: string } }> {
  const response = await fetch(`${runtime.apiUrl}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body ?? null,
  });
  const text = await response.text();
  const json =
    text === '' ? undefined : (JSON.parse(text) as { error?: { code: string; message: string } });
  return { status: response.status, ...(json?.error ? { error: json.error } : {}) };
}

const deepArray = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

describe('hostile control-API requests', () => {
  it('refuses a 6,000-deep search filter value with 400 and keeps serving', async () => {
    const body = `{"parsed":[{"path":["a"],"op":"==","value":${deepArray(6000)}}]}`;
    const answer = await call('POST', '/cache/search', body);
    expect(answer).toMatchObject({ status: 400, error: { code: 'api.too-deep' } });
    expect((await call('GET', '/health')).status).toBe(200);
    expect((await call('POST', '/cache/search', '{}')).status).toBe(200);
  });

  it("refuses a 5,000-deep value in a message's extra with 400 and keeps serving", async () => {
    const body = `{"to":"bob@example.test","message":{"":"hi"},"extra":{"x":${deepArray(5000)}}}`;
    const answer = await call('POST', '/profiles/target/messages', body);
    expect(answer).toMatchObject({ status: 400, error: { code: 'api.too-deep' } });
    expect((await call('GET', '/profiles/target')).status).toBe(200);
  });

  it('lets a moderately nested value through to the operation', async () => {
    const body = `{"to":"bob@example.test","message":{"":"hi"},"extra":{"x":${deepArray(30)}}}`;
    const answer = await call('POST', '/profiles/target/messages', body);
    // Past the API's checks: the profile is not connected, which the entity says.
    expect(answer).toMatchObject({ status: 409, error: { code: 'entity.offline' } });
  });

  it('answers a malformed percent-escape in a path with 400, not 500', async () => {
    const answer = await call('GET', '/profiles/%E0%A4%A');
    expect(answer).toMatchObject({ status: 400, error: { code: 'api.bad-path' } });
  });

  it('passes a storage refusal through with its code', async () => {
    const body = JSON.stringify({ parsed: [{ path: ['a'], op: 'bogus-op', value: 1 }] });
    const answer = await call('POST', '/cache/search', body);
    expect(answer).toMatchObject({ status: 400, error: { code: 'storage.bad-argument' } });
    expect(answer.error?.message).toMatch(/bogus-op/);
  });

  it('refuses names the CLI and the API share one rule for', async () => {
    for (const name of ['../../etc', 'bad\nname', '.hidden', 'a/b']) {
      const body = JSON.stringify({
        name,
        jid: 'x@example.test',
        password: 'pw',
        autoconnect: false,
      });
      const answer = await call('POST', '/profiles', body);
      expect({ name, ...answer }).toMatchObject({
        name,
        status: 400,
        error: { code: 'api.invalid-request' },
      });
    }
  });

  it('answers generated bodies on every endpoint with a coded answer, never a 500, and stays up', async () => {
    const leaf = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
    );
    const value = fc.letrec((tie) => ({
      any: fc.oneof(
        { depthSize: 'small' },
        leaf,
        fc.array(tie('any'), { maxLength: 4 }),
        fc.dictionary(fc.string({ maxLength: 8 }), tie('any'), { maxKeys: 4 }),
      ),
    })).any;
    const field = fc.constantFrom(
      'name',
      'jid',
      'password',
      'to',
      'message',
      'extra',
      'parsed',
      'profiles',
      'limit',
      'types',
      'rsm',
      'query',
      'orderBy',
      '__proto__',
    );
    const body = fc.oneof(
      fc.dictionary(field, value, { maxKeys: 5 }).map((o) => JSON.stringify(o)),
      value.map((v) => JSON.stringify(v)),
      fc
        .nat({ max: 300 })
        .map((d) => `{"parsed":[{"path":["a"],"op":"==","value":${deepArray(d)}}]}`),
      fc.string({ maxLength: 40 }),
    );
    // Entity names never include "target", which the other cases use.
    const name = fc.constantFrom('fz1', 'fz.2', '%2e%2e', '%E0%A4%A', 'x%2Fy', 'nobody');
    const endpoint = fc.constantFrom(
      ...Object.values(OPERATIONS).filter((op) => op.path !== '/health'),
    );
    await fc.assert(
      fc.asyncProperty(endpoint, name, body, async (op, entity, text) => {
        const path = op.path.replace(/:[a-z]+/g, entity);
        const answer = await call(op.method, path, op.method === 'POST' ? text : undefined);
        expect(answer.status, `${op.method} ${path} ${text.slice(0, 80)}`).toBeLessThan(500);
        if (answer.status >= 400) expect(answer.error?.code).toMatch(/^[a-z]+\.[a-z-]+$/);
      }),
      { numRuns: 300, seed: 20_2026 },
    );
    expect(runtime.state).toBe('running');
    expect((await call('GET', '/health')).status).toBe(200);
  });
});
