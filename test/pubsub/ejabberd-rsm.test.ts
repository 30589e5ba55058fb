/**
 * The pubsub layer against a real ejabberd (XEP-0060 + XEP-0059 RSM), through stock xmpp.js
 * clients over plain TCP on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPubsubClient,
  type ItemsPage,
  NS,
  type PubsubClient,
  PubsubError,
  type PubsubEvent,
  parsePubsubEvent,
  type XmlElement,
} from '../../src/pubsub/index.js';
import { type EjabberdServer, startEjabberd } from '../helpers/ejabberd.js';
import { waitForValue } from '../helpers/wait-for.js';

interface XmppClient {
  jid: { toString(): string } | null;
  iqCaller: { request(stanza: XmlElement, timeout?: number): Promise<XmlElement> };
  on(event: 'stanza', handler: (stanza: XmlElement) => void): void;
  on(event: 'error', handler: (error: Error) => void): void;
  start(): Promise<unknown>;
  stop(): Promise<unknown>;
}
type ClientFactory = (options: Record<string, unknown>) => XmppClient;

const ITEMS = 60;
const ids = Array.from({ length: ITEMS }, (_, i) => `item-${String(i).padStart(2, '0')}`);
const entry = (i: number) =>
  `<entry xmlns="http://www.w3.org/2005/Atom"><title>Item ${i} &amp; more</title></entry>`;

async function connect(ej: EjabberdServer, username: string): Promise<XmppClient> {
  // @xmpp/client ships no types: import it through a non-literal specifier.
  const specifier = '@xmpp/client';
  const { client } = (await import(specifier)) as { client: ClientFactory };
  const xmpp = client({
    service: `xmpp://127.0.0.1:${ej.c2sPort}`,
    domain: ej.domain,
    resource: 'test',
    // PLAIN: loopback plain-text test server; avoids xmpp.js's slow pure-JS SCRAM.
    credentials: (
      authenticate: (c: object, mechanism: string) => Promise<void>,
      mechanisms: string[],
    ) => {
      expect(mechanisms).toContain('PLAIN');
      return authenticate({ username, password: 'secret' }, 'PLAIN');
    },
  });
  xmpp.on('error', () => {});
  await xmpp.start();
  return xmpp;
}

const waitFor = <T>(find: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> =>
  waitForValue(find, { what, timeoutMs });

// ejabberd 23.01 stores pubsub in SQLite (node_flat_sql) or Mnesia (node_flat); both page with
// RSM, they differ in what disco#info advertises and in how they order a `before` page.
describe.each(['sql', 'mnesia'] as const)('pubsub against ejabberd (%s backend)', (backend) => {
  let ej: EjabberdServer;
  let alice: XmppClient;
  let bob: XmppClient;
  let pubsub: PubsubClient;
  let bobPubsub: PubsubClient;
  const events: PubsubEvent[] = [];
  const node = 'aviary-rsm-test';

  beforeAll(async () => {
    ej = await startEjabberd({
      users: [
        { username: 'alice', password: 'secret' },
        { username: 'bob', password: 'secret' },
      ],
      starttls: false,
      pubsubBackend: backend,
    });
    alice = await connect(ej, 'alice');
    bob = await connect(ej, 'bob');
    bob.on('stanza', (stanza) => {
      if (stanza.name !== 'message') return;
      const event = parsePubsubEvent(stanza);
      if (event !== undefined) events.push(event);
    });
    pubsub = createPubsubClient({ iq: (req, ms) => alice.iqCaller.request(req, ms) });
    bobPubsub = createPubsubClient({ iq: (req, ms) => bob.iqCaller.request(req, ms) });
  });

  afterAll(async () => {
    await alice?.stop().catch(() => {});
    await bob?.stop().catch(() => {});
    await ej?.stop();
  });

  it('disco#info: a pubsub service, RSM advertised by the SQL backend only', async () => {
    const info = await pubsub.discoInfo(ej.pubsubService);
    expect(info.identities).toContainEqual(
      expect.objectContaining({ category: 'pubsub', type: 'service' }),
    );
    expect(info.features).toContain(NS.pubsub);
    expect(info.features).toContain(`${NS.pubsub}#publish-options`);
    expect(await pubsub.supportsRsm(ej.pubsubService)).toBe(backend === 'sql');
    if (backend === 'sql') expect(info.features).toContain(NS.rsm);
    else expect(info.features).not.toContain(NS.rsm);
  });

  it('creates a configured node, reads its configuration and lets bob subscribe', async () => {
    const created = await pubsub.createNode(ej.pubsubService, node, {
      'pubsub#max_items': 1000,
      'pubsub#notify_delete': true,
      'pubsub#notify_retract': true,
    });
    expect(created).toBe(node);
    const config = await pubsub.getNodeConfiguration(ej.pubsubService, node);
    expect(config.form.formType).toBe(NS.pubsubNodeConfig);
    expect(config.values['pubsub#max_items']).toBe('1000');
    expect(config.values['pubsub#access_model']).toBe('open');
    expect(config.values['pubsub#notify_delete']).toBe(true);

    const bobJid = bob.jid?.toString() ?? '';
    const sub = await bobPubsub.subscribe(ej.pubsubService, node, bobJid);
    expect(sub).toMatchObject({ node, jid: bobJid, state: 'subscribed' });
  });

  it(`publishes ${ITEMS} items and bob gets the notifications`, async () => {
    for (let i = 0; i < ITEMS; i++) {
      const published = await pubsub.publish(ej.pubsubService, node, [
        { id: ids[i], payload: entry(i) },
      ]);
      expect(published).toEqual([ids[i]]);
    }
    const last = await waitFor(
      () => events.find((e) => e.type === 'items' && e.items.some((it) => it.id === ids[59])),
      'the last publish notification',
    );
    expect(last.type === 'items' && last.items[0]?.xml).toBe(entry(59));
    expect(last.service).toBe(ej.pubsubService);
  });

  it('max_items returns the most recent items', async () => {
    const page = await pubsub.getItems(ej.pubsubService, node, { maxItems: 5 });
    expect(page.items.map((i) => i.id).sort()).toEqual(ids.slice(-5));
    expect(page.items[0]?.element?.name).toBe('entry');
    expect(
      page.items.every((i) => i.xml.startsWith('<entry xmlns="http://www.w3.org/2005/Atom">')),
    ).toBe(true);
  });

  it('pages with RSM after, before and index, with count/first/last', async () => {
    const pages: ItemsPage[] = [];
    let after: string | undefined;
    for (let n = 0; n < ITEMS / 10; n++) {
      const page = await pubsub.getItems(ej.pubsubService, node, { rsm: { max: 10, after } });
      expect(page.items).toHaveLength(10);
      expect(page.rsm?.count).toBe(ITEMS);
      // ejabberd's SQL backend reports <first index="0"> on every `after` page.
      expect(page.rsm?.firstIndex).toBe(backend === 'sql' ? 0 : n * 10);
      // first/last are opaque keys (ejabberd: modification timestamps), distinct per page.
      expect(page.rsm?.first).toBeTruthy();
      expect(page.rsm?.last).toBeTruthy();
      expect(page.rsm?.last).not.toBe(after);
      pages.push(page);
      after = page.rsm?.last;
    }
    const forward = pages.flatMap((p) => p.items.map((i) => i.id));
    expect(forward).toEqual(ids); // oldest first, every item exactly once

    // A page past the end is empty.
    const end = await pubsub.getItems(ej.pubsubService, node, { rsm: { max: 10, after } });
    expect(end.items).toHaveLength(0);

    const idsOf = (page: ItemsPage | undefined) => page?.items.map((i) => i.id).sort();
    // Backwards from the first key of the last page gives the page before it (the SQL backend
    // lists a `before` page newest first, Mnesia oldest first: compare as sets).
    const back = await pubsub.getItems(ej.pubsubService, node, {
      rsm: { max: 10, before: pages[5]?.rsm?.first },
    });
    expect(idsOf(back)).toEqual(idsOf(pages[4]));
    expect(back.rsm?.count).toBe(ITEMS);

    // `before: ''` asks for the last page.
    const lastPage = await pubsub.getItems(ej.pubsubService, node, {
      rsm: { max: 10, before: '' },
    });
    expect(idsOf(lastPage)).toEqual(ids.slice(50));

    // Jump to index 20: the third page.
    const third = await pubsub.getItems(ej.pubsubService, node, { rsm: { max: 10, index: 20 } });
    expect(third.items.map((i) => i.id)).toEqual(pages[2]?.items.map((i) => i.id));
    expect(third.rsm?.firstIndex).toBe(20);

    // The client's iterator pages through everything and stops at `count` when the service
    // reports a true index (Mnesia); with the SQL backend's index 0 it needs one empty page.
    const requests: number[] = [];
    const counting = createPubsubClient({
      iq: (req, ms) => {
        requests.push(1);
        return alice.iqCaller.request(req, ms);
      },
    });
    const iterated: string[] = [];
    for await (const page of counting.iterateItems(ej.pubsubService, node, { pageSize: 7 })) {
      iterated.push(...page.items.map((i) => i.id));
    }
    expect(iterated).toEqual(ids);
    expect(requests).toHaveLength(Math.ceil(ITEMS / 7) + (backend === 'sql' ? 1 : 0));
  });

  it('retracts with notify', async () => {
    await pubsub.retract(ej.pubsubService, node, [ids[59] as string], { notify: true });
    const event = await waitFor(
      () => events.find((e) => e.type === 'items' && e.retracted.includes(ids[59] as string)),
      'the retract notification',
    );
    expect(event.node).toBe(node);
    const page = await pubsub.getItems(ej.pubsubService, node, { rsm: { max: 0 } });
    expect(page.rsm?.count).toBe(ITEMS - 1);
    const gone = await pubsub.getItems(ej.pubsubService, node, { itemIds: [ids[59] as string] });
    expect(gone.items).toHaveLength(0);
  });

  it('purges, then deletes with a redirect; errors carry their conditions', async () => {
    await pubsub.purgeNode(ej.pubsubService, node);
    await waitFor(() => events.find((e) => e.type === 'purge' && e.node === node), 'purge');
    const empty = await pubsub.getItems(ej.pubsubService, node);
    expect(empty.items).toHaveLength(0);

    const redirect = `xmpp:${ej.pubsubService}?;node=elsewhere`;
    await pubsub.deleteNode(ej.pubsubService, node, { redirect });
    const deleted = await waitFor(
      () => events.find((e) => e.type === 'delete' && e.node === node),
      'delete notification',
    );
    // ejabberd 23.01 accepts the redirect but leaves it out of the notification (the parser's
    // handling of <redirect uri> is covered by the unit tests).
    expect(deleted).toMatchObject({ type: 'delete', node, service: ej.pubsubService });

    const failure = await pubsub.getItems(ej.pubsubService, node).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PubsubError);
    expect(failure).toMatchObject({ code: 'pubsub.error', condition: 'item-not-found' });
    expect((failure as PubsubError).details).toMatchObject({ node, type: 'cancel' });
  });
});
