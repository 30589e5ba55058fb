import { afterEach, describe, expect, it } from 'vitest';
import { BLOG, cacheHarness } from './test-fixtures/cache-harness.js';
import { atom } from './test-fixtures/fake-pubsub.js';

type Harness = Awaited<ReturnType<typeof cacheHarness>>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `item-${from + i}`);

function fill(harness: Harness, node: string, n: number, payload = (i: number) => atom(i)) {
  for (let i = 0; i < n; i++) harness.service.publish(node, `item-${i}`, payload(i));
}

describe('node synchronisation', () => {
  it('pages through all items with RSM, parses and stores them in service order', async () => {
    h = await cacheHarness({ config: { pageSize: 50 } });
    fill(h, BLOG, 120);
    const outcome = await h.cache.synchronise(h.target(BLOG));
    expect(outcome).toEqual({ state: 'COMPLETED', items: 120 });
    const items = await h.cached(BLOG);
    expect(items.map((i) => i.name)).toEqual(ids(120));
    expect(items[7]?.data).toBe(atom(7));
    expect(items[7]?.parsed).toEqual({ title: 'Post 7' });
    // 1 probe page + 2 more pages (count reached: no empty page needed).
    const pages = h.service.calls.filter((c) => c.method === 'getItems' && c.options !== undefined);
    const rsmPages = pages.filter((c) => (c.options as { rsm?: unknown }).rsm !== undefined);
    expect(rsmPages).toHaveLength(3);
    expect(h.emitted).toContainEqual({ type: 'cacheSynced', ...h.target(BLOG), items: 120 });
    const node = await h.cache.node(h.target(BLOG));
    expect(node).toMatchObject({ analyser: 'blog', type: 'blog', subscribed: true });
  });

  it('without RSM takes every item the service keeps in one max_items request, not 20', async () => {
    h = await cacheHarness({ config: { pageSize: 50 } });
    h.service.rsm = false;
    h.service.newestFirst = true; // Prosody-like: the order is found with a max_items=1 probe
    fill(h, BLOG, 300);
    const outcome = await h.cache.synchronise(h.target(BLOG));
    expect(outcome).toEqual({ state: 'COMPLETED', items: 300 });
    expect((await h.cached(BLOG)).map((i) => i.name)).toEqual(ids(300));
    const maxItems = h.service.calls
      .map((c) => (c.options as { maxItems?: number } | undefined)?.maxItems)
      .filter((m) => m !== undefined);
    expect(maxItems).toContain(5000);
    // The cache answers the latest 20 as the service would.
    const latest = await h.cache.getItems(h.target(BLOG), { maxItems: 20 });
    expect(latest.source).toBe('cache');
    expect(latest.items.map((i) => i.id)).toEqual(ids(20, 280));
  });

  it('keeps the most recent items up to the cache limit, with and without RSM', async () => {
    for (const rsm of [true, false]) {
      h = await cacheHarness({ config: { pageSize: 30, limit: 100 } });
      h.service.rsm = rsm;
      fill(h, BLOG, 250);
      const outcome = await h.cache.synchronise(h.target(BLOG));
      expect(outcome).toEqual({ state: 'COMPLETED', items: 100 });
      expect((await h.cached(BLOG)).map((i) => i.name)).toEqual(ids(100, 150));
      if (rsm) {
        const indexes = h.service.calls
          .map((c) => (c.options as { rsm?: { index?: number } } | undefined)?.rsm?.index)
          .filter((i) => i !== undefined);
        expect(indexes).toEqual([150]);
      }
      await h.close();
      h = undefined;
    }
  });

  it('catches a service that repeats items: ERROR and no partial items', async () => {
    h = await cacheHarness({ config: { pageSize: 50 } });
    fill(h, BLOG, 120);
    h.service.repeatPages = true;
    const outcome = await h.cache.synchronise(h.target(BLOG));
    expect(outcome.state).toBe('ERROR');
    expect(outcome.reason).toMatch(/pubsub.invalid-response: service returned item item-0 twice/);
    expect(await h.cached(BLOG)).toEqual([]);
    expect(await h.state(BLOG)).toBe('ERROR');
    expect(h.emitted.some((e) => e.type === 'cacheSyncFailed')).toBe(true);
    const logged = h.logs.find((l) => l.level === 'error');
    expect(logged?.fields).toMatchObject({ node: BLOG, service: h.target(BLOG).service });
    // An ERROR node is served by the service.
    const page = await h.cache.getItems(h.target(BLOG), { maxItems: 2 });
    expect(page.source).toBe('service');
  });

  it('a parser failure on any item fails the sync and keeps nothing', async () => {
    h = await cacheHarness({ config: { pageSize: 50 } });
    fill(h, BLOG, 200, (i) => atom(i, i === 170 ? '<summary>BAD</summary>' : ''));
    const outcome = await h.cache.synchronise(h.target(BLOG));
    expect(outcome.state).toBe('ERROR');
    expect(outcome.reason).toMatch(/cache.parse-failed: item item-170/);
    expect(await h.cached(BLOG)).toEqual([]);
  });

  it('an updated item seen twice during a sync is an update, not a repeat', async () => {
    h = await cacheHarness({ config: { pageSize: 10 } });
    fill(h, BLOG, 30);
    // A republish between pages: the service lists item-3 again with its new payload.
    h.service.pageHook = (page, call) =>
      page.rsm !== undefined && call === 4
        ? { ...page, items: [...page.items, { id: 'item-3', xml: atom('3 edited') }] }
        : page;
    const outcome = await h.cache.synchronise(h.target(BLOG));
    expect(outcome.state).toBe('COMPLETED');
    const items = await h.cached(BLOG);
    expect(items).toHaveLength(30);
    expect(items.find((i) => i.name === 'item-3')?.data).toBe(atom('3 edited'));
  });

  it('a refused subscription is logged and the sync still completes', async () => {
    h = await cacheHarness();
    h.service.subscription = { error: 'not-allowed' };
    fill(h, BLOG, 5);
    expect(await h.cache.synchronise(h.target(BLOG))).toEqual({ state: 'COMPLETED', items: 5 });
    expect(h.logs.some((l) => l.level === 'warn' && /subscription failed/.test(l.message))).toBe(
      true,
    );
    expect((await h.cache.node(h.target(BLOG)))?.subscribed).toBe(false);
  });
});
