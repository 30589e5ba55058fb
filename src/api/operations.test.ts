import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { decodeRequest, encodeRequest, pathFields, queryFieldKinds } from './operation-codec.js';
import { type AnyOperation, type ControlFacade, OPERATIONS, runOperation } from './operations.js';
import { parseInput } from './request-schemas.js';

const all = Object.entries(OPERATIONS) as [string, AnyOperation][];

/** Splits what encodeRequest built back into route parameters, query and body. */
function roundTrip(op: AnyOperation, input: Record<string, unknown>): Record<string, unknown> {
  const request = encodeRequest(op, input);
  const url = new URL(request.path, 'http://x.invalid');
  const names = pathFields(op.path);
  const template = op.path.split('/');
  const params: Record<string, string> = {};
  url.pathname.split('/').forEach((part, i) => {
    const slot = template[i] ?? '';
    if (slot.startsWith(':')) params[slot.slice(1)] = decodeURIComponent(part);
  });
  expect(Object.keys(params).sort()).toEqual([...names].sort());
  const body = request.body === undefined ? undefined : JSON.parse(JSON.stringify(request.body));
  return decodeRequest(op, params, url.searchParams, body);
}

describe('operation table', () => {
  it('declares each method and path once', () => {
    const routes = all.map(([, op]) => `${op.method} ${op.path}`);
    expect(new Set(routes).size).toBe(routes.length);
  });

  it('names only input fields in paths, and query operations carry only query-able fields', () => {
    for (const [name, op] of all) {
      const kinds = queryFieldKinds(op.input);
      for (const field of pathFields(op.path))
        expect(kinds, `${name} :${field}`).toHaveProperty(field);
      if (op.method === 'POST') continue;
      for (const [field, kind] of Object.entries(kinds))
        expect(kind, `${name}.${field} must travel in a query string`).toBeDefined();
    }
  });

  it('carries inputs over HTTP unchanged (path escapes, lists, numbers, booleans)', () => {
    const cases: [string, Record<string, unknown>][] = [
      [
        'history.query',
        {
          profile: 'al.ice@home',
          with: 'bob@example.org/phone',
          between: ['a@x.org', 'b@x.org'],
          before: 1700000000123,
          limit: 10,
          types: ['chat', 'groupchat'],
          search: 'a&b=c %',
          order: 'asc',
        },
      ],
      ['profile.get', { name: 'al-ice_1' }],
      ['profile.remove', { name: 'x@y' }],
      ['cache.node', { profile: 'p', service: 'pubsub.x.org', node: 'urn:xmpp:microblog:0' }],
      ['message.send', { profile: 'p', to: 'b@x.org', message: { '': 'hi' }, sendOnly: true }],
      ['cache.purge', { types: [null, 'blog'], createdBefore: 12.5 }],
    ];
    for (const [name, input] of cases) {
      const op = OPERATIONS[name as keyof typeof OPERATIONS] as AnyOperation;
      const decoded = roundTrip(op, input);
      expect(decoded, name).toEqual(input);
      expect(parseInput(op.input, decoded), name).toEqual(input);
    }
  });

  it('refuses a bad query value with api.invalid-request naming the field', () => {
    const op = OPERATIONS['history.query'] as AnyOperation;
    const raw = decodeRequest(op, { profile: 'p' }, new URLSearchParams('limit=abc'), undefined);
    let error: unknown;
    try {
      parseInput(op.input, raw);
    } catch (caught) {
      error = caught;
    }
    expect(isAviaryError(error, 'api.invalid-request')).toBe(true);
    expect((error as Error).message).toMatch(/limit/);
  });

  it('refuses a body field that contradicts the path', () => {
    const op = OPERATIONS['message.send'] as AnyOperation;
    expect(() =>
      decodeRequest(op, { profile: 'p' }, new URLSearchParams(), { profile: 'q' }),
    ).toThrow(/given by the path/);
  });

  it('runs the library call with validated input', async () => {
    const calls: unknown[] = [];
    const facade = {
      history: async (profile: string, query: unknown) => {
        calls.push([profile, query]);
        return [];
      },
    } as unknown as ControlFacade;
    await runOperation(facade, 'history.query', { profile: 'p', limit: 3 });
    expect(calls).toEqual([['p', { limit: 3 }]]);
    await expect(
      runOperation(facade, 'history.query', { profile: 'p', limit: -1 }),
    ).rejects.toThrow(/invalid request: limit/);
    expect(calls).toHaveLength(1);
  });
});
