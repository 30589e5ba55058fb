/**
 * PEP notifications without an explicit subscription (XEP-0163 §4 filtered notifications):
 * a contact's microblog with the default `presence` access model, on Prosody 0.12. The cache
 * supplies `notifyNamespaces()`; the test plays the connection's part (what the runtime wires
 * into caps and disco): mutual presence subscription, XEP-0115 caps in presence and a
 * disco#info answer advertising `<namespace>+notify`. Items published after the sync must
 * reach the cache — where Libervia's refused subscription left its cache stale.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS_MICROBLOG } from '../../src/analysers/index.js';
import { benchEntry } from '../../src/parsers/test-fixtures/atom-entries.js';
import {
  createPubsubClient,
  type PubsubClient,
  PubsubError,
  type XmlElement,
  xml,
} from '../../src/pubsub/index.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import {
  connectClient,
  countingPubsub,
  startCache,
  waitUntil,
  type XmppClient,
} from './cache-setup.js';

const DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const CAPS_NODE = 'https://aviary.example/caps';

/** XEP-0115 §5.1 verification string hash (one identity, no forms). */
function capsVer(features: readonly string[]): string {
  const s = `client/pc//Aviary<${[...features]
    .sort()
    .map((f) => `${f}<`)
    .join('')}`;
  return createHash('sha1').update(s).digest('base64');
}

type Callee = {
  get(ns: string, name: string, handler: (ctx: { element: XmlElement }) => XmlElement): void;
};

describe('PEP notifications follow presence and +notify (Prosody)', () => {
  let prosody: ProsodyFixture;
  let alice: XmppClient;
  let carol: XmppClient;
  let carolPubsub: PubsubClient;
  let carolJid: string;
  let c: Awaited<ReturnType<typeof startCache>>;

  beforeAll(async () => {
    prosody = await startProsody({
      users: [
        { username: 'alice', password: 'secret' },
        { username: 'carol', password: 'secret' },
      ],
      withoutTls: true,
    });
    const login = { port: prosody.c2sPort, domain: prosody.domain, password: 'secret' };
    alice = await connectClient({ ...login, username: 'alice' });
    carol = await connectClient({ ...login, username: 'carol' });
    carolJid = carol.jid?.bare().toString() ?? '';
    const aliceJid = alice.jid?.bare().toString() ?? '';
    // Mutual presence subscription, each side approving the other.
    for (const [who, peer] of [
      [alice, carolJid],
      [carol, aliceJid],
    ] as const) {
      who.on('stanza', (stanza) => {
        if (stanza.name === 'presence' && stanza.attrs.type === 'subscribe') {
          void who.send(xml('presence', { to: stanza.attrs.from, type: 'subscribed' }));
        }
      });
      await who.send(xml('presence', { to: peer, type: 'subscribe' }));
    }
    carolPubsub = createPubsubClient({ iq: (req, ms) => carol.iqCaller.request(req, ms) });
    for (let i = 0; i < 40; i++) {
      await carolPubsub.publish(
        carolJid,
        NS_MICROBLOG,
        [{ id: `p-${i}`, payload: benchEntry(i) }],
        {
          publishOptions: { 'pubsub#max_items': '1000' }, // access model stays `presence`
        },
      );
    }
    const { client } = countingPubsub(alice);
    // The PEP service refuses explicit subscriptions (what Libervia met: service-unavailable).
    const refusing: PubsubClient = {
      ...client,
      subscribe: async (service, node) => {
        throw new PubsubError({ condition: 'service-unavailable', service, node });
      },
    };
    c = await startCache({ pubsub: refusing, jid: aliceJid, config: { pageSize: 50 } });
    c.route(alice);
  }, 180_000);

  afterAll(async () => {
    await c?.close();
    await alice?.stop().catch(() => {});
    await carol?.stop().catch(() => {});
    await prosody?.stop();
  });

  it('a synchronised contact microblog stays fresh through +notify', async () => {
    const target = { profile: 'alice', service: carolJid, node: NS_MICROBLOG };
    await waitUntil(async () => {
      const page = await c.cache
        .getItems(target, { maxItems: 1, useCache: false })
        .catch(() => undefined);
      return page !== undefined;
    }, 'presence subscription giving access to the node');
    expect(await c.cache.synchronise(target)).toEqual({ state: 'COMPLETED', items: 40 });
    // No explicit subscription (refused, as PEP services often do): only +notify remains.
    expect((await c.cache.node(target))?.subscribed).toBe(false);

    const namespaces = await c.cache.notifyNamespaces();
    expect(namespaces).toContain(NS_MICROBLOG);
    const features = [
      DISCO_INFO,
      'http://jabber.org/protocol/caps',
      ...namespaces.map((n) => `${n}+notify`),
    ];
    const ver = capsVer(features);
    let capsQueried = false;
    (alice as unknown as { iqCallee: Callee }).iqCallee.get(DISCO_INFO, 'query', (ctx) => {
      capsQueried = true;
      return xml(
        'query',
        { xmlns: DISCO_INFO, node: ctx.element.attrs.node },
        xml('identity', { category: 'client', type: 'pc', name: 'Aviary' }),
        ...features.map((f) => xml('feature', { var: f })),
      );
    });
    await alice.send(
      xml(
        'presence',
        {},
        xml('c', { xmlns: 'http://jabber.org/protocol/caps', hash: 'sha-1', node: CAPS_NODE, ver }),
      ),
    );

    // Prosody learns the +notify interest from alice's disco#info answer (XEP-0115 §6.2). It
    // reads alice's stream in order, so once a ping sent after that answer is answered, the
    // interest is recorded and the publish below is notified.
    await waitUntil(() => capsQueried, "Prosody's disco#info query for alice's caps");
    await alice.iqCaller.request(
      xml('iq', { type: 'get', to: prosody.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
    );
    // Published after the sync: only a notification can bring it into the cache.
    await carolPubsub.publish(carolJid, NS_MICROBLOG, [{ id: 'fresh', payload: benchEntry(77) }], {
      publishOptions: { 'pubsub#max_items': '1000' },
    });
    await waitUntil(
      async () => (await c.cachedNames(carolJid, NS_MICROBLOG)).includes('fresh'),
      'the +notify notification',
    );
    const latest = await c.cache.getItems(target, { maxItems: 1 });
    expect(latest).toMatchObject({ source: 'cache', items: [{ id: 'fresh' }] });
  });
});
