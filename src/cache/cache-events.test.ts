import { afterEach, describe, expect, it } from 'vitest';
import type { PubsubEvent } from '../pubsub/index.js';
import { BLOG, cacheHarness, SERVICE, waitFor } from './test-fixtures/cache-harness.js';
import { atom } from './test-fixtures/fake-pubsub.js';

type Harness = Awaited<ReturnType<typeof cacheHarness>>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const items = (published: [string, string][], retracted: string[] = []): PubsubEvent => ({
  type: 'items',
  service: SERVICE,
  node: BLOG,
  items: published.map(([id, xml]) => ({ id, xml })),
  retracted,
});

async function synced(n: number): Promise<Harness> {
  const harness = await cacheHarness();
  for (let i = 0; i < n; i++) harness.service.publish(BLOG, `item-${i}`, atom(i));
  await harness.cache.synchronise(harness.target(BLOG));
  return harness;
}

/** Waits until the actor and the event chains are idle enough for `check`. */
async function settle(harness: Harness, check: () => Promise<boolean>) {
  await harness.cache.node(harness.target(BLOG));
  await waitFor(check, 'the event to apply');
}

describe('events on a COMPLETED node', () => {
  it('published items are parsed and upserted, retracts delete', async () => {
    h = await synced(5);
    h.cache.event('alice', items([['item-9', atom(9)]]));
    h.cache.event('alice', items([['item-2', atom('2 edited')]], ['item-0']));
    await settle(h, async () => (await h?.cached(BLOG))?.length === 5);
    const cached = await h.cached(BLOG);
    expect(cached.map((i) => i.name)).toEqual(['item-1', 'item-2', 'item-3', 'item-4', 'item-9']);
    expect(cached.find((i) => i.name === 'item-9')?.parsed).toEqual({ title: 'Post 9' });
    // An edit keeps its creation place and moves to the end by modification.
    expect(cached[1]?.data).toBe(atom('2 edited'));
    const byModification = await h.cache.getItems(h.target(BLOG), {
      maxItems: 1,
      orderBy: 'modification',
    });
    expect(byModification.items[0]?.id).toBe('item-2'); // the latest event
    const latest = await h.cache.getItems(h.target(BLOG), { maxItems: 2 });
    expect(latest.source).toBe('cache');
    expect(latest.items.map((i) => i.id)).toEqual(['item-4', 'item-9']);
  });

  it('an event item that fails to parse is skipped and logged; the others are kept', async () => {
    h = await synced(2);
    h.cache.event(
      'alice',
      items([
        ['good', atom('good')],
        ['bad', atom('BAD')],
      ]),
    );
    await settle(h, async () => (await h?.cached(BLOG))?.length === 3);
    expect((await h.cached(BLOG)).map((i) => i.name)).toContain('good');
    expect((await h.cached(BLOG)).map((i) => i.name)).not.toContain('bad');
    expect(h.logs.some((l) => /failed to parse; skipped/.test(l.message))).toBe(true);
  });

  it('a payload-less notification is completed by fetching the item', async () => {
    h = await synced(2);
    h.service.publish(BLOG, 'quiet', atom('quiet'));
    h.cache.event('alice', items([['quiet', '']]));
    await settle(h, async () => (await h?.cached(BLOG))?.length === 3);
    expect((await h.cached(BLOG)).at(-1)?.data).toBe(atom('quiet'));
  });

  it('purge removes the items; delete removes the node', async () => {
    h = await synced(4);
    h.cache.event('alice', { type: 'purge', service: SERVICE, node: BLOG });
    await settle(h, async () => (await h?.cached(BLOG))?.length === 0);
    expect(await h.state(BLOG)).toBe('COMPLETED');
    h.cache.event('alice', { type: 'delete', service: SERVICE, node: BLOG });
    await settle(h, async () => (await h?.cache.node(h.target(BLOG))) === null);
    expect(await h.state(BLOG)).toBeUndefined();
  });

  it('events of nodes that are not synchronised are ignored', async () => {
    h = await cacheHarness();
    h.cache.event('alice', items([['x', atom('x')]]));
    await h.cache.node(h.target(BLOG));
    await new Promise((r) => setTimeout(r, 30));
    expect(await h.cache.node(h.target(BLOG))).toBeNull();
  });
});

