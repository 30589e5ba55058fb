/**
 * The pubsub cache against a real ejabberd (SQL pubsub backend, XEP-0059 RSM): paging over
 * more than one page, the cache limit, a service that repeats items, answers from the cache
 * without IQs, and events keeping the node true.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchEntry } from '../../src/parsers/test-fixtures/atom-entries.js';
import {
  createPubsubClient,
  NS,
  type PubsubClient,
  type XmlElement,
} from '../../src/pubsub/index.js';
import { type EjabberdServer, startEjabberd } from '../helpers/ejabberd.js';
import {
  connectClient,
  countingPubsub,
  startCache,
  waitUntil,
  type XmppClient,
} from './cache-setup.js';

const N = 130;
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `item-${from + i}`);

describe('pubsub cache against ejabberd', () => {
  let ej: EjabberdServer;
  let alice: XmppClient;
  let bob: XmppClient;
  let bobPubsub: PubsubClient;
  let aliceJid: string;
  const node = 'aviary-cache-blog';

  beforeAll(async () => {
    ej = await startEjabberd({
      users: [
        { username: 'alice', password: 'secret' },
        { username: 'bob', password: 'secret' },
      ],
      starttls: false,
      // Mnesia: the SQL backend's first write sometimes fails with internal-server-error (type
      // wait) while ejabberd creates its schema; test/pubsub/ejabberd-rsm.test.ts covers SQL.
      pubsubBackend: 'mnesia',
    });
    const login = { port: ej.c2sPort, domain: ej.domain, password: 'secret' };
    alice = await connectClient({ ...login, username: 'alice' });
    bob = await connectClient({ ...login, username: 'bob' });
    aliceJid = alice.jid?.bare().toString() ?? '';
    bobPubsub = createPubsubClient({ iq: (req, ms) => bob.iqCaller.request(req, ms) });
    await bobPubsub.createNode(ej.pubsubService, node, { 'pubsub#max_items': 10000 });
    for (let i = 0; i < N; i += 10) {
      await Promise.all(
        ids(10, i).map((id, k) =>
          bobPubsub.publish(ej.pubsubService, node, [{ id, payload: benchEntry(i + k) }]),
        ),
      );
    }
  });

  afterAll(async () => {
    await alice?.stop().catch(() => {});
    await bob?.stop().catch(() => {});
    await ej?.stop();
  });

  it('synchronises a node larger than one page, then answers from the cache with no IQ', async () => {
    const { client, counter } = countingPubsub(alice);
    const c = await startCache({ pubsub: client, jid: aliceJid, config: { pageSize: 50 } });
    c.route(alice);
    const target = { profile: 'alice', service: ej.pubsubService, node };
    try {
      const first = await c.cache.getItems(target, { maxItems: 20 });
      expect(first.source).toBe('service');
      const outcome = await c.cache.synchronise(target, false);
      expect(outcome).toEqual({ state: 'COMPLETED', items: N });
      expect(await c.cachedNames(ej.pubsubService, node)).toEqual(ids(N));
      const info = await c.cache.node(target);
      expect(info).toMatchObject({ analyser: 'xep-0277', type: 'blog', subscribed: true });

      const iqs = counter.iqs;
      const latest = await c.cache.getItems(target, { maxItems: 20 });
      const page = await c.cache.getItems(target, { rsm: { max: 50, index: 100 } });
      expect(counter.iqs).toBe(iqs); // answered from the cache: no IQ sent
      expect(latest.source).toBe('cache');
      const server = await c.cache.getItems(target, { maxItems: 20, useCache: false });
      expect(counter.iqs).toBe(iqs + 1);
      expect(server.source).toBe('service');
      expect(latest.items.map((i) => i.id).sort()).toEqual(server.items.map((i) => i.id).sort());
      expect(latest.items.map((i) => i.xml)).toEqual(
        ids(20, N - 20).map((id) => server.items.find((i) => i.id === id)?.xml),
      );
      expect(page.items.map((i) => i.id)).toEqual(ids(30, 100));
      expect(page.rsm).toMatchObject({ count: N, firstIndex: 100 });
      expect(page.complete).toBe(true);

      // Events keep it true: alice subscribed during the sync.
      await bobPubsub.publish(ej.pubsubService, node, [{ id: 'fresh', payload: benchEntry(999) }]);
      await bobPubsub.retract(ej.pubsubService, node, ['item-0'], { notify: true });
      await waitUntil(async () => {
        const names = await c.cachedNames(ej.pubsubService, node);
        return names.includes('fresh') && !names.includes('item-0');
      }, 'publish and retract events');
    } finally {
      await c.close();
    }
  });

  it('an overlapped sync of several nodes stores every item exactly once, with its parsed JSON', async () => {
    const nodes = ['aviary-overlap-0', 'aviary-overlap-1', 'aviary-overlap-2'];
    const M = 60;
    for (const n of nodes) await bobPubsub.createNode(ej.pubsubService, n);
    for (let i = 0; i < M; i += 10) {
      await Promise.all(
        nodes.flatMap((n) =>
          ids(10, i).map((id, k) =>
            bobPubsub.publish(ej.pubsubService, n, [{ id, payload: benchEntry(i + k) }]),
          ),
        ),
      );
    }
    const { client } = countingPubsub(alice);
    // Pages of 25: each node takes three pages, and the three syncs run at once.
    const c = await startCache({ pubsub: client, jid: aliceJid, config: { pageSize: 25 } });
    try {
      const outcomes = await Promise.all(
        nodes.map((n) =>
          c.cache.synchronise({ profile: 'alice', service: ej.pubsubService, node: n }),
        ),
      );
      expect(outcomes).toEqual(nodes.map(() => ({ state: 'COMPLETED', items: M })));
      for (const n of nodes) {
        const page = await c.storage.request({
          type: 'pubsub.items.get',
          profile: 'alice',
          service: ej.pubsubService,
          node: n,
        });
        expect(page.items.map((i) => i.name)).toEqual(ids(M));
        page.items.forEach((item, i) => {
          expect(item.data).toContain(`Post number ${i}<`);
          expect(item.parsed).toMatchObject({
            title: { text: `Post number ${i}` },
            id: expect.stringMatching(new RegExp(`;item=post-${i}$`)),
          });
        });
      }
    } finally {
      await c.close();
    }
  });

  it('keeps the most recent items up to a low cache limit', async () => {
    const { client, counter } = countingPubsub(alice);
    const c = await startCache({
      pubsub: client,
      jid: aliceJid,
      config: { pageSize: 40, limit: 100 },
    });
    const target = { profile: 'alice', service: ej.pubsubService, node };
    try {
      const outcome = await c.cache.synchronise(target);
      expect(outcome).toEqual({ state: 'COMPLETED', items: 100 });
      const names = await c.cachedNames(ej.pubsubService, node);
      expect(names).toHaveLength(100);
      expect(names.at(-1)).toBe('fresh');
      expect(names).not.toContain('item-1');
      // analysis (2) + subscribe + probe + index jump + 2 more pages of 40/20
      expect(counter.iqs).toBeLessThanOrEqual(8);
    } finally {
      await c.close();
    }
  });

  it('catches a service that repeats pages: ERROR, no partial items', async () => {
    // A broken service: it ignores <after/> and sends the first page again.
    const broken = createPubsubClient({
      iq: (request: XmlElement, ms) => {
        const set = request.getChild('pubsub', NS.pubsub)?.getChild('set', NS.rsm);
        if (set !== undefined)
          set.children = set.children.filter((c) => typeof c === 'string' || c.name !== 'after');
        return alice.iqCaller.request(request, ms);
      },
    });
    const c = await startCache({ pubsub: broken, jid: aliceJid, config: { pageSize: 25 } });
    const target = { profile: 'alice', service: ej.pubsubService, node };
    try {
      const outcome = await c.cache.synchronise(target);
      expect(outcome.state).toBe('ERROR');
      expect(outcome.reason).toMatch(/twice/);
      expect(await c.cachedNames(ej.pubsubService, node)).toEqual([]);
      expect((await c.cache.getItems(target, { maxItems: 3 })).source).toBe('service');
    } finally {
      await c.close();
    }
  });
});
