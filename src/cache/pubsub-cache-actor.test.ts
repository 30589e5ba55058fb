import { afterEach, describe, expect, it } from 'vitest';
import { PubsubError } from '../pubsub/index.js';
import type { Clock } from '../util/clock.js';
import { BLOG, cacheHarness, waitFor } from './test-fixtures/cache-harness.js';
import { atom } from './test-fixtures/fake-pubsub.js';

type Harness = Awaited<ReturnType<typeof cacheHarness>>;
let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

function fill(harness: Harness, node: string, n: number, payload = (i: number) => atom(i)) {
  for (let i = 0; i < n; i++) harness.service.publish(node, `item-${i}`, payload(i));
}

function gate() {
  let open: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

describe('analysis of unknown nodes', () => {
  it('a matching analyser with to_sync: the first request goes to the service, then the cache answers', async () => {
    h = await cacheHarness();
    fill(h, BLOG, 10);
    const first = await h.cache.getItems(h.target(BLOG), { maxItems: 3 });
    expect(first.source).toBe('service');
    expect(first.items.map((i) => i.id)).toEqual(['item-7', 'item-8', 'item-9']);
    await h.waitForState(BLOG, 'COMPLETED');
    const before = h.service.count('getItems');
    const second = await h.cache.getItems(h.target(BLOG), { maxItems: 3 });
    expect(second.source).toBe('cache');
    expect(second.items).toEqual(first.items.map(({ id, xml }) => ({ id, xml })));
    expect(h.service.count('getItems')).toBe(before);
  });

  it('matches by the root namespace of the first item when the node name does not', async () => {
    h = await cacheHarness();
    fill(h, 'my-blog', 4);
    await h.cache.getItems(h.target('my-blog'));
    await h.waitForState('my-blog', 'COMPLETED');
    expect(await h.cache.node(h.target('my-blog'))).toMatchObject({
      analyser: 'blog',
      extra: { rootNamespace: 'http://www.w3.org/2005/Atom' },
    });
  });

  it.each([
    ['no analyser matches', 'random-node', null, undefined],
    ['the analyser has to_sync false', 'quiet:stuff', 'quiet', undefined],
    ['the match callback throws', 'broken:x', null, /match callback broke/],
  ])('%s: recorded NO_SYNC and the service is always asked', async (_, node, analyser, error) => {
    h = await cacheHarness();
    h.service.publish(node, 'a', '<thing xmlns="urn:example:other"/>');
    for (let round = 0; round < 3; round++) {
      const page = await h.cache.getItems(h.target(node));
      expect(page.source).toBe('service');
      expect(page.items.map((i) => i.id)).toEqual(['a']);
      await h.waitForState(node, 'NO_SYNC');
    }
    const info = await h.cache.node(h.target(node));
    expect(info?.analyser).toBe(analyser);
    if (error !== undefined) expect(JSON.stringify(info?.extra)).toMatch(error);
    expect(h.service.count('subscribe')).toBe(0);
    // Analysed once: one max_items=1 probe, not one per request.
    expect(h.service.count('getNodeConfiguration')).toBe(1);
  });

  it('an error while analysing records the node as not synchronised', async () => {
    h = await cacheHarness();
    fill(h, BLOG, 3);
    h.service.failItems = 'forbidden';
    await expect(h.cache.getItems(h.target(BLOG))).rejects.toBeInstanceOf(PubsubError);
    await h.waitForState(BLOG, 'NO_SYNC');
    h.service.failItems = undefined;
    expect((await h.cache.getItems(h.target(BLOG))).source).toBe('service');
    expect(JSON.stringify((await h.cache.node(h.target(BLOG)))?.extra)).toMatch(/forbidden/);
  });

  it('a node that does not exist is not recorded; the error reaches the caller', async () => {
    h = await cacheHarness();
    const failure = await h.cache.getItems(h.target('nowhere')).catch((e: unknown) => e);
    expect(failure).toMatchObject({ code: 'pubsub.error', condition: 'item-not-found' });
    await waitFor(async () => h?.service.count('getItems') === 2, 'the analysis probe');
    await new Promise((r) => setTimeout(r, 50));
    expect(await h.cache.node(h.target('nowhere'))).toBeNull();
  });
});

describe('one synchronisation per node', () => {
  it('concurrent requests start a single analysis and a single sync', async () => {
    h = await cacheHarness();
    fill(h, BLOG, 40);
    const held = gate();
    h.service.gate = held.promise;
    const requests = Array.from({ length: 8 }, () => h?.cache.getItems(h.target(BLOG), {}));
    await new Promise((r) => setTimeout(r, 30));
    held.open();
    h.service.gate = undefined;
    const pages = await Promise.all(requests);
    expect(pages.every((p) => p?.source === 'service')).toBe(true);
    await h.waitForState(BLOG, 'COMPLETED');
    const more = await Promise.all(
      Array.from({ length: 4 }, () => h?.cache.synchronise(h.target(BLOG), false)),
    );
    expect(more.every((o) => o?.state === 'COMPLETED')).toBe(true);
    expect(h.service.count('getNodeConfiguration')).toBe(1);
    expect(h.service.count('subscribe')).toBe(1);
    expect(h.emitted.filter((e) => e.type === 'cacheSynced')).toHaveLength(1);
  });

  it('synchronise() while a sync runs joins it instead of starting another', async () => {
    h = await cacheHarness();
    fill(h, BLOG, 40);
    await h.cache.synchronise(h.target(BLOG));
    const held = gate();
    h.service.gate = held.promise;
    const a = h.cache.synchronise(h.target(BLOG), true);
    const b = h.cache.synchronise(h.target(BLOG), true);
    await h.waitForState(BLOG, 'IN_PROGRESS');
    held.open();
    expect(await a).toEqual({ state: 'COMPLETED', items: 40 });
    expect(await b).toEqual({ state: 'COMPLETED', items: 40 });
    expect(h.service.count('subscribe')).toBe(2);
  });

  it('a node left IN_PROGRESS by a restart is reset and synchronised again', async () => {
    h = await cacheHarness();
    fill(h, BLOG, 12);
    await h.cache.synchronise(h.target(BLOG));
    // As if the process died mid-sync: state IN_PROGRESS and a stale partial item.
    await h.storage.request({
      type: 'pubsub.node.sync-state',
      profile: 'alice',
      service: h.target(BLOG).service,
      nodes: [BLOG],
      state: 'IN_PROGRESS',
    });
    await h.storage.request({
      type: 'pubsub.items.upsert',
      ...h.target(BLOG),
      items: [{ name: 'stale', data: atom('stale') }],
    });
    const dataDir = h.dataDir;
    await h.close(true);
    h = await cacheHarness({ dataDir });
    fill(h, BLOG, 12);
    const page = await h.cache.getItems(h.target(BLOG), { maxItems: 2 });
    expect(page.source).toBe('service');
    await h.waitForState(BLOG, 'COMPLETED');
    const names = (await h.cached(BLOG)).map((i) => i.name);
    expect(names).toHaveLength(12);
    expect(names).not.toContain('stale');
    expect(h.logs.some((l) => /left IN_PROGRESS/.test(l.message))).toBe(true);
  });

  it('a sync past its deadline is cancelled and started again', async () => {
    let now = 1_000_000;
    const clock: Clock = { now: () => now, setTimeout: () => () => {} };
    h = await cacheHarness({ clock, config: { syncDeadlineMs: 60_000 } });
    fill(h, BLOG, 30);
    await h.cache.synchronise(h.target(BLOG));
    const held = gate();
    h.service.gate = held.promise;
    const firstSync = h.cache.synchronise(h.target(BLOG));
    await h.waitForState(BLOG, 'IN_PROGRESS');
    now += 30_000;
    // Requests meanwhile go to the service (held by the gate too, so not awaited here).
    const early = h.cache.getItems(h.target(BLOG));
    await h.cache.node(h.target(BLOG)); // handled after the request: the actor has decided
    expect(h.service.count('subscribe')).toBe(2);
    now += 31_000;
    const late = h.cache.getItems(h.target(BLOG));
    await waitFor(() => h?.service.count('subscribe') === 3, 'a second sync');
    h.service.gate = undefined;
    held.open();
    expect(await firstSync).toEqual({ state: 'COMPLETED', items: 30 });
    expect((await early).source).toBe('service');
    expect((await late).source).toBe('service');
    expect(h.logs.some((l) => /past its deadline/.test(l.message))).toBe(true);
    expect(h.emitted.filter((e) => e.type === 'cacheSynced')).toHaveLength(2);
    expect(await h.cached(BLOG)).toHaveLength(30);
  });
});

describe('switches and operations', () => {
  it('use_cache false goes to the service; a disabled cache never analyses', async () => {
    h = await cacheHarness();
    fill(h, BLOG, 5);
    await h.cache.synchronise(h.target(BLOG));
    const before = h.service.count('getItems');
    const page = await h.cache.getItems(h.target(BLOG), { maxItems: 2, useCache: false });
    expect(page.source).toBe('service');
    expect(h.service.count('getItems')).toBe(before + 1);
    await h.close();

    h = await cacheHarness({ config: { enabled: false } });
    fill(h, BLOG, 5);
    expect((await h.cache.getItems(h.target(BLOG))).source).toBe('service');
    await new Promise((r) => setTimeout(r, 30));
    expect(await h.cache.node(h.target(BLOG))).toBeNull();
    expect(h.service.count('getItems')).toBe(1);
  });

  it('synchronise() forces a node without analyser; resync=false leaves a known node alone', async () => {
    h = await cacheHarness();
    h.service.publish('plain', 'x', '<x xmlns="urn:example"/>');
    await h.cache.getItems(h.target('plain'));
    await h.waitForState('plain', 'NO_SYNC');
    expect(await h.cache.synchronise(h.target('plain'), false)).toEqual({
      state: 'NO_SYNC',
      items: 0,
    });
    expect(await h.cache.synchronise(h.target('plain'))).toEqual({ state: 'COMPLETED', items: 1 });
    expect((await h.cached('plain'))[0]?.parsed).toBeNull();
    expect((await h.cache.getItems(h.target('plain'))).source).toBe('cache');
  });

  it('purge with filters deletes items; reset drops every node', async () => {
    h = await cacheHarness();
    fill(h, BLOG, 6);
    h.service.publish('other', 'o', atom('o'));
    await h.cache.synchronise(h.target(BLOG));
    await h.cache.synchronise(h.target('other'));
    expect(await h.cache.purge({ nodes: ['other'] })).toEqual({ deleted: 1 });
    expect(await h.cached(BLOG)).toHaveLength(6);
    expect(await h.cache.purge({ types: ['blog'], createdBefore: 0 })).toEqual({ deleted: 0 });
    const hits = await h.cache.search({ nodes: [BLOG], limit: 2 });
    expect(hits).toHaveLength(2);
    expect(await h.cache.reset()).toEqual({ deleted: 2 });
    expect(await h.cache.node(h.target(BLOG))).toBeNull();
  });

  it('notifyNamespaces: syncing analysers and synchronised nodes', async () => {
    h = await cacheHarness();
    h.service.publish('plain', 'x', '<x xmlns="urn:example"/>');
    expect(await h.cache.notifyNamespaces()).toEqual(['broken:', BLOG]);
    await h.cache.synchronise(h.target('plain'));
    expect(await h.cache.notifyNamespaces()).toEqual(['broken:', 'plain', BLOG]);
  });

  it('an offline profile gets a typed error', async () => {
    h = await cacheHarness();
    h.setOnline(false);
    await expect(h.cache.getItems(h.target(BLOG))).rejects.toMatchObject({ code: 'cache.offline' });
  });
});
