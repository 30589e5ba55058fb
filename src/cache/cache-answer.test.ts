import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toStorageGet } from './cache-answer.js';
import type { CacheItemsRequest } from './cache-messages.js';
import { BLOG, cacheHarness } from './test-fixtures/cache-harness.js';
import { atom } from './test-fixtures/fake-pubsub.js';

type Harness = Awaited<ReturnType<typeof cacheHarness>>;
let h: Harness;
const N = 60;
const id = (i: number) => `item-${i}`;

beforeAll(async () => {
  h = await cacheHarness();
  for (let i = 0; i < N; i++) h.service.publish(BLOG, id(i), atom(i));
  await h.cache.synchronise(h.target(BLOG));
});
afterAll(async () => {
  await h.close();
});

/** The same request to the fake service (its RSM keys are `k:<id>`). */
async function fromService(request: CacheItemsRequest) {
  const key = (k: string | undefined) => (k === undefined || k === '' ? k : `k:${k}`);
  const rsm = request.rsm && {
    ...request.rsm,
    after: key(request.rsm.after),
    before: key(request.rsm.before),
  };
  return h.service.client().getItems('s', BLOG, { ...request, rsm });
}

describe('answers from the cache, with the service’s semantics', () => {
  it.each<[string, CacheItemsRequest]>([
    ['max_items: the most recent', { maxItems: 5 }],
    ['all items', {}],
    ['item ids', { itemIds: [id(3), id(40), 'missing'] }],
    ['RSM <max/> alone: the first page', { rsm: { max: 10 } }],
    ['RSM after', { rsm: { max: 10, after: id(9) } }],
    ['RSM after, last page', { rsm: { max: 10, after: id(54) } }],
    ['RSM <before/>: the last page', { rsm: { max: 10, before: '' } }],
    ['RSM before a key', { rsm: { max: 10, before: id(50) } }],
    ['RSM index', { rsm: { max: 10, index: 20 } }],
    ['RSM count only', { rsm: { max: 0 } }],
  ])('%s', async (_, request) => {
    const cached = await h.cache.getItems(h.target(BLOG), request);
    const service = await fromService(request);
    expect(cached.source).toBe('cache');
    expect(cached.items.map((i) => i.id)).toEqual(service.items.map((i) => i.id));
    expect(cached.items.map((i) => i.xml)).toEqual(service.items.map((i) => i.xml));
    if (request.rsm !== undefined) {
      expect(cached.rsm?.count).toBe(N);
      expect(cached.rsm?.firstIndex).toBe(service.rsm?.firstIndex);
      expect(cached.rsm?.first).toBe(service.rsm?.first?.slice(2));
      expect(cached.rsm?.last).toBe(service.rsm?.last?.slice(2));
      const end = (service.rsm?.firstIndex ?? 0) + service.items.length >= N;
      expect(cached.complete).toBe(end);
    }
  });

  it('pages forward with the keys it returns until complete', async () => {
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await h.cache.getItems(h.target(BLOG), { rsm: { max: 7, after } });
      seen.push(...page.items.map((i) => i.id));
      if (page.complete) break;
      after = page.rsm?.last;
    }
    expect(seen).toEqual(Array.from({ length: N }, (_, i) => id(i)));
  });

  it('a key the cache does not know (the service’s own) goes to the service', async () => {
    const page = await h.cache.getItems(h.target(BLOG), { rsm: { max: 3, after: 'k:item-9' } });
    expect(page.source).toBe('service');
    expect(page.items.map((i) => i.id)).toEqual([id(10), id(11), id(12)]);
  });

  it('maps requests onto storage: a bare <max/> becomes index 0', () => {
    const target = h.target(BLOG);
    expect(toStorageGet(target, { rsm: { max: 4 } }).rsm).toEqual({ max: 4, index: 0 });
    expect(toStorageGet(target, { rsm: { max: 4, before: '' } }).rsm).toEqual({
      max: 4,
      before: '',
    });
    expect(toStorageGet(target, { itemIds: ['a'], orderBy: 'modification' })).toMatchObject({
      names: ['a'],
      orderBy: 'modification',
    });
  });
});
