/**
 * The pubsub cache against a real Prosody 0.12 (no RSM on pubsub items): a profile caches
 * another account's XEP-0277 microblog (a PEP node), analysed and synchronised in full with
 * `max_items` (not the latest 20), answered from the cache without IQs, and kept true by
 * publish, retract, purge and delete notifications.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_MICROBLOG } from '../../src/analysers/index.js';
import { benchEntry } from '../../src/parsers/test-fixtures/atom-entries.js';
import { createPubsubClient, type PubsubClient } from '../../src/pubsub/index.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import {
  connectClient,
  countingPubsub,
  startCache,
  waitUntil,
  type XmppClient,
} from './cache-setup.js';

const N = 150;
const ids = (n: number, from = 0) => Array.from({ length: n }, (_, i) => `entry-${from + i}`);
const OPTIONS = { 'pubsub#access_model': 'open', 'pubsub#max_items': '1000' };

describe('pubsub cache against Prosody (PEP microblog, no RSM)', () => {
  let prosody: ProsodyFixture;
  let alice: XmppClient;
  let bob: XmppClient;
  let bobPubsub: PubsubClient;
  let bobJid: string;
  let c: Awaited<ReturnType<typeof startCache>>;
  let counter: { iqs: number };
  let target: { profile: string; service: string; node: string };

  beforeAll(async () => {
    prosody = await startProsody({
      users: [
        { username: 'alice', password: 'secret' },
        { username: 'bob', password: 'secret' },
      ],
      // Stock xmpp.js upgrades to TLS whenever offered and cannot be told our test CA: plain
      // text on loopback, PLAIN allowed.
      withoutTls: true,
      // PEP nodes and items in memory: with file storage Prosody rewrites the node's whole file
      // on every publish, and the 150 publishes of the set-up took a minute on a loaded machine.
      memoryStores: ['pep', 'pep_data'],
    });
    const login = { port: prosody.c2sPort, domain: prosody.domain, password: 'secret' };
    alice = await connectClient({ ...login, username: 'alice' });
    bob = await connectClient({ ...login, username: 'bob' });
    bobJid = bob.jid?.bare().toString() ?? '';
    bobPubsub = createPubsubClient({ iq: (req, ms) => bob.iqCaller.request(req, ms) });
    for (let i = 0; i < N; i++) {
      await bobPubsub.publish(
        bobJid,
        NS_MICROBLOG,
        [{ id: `entry-${i}`, payload: benchEntry(i) }],
        {
          publishOptions: OPTIONS,
        },
      );
    }
    const pubsub = countingPubsub(alice);
    counter = pubsub.counter;
    c = await startCache({
      pubsub: pubsub.client,
      jid: alice.jid?.bare().toString() ?? '',
      config: { pageSize: 50 },
    });
    c.route(alice);
    target = { profile: 'alice', service: bobJid, node: NS_MICROBLOG };
  }, 180_000);

  afterAll(async () => {
    await c?.close();
    await alice?.stop().catch(() => {});
    await bob?.stop().catch(() => {});
    await prosody?.stop();
  });

  it('analyses and synchronises every item the node keeps without RSM, then answers with no IQ', async () => {
    const first = await c.cache.getItems(target, { maxItems: 20 });
    expect(first.source).toBe('service');
    expect(first.rsm).toBeUndefined();
    expect(await c.cache.synchronise(target, false)).toEqual({ state: 'COMPLETED', items: N });
    expect(await c.cachedNames(bobJid, NS_MICROBLOG)).toEqual(ids(N));
    // Prosody accepts an explicit subscription to an open-access PEP node.
    expect(await c.cache.node(target)).toMatchObject({
      analyser: 'xep-0277',
      type: 'blog',
      subscribed: true,
    });

    const iqs = counter.iqs;
    const latest = await c.cache.getItems(target, { maxItems: 20 });
    expect(counter.iqs).toBe(iqs); // the second request sends no IQ
    expect(latest.source).toBe('cache');
    expect(latest.items.map((i) => i.id)).toEqual(ids(20, N - 20));
    expect(latest.items.map((i) => i.id).sort()).toEqual(first.items.map((i) => i.id).sort());
    const paged = await c.cache.getItems(target, { rsm: { max: 40, index: 120 } });
    expect(paged.items.map((i) => i.id)).toEqual(ids(30, 120));
    expect(paged.rsm).toMatchObject({ count: N, firstIndex: 120 });

    const direct = await c.cache.getItems(target, { maxItems: 5, useCache: false });
    expect(counter.iqs).toBe(iqs + 1);
    expect(direct.source).toBe('service');
  });

  it('publish and retract notifications update the cache', async () => {
    await bobPubsub.publish(bobJid, NS_MICROBLOG, [{ id: 'late', payload: benchEntry(1000) }], {
      publishOptions: OPTIONS,
    });
    await waitUntil(
      async () => (await c.cachedNames(bobJid, NS_MICROBLOG)).includes('late'),
      'the publish notification',
    );
    await bobPubsub.retract(bobJid, NS_MICROBLOG, ['entry-3'], { notify: true });
    await waitUntil(
      async () => !(await c.cachedNames(bobJid, NS_MICROBLOG)).includes('entry-3'),
      'the retract notification',
    );
    const latest = await c.cache.getItems(target, { maxItems: 1 });
    expect(latest).toMatchObject({ source: 'cache', items: [{ id: 'late' }] });
  });

  it('purge empties the cached node; delete drops it', async () => {
    await bobPubsub.purgeNode(bobJid, NS_MICROBLOG);
    await waitUntil(
      async () => (await c.cachedNames(bobJid, NS_MICROBLOG)).length === 0,
      'the purge notification',
    );
    await bobPubsub.publish(bobJid, NS_MICROBLOG, [{ id: 'after-purge', payload: benchEntry(7) }], {
      publishOptions: OPTIONS,
    });
    await waitUntil(
      async () => (await c.cachedNames(bobJid, NS_MICROBLOG)).includes('after-purge'),
      'a publish after the purge',
    );
    await bobPubsub.deleteNode(bobJid, NS_MICROBLOG);
    await waitUntil(async () => (await c.cache.node(target)) === null, 'the delete notification');
  });
});