describe('events during IN_PROGRESS', () => {
  it('are applied and never overwritten by the sync’s older pages', async () => {
    h = await synced(30);
    // The service's copy stays old: what the sync fetches is older than the events.
    let release: () => void = () => {};
    h.service.gate = new Promise((resolve) => {
      release = resolve;
    });
    const resync = h.cache.synchronise(h.target(BLOG));
    await h.waitForState(BLOG, 'IN_PROGRESS');
    h.cache.event(
      'alice',
      items(
        [
          ['item-5', atom('5 new')],
          ['item-99', atom(99)],
        ],
        ['item-20'],
      ),
    );
    await settle(
      h,
      async () => (await h?.cached(BLOG))?.some((i) => i.name === 'item-99') ?? false,
    );
    h.service.gate = undefined;
    release();
    expect((await resync).state).toBe('COMPLETED');
    const cached = await h.cached(BLOG);
    expect(cached.find((i) => i.name === 'item-5')?.data).toBe(atom('5 new'));
    expect(cached.map((i) => i.name)).not.toContain('item-20');
    expect(cached.map((i) => i.name)).toContain('item-99');
    expect(cached).toHaveLength(30);
    // Items from the sync sort before the event's new item.
    expect(cached.at(-1)?.name).toBe('item-99');
  });

  it('a purge during a sync restarts it; a delete cancels it', async () => {
    h = await synced(10);
    let release: () => void = () => {};
    h.service.gate = new Promise((resolve) => {
      release = resolve;
    });
    const resync = h.cache.synchronise(h.target(BLOG));
    await h.waitForState(BLOG, 'IN_PROGRESS');
    const node = h.service.nodes.get(BLOG);
    if (node) node.items = [];
    h.cache.event('alice', { type: 'purge', service: SERVICE, node: BLOG });
    await h.cache.node(h.target(BLOG));
    h.service.gate = undefined;
    release();
    expect(await resync).toEqual({ state: 'COMPLETED', items: 0 });
    expect(await h.cached(BLOG)).toEqual([]);

    h.service.publish(BLOG, 'a', atom('a'));
    h.service.gate = new Promise(() => {}); // never answers
    const again = h.cache.synchronise(h.target(BLOG));
    await h.waitForState(BLOG, 'IN_PROGRESS');
    h.cache.event('alice', { type: 'delete', service: SERVICE, node: BLOG });
    expect(await again).toEqual({ state: null, items: 0, reason: 'node deleted' });
    expect(await h.cache.node(h.target(BLOG))).toBeNull();
  });
});

describe('after a reconnection', () => {
  it('synchronised nodes are re-checked and resynchronised when they changed', async () => {
    h = await synced(6);
    h.service.publish(BLOG, 'missed', atom('missed')); // published while offline: no event
    const before = h.service.count('subscribe');
    h.cache.reconnected('alice');
    await waitFor(
      async () => (await h?.cached(BLOG))?.some((i) => i.name === 'missed') ?? false,
      'resync',
    );
    expect(h.service.count('subscribe')).toBe(before + 1);
    // Unchanged: a re-check costs one request and no resync.
    await h.waitForState(BLOG, 'COMPLETED');
    const requests = h.service.count('getItems');
    h.cache.reconnected('alice');
    await h.cache.node(h.target(BLOG));
    await waitFor(() => h?.service.count('getItems') === requests + 1, 'the re-check');
    await new Promise((r) => setTimeout(r, 30));
    expect(h.service.count('subscribe')).toBe(before + 1);
  });
});
