import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { operationRoute } from './operation-routes.js';
import { type AnyOperation, type ControlFacade, OPERATIONS } from './operations.js';

describe('operation routes', () => {
  const searches: unknown[] = [];
  const facade = {
    cache: {
      search: async (query: unknown) => {
        searches.push(query);
        return [];
      },
    },
  } as unknown as ControlFacade;
  const route = operationRoute(OPERATIONS['cache.search'] as AnyOperation, facade);
  const request = (body: unknown) => ({
    params: {},
    query: new URLSearchParams(),
    body,
    signal: new AbortController().signal,
  });

  it('runs the operation and answers its output', async () => {
    expect(await route.handle(request({ query: 'xmpp' }))).toEqual({ status: 200, body: [] });
    expect(searches).toEqual([{ query: 'xmpp' }]);
  });

  it('refuses a value no thread could receive with a typed 400, before the operation runs', async () => {
    let error: unknown;
    try {
      await route.handle(request({ query: 'x', hook: () => undefined }));
    } catch (caught) {
      error = caught;
    }
    expect(isAviaryError(error, 'api.not-cloneable')).toBe(true);
    expect(searches).toHaveLength(1);
  });
});
