import { describe, expect, it } from 'vitest';
import { NS } from './namespaces.js';
import { createPubsubClient, type PubsubIq } from './pubsub-client.js';
import { PubsubError, PubsubResponseError } from './pubsub-error.js';
import { parseXml, type XmlElement } from './xml.js';

/** A fake service: records requests, answers with the next canned reply (text or a thrower). */
function fakeIq(replies: Array<string | ((req: XmlElement) => string)>) {
  const requests: XmlElement[] = [];
  const timeouts: Array<number | undefined> = [];
  const iq: PubsubIq = async (req, timeoutMs) => {
    requests.push(req);
    timeouts.push(timeoutMs);
    const reply = replies.shift();
    if (reply === undefined) throw new Error('no more canned replies');
    return parseXml(typeof reply === 'string' ? reply : reply(req));
  };
  return { iq, requests, timeouts };
}

const ok = `<iq type='result'/>`;
const page = (ids: string[], set: string) =>
  `<iq type='result'><pubsub xmlns='${NS.pubsub}'><items node='n'>${ids
    .map((id) => `<item id='${id}'><p xmlns='urn:p'>${id}</p></item>`)
    .join('')}</items>${set}</pubsub></iq>`;
const rsmSet = (first: string, index: number, last: string, count: number) =>
  `<set xmlns='${NS.rsm}'><first index='${index}'>${first}</first><last>${last}</last><count>${count}</count></set>`;

describe('pubsub client', () => {
  it('publishes with publish-options and returns the ids the service reports (§7.1.2)', async () => {
    const { iq, requests, timeouts } = fakeIq([
      `<iq type='result'><pubsub xmlns='${NS.pubsub}'><publish node='n'><item id='generated-1'/></publish></pubsub></iq>`,
    ]);
    const client = createPubsubClient({ iq, timeoutMs: 5000 });
    const ids = await client.publish('pubsub.x', 'n', [{ payload: '<entry xmlns="urn:e"/>' }], {
      publishOptions: { 'pubsub#access_model': 'open' },
    });
    expect(ids).toEqual(['generated-1']);
    expect(timeouts).toEqual([5000]);
    const pubsub = requests[0]?.getChild('pubsub', NS.pubsub);
    expect(requests[0]?.attrs).toMatchObject({ type: 'set', to: 'pubsub.x' });
    expect(pubsub?.getChild('publish')?.getChild('item')?.attrs.id).toBeUndefined();
    expect(pubsub?.getChild('publish')?.getChild('item')?.getChild('entry', 'urn:e')).toBeDefined();
    const form = pubsub?.getChild('publish-options')?.getChild('x', NS.dataForms);
    expect(form?.toString()).toContain(NS.pubsubPublishOptions);
    expect(form?.toString()).toContain(
      '<field var="pubsub#access_model"><value>open</value></field>',
    );
  });

  it('falls back to the requested ids on an empty publish result', async () => {
    const { iq } = fakeIq([ok]);
    expect(await createPubsubClient({ iq }).publish('s', 'n', [{ id: 'mine' }])).toEqual(['mine']);
  });

  it('rejects a payload with a DOCTYPE before sending anything', async () => {
    const { iq, requests } = fakeIq([ok]);
    await expect(
      createPubsubClient({ iq }).publish('s', 'n', [{ payload: '<!DOCTYPE x><x/>' }]),
    ).rejects.toThrow(/DOCTYPE/);
    expect(requests).toHaveLength(0);
  });

  it('retracts with notify (§7.2.1)', async () => {
    const { iq, requests } = fakeIq([ok]);
    await createPubsubClient({ iq }).retract('s', 'n', ['a', 'b'], { notify: true });
    expect(requests[0]?.toString()).toBe(
      `<iq type="set" to="s"><pubsub xmlns="${NS.pubsub}"><retract node="n" notify="true"><item id="a"/><item id="b"/></retract></pubsub></iq>`,
    );
  });

  it('subscribes (§6.1.2 Example 35 result) and unsubscribes with subid', async () => {
    const { iq, requests } = fakeIq([
      `<iq type='result'><pubsub xmlns='${NS.pubsub}'><subscription node='princely_musings' jid='francisco@denmark.lit' subid='ba49252aaa4f5d320c24d3766f0bdcade78c78d3' subscription='subscribed'/></pubsub></iq>`,
      `<iq type='result'><pubsub xmlns='${NS.pubsub}'><subscription node='princely_musings' jid='francisco@denmark.lit' subscription='pending'/></pubsub></iq>`,
      ok,
    ]);
    const client = createPubsubClient({ iq });
    expect(await client.subscribe('s', 'princely_musings', 'francisco@denmark.lit')).toEqual({
      node: 'princely_musings',
      jid: 'francisco@denmark.lit',
      state: 'subscribed',
      subid: 'ba49252aaa4f5d320c24d3766f0bdcade78c78d3',
    });
    expect((await client.subscribe('s', 'princely_musings', 'francisco@denmark.lit')).state).toBe(
      'pending',
    );
    const gone = await client.unsubscribe('s', 'princely_musings', 'francisco@denmark.lit', {
      subid: 'ba49',
    });
    expect(gone.state).toBe('none');
    expect(requests[2]?.getChild('pubsub')?.getChild('unsubscribe')?.attrs).toEqual({
      node: 'princely_musings',
      jid: 'francisco@denmark.lit',
      subid: 'ba49',
    });
  });

  it('creates an instant node and reads its name (§8.1.2)', async () => {
    const { iq, requests } = fakeIq([
      `<iq type='result'><pubsub xmlns='${NS.pubsub}'><create node='25e3d37dabbab9541f7523321421edc5bfeb2dae'/></pubsub></iq>`,
    ]);
    expect(
      await createPubsubClient({ iq }).createNode('s', undefined, { 'pubsub#max_items': 5 }),
    ).toBe('25e3d37dabbab9541f7523321421edc5bfeb2dae');
    const configure = requests[0]?.getChild('pubsub')?.getChild('configure');
    expect(configure?.toString()).toContain(NS.pubsubNodeConfig);
    expect(configure?.toString()).toContain('<value>5</value>');
  });

  it('gets node configuration as plain values, deletes with redirect and purges (owner ns)', async () => {
    const { iq, requests } = fakeIq([
      `<iq type='result'><pubsub xmlns='${NS.pubsubOwner}'><configure node='n'><x xmlns='jabber:x:data' type='form'>
        <field var='FORM_TYPE' type='hidden'><value>${NS.pubsubNodeConfig}</value></field>
        <field var='pubsub#max_items' type='text-single'><value>100</value></field>
        <field var='pubsub#notify_retract' type='boolean'><value>1</value></field>
      </x></configure></pubsub></iq>`,
      ok,
      ok,
    ]);
    const client = createPubsubClient({ iq });
    const config = await client.getNodeConfiguration('s', 'n');
    expect(config.values).toEqual({ 'pubsub#max_items': '100', 'pubsub#notify_retract': true });
    await client.deleteNode('s', 'n', { redirect: 'xmpp:s?;node=m' });
    await client.purgeNode('s', 'n');
    expect(
      requests.map((r) => r.getChild('pubsub', NS.pubsubOwner)?.children[0]?.toString()),
    ).toEqual([
      '<configure node="n"/>',
      '<delete node="n"><redirect uri="xmpp:s?;node=m"/></delete>',
      '<purge node="n"/>',
    ]);
  });

  it('reports RSM support from disco#info (pubsub#rsm or rsm) and the identity', async () => {
    const info = (feature: string) =>
      `<iq type='result'><query xmlns='${NS.discoInfo}'><identity category='pubsub' type='service' name='Publish-Subscribe'/><feature var='${NS.pubsub}'/><feature var='${feature}'/></query></iq>`;
    const { iq } = fakeIq([info(NS.pubsubRsm), info(NS.rsm), info(`${NS.pubsub}#publish`)]);
    const client = createPubsubClient({ iq });
    expect(await client.supportsRsm('s')).toBe(true);
    expect(await client.supportsRsm('s')).toBe(true);
    expect(await client.supportsRsm('s')).toBe(false);
    const { iq: iq2 } = fakeIq([info(NS.pubsubRsm)]);
    const parsed = await createPubsubClient({ iq: iq2 }).discoInfo('s');
    expect(parsed.identities).toEqual([
      { category: 'pubsub', type: 'service', name: 'Publish-Subscribe', lang: undefined },
    ]);
  });

  it('turns an error reply (resolved or rejected) into a PubsubError with node and service', async () => {
    const errorIq = `<iq type='error'><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>`;
    const { iq } = fakeIq([errorIq]);
    const resolved = await createPubsubClient({ iq })
      .getItems('s', 'n')
      .catch((e: unknown) => e);
    expect(resolved).toBeInstanceOf(PubsubError);
    expect((resolved as PubsubError).details).toMatchObject({
      condition: 'item-not-found',
      service: 's',
      node: 'n',
    });
    const rejecting: PubsubIq = async () => {
      throw Object.assign(new Error('forbidden'), {
        element: parseXml(
          `<error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>`,
        ),
      });
    };
    await expect(createPubsubClient({ iq: rejecting }).purgeNode('s', 'n')).rejects.toMatchObject({
      code: 'pubsub.error',
      condition: 'forbidden',
      errorType: 'auth',
    });
    const timeout = new Error('timeout');
    const timingOut: PubsubIq = async () => {
      throw timeout;
    };
    await expect(createPubsubClient({ iq: timingOut }).purgeNode('s', 'n')).rejects.toBe(timeout);
  });

  it('iterates pages with RSM after, stopping at count', async () => {
    const { iq, requests } = fakeIq([
      page(['a', 'b'], rsmSet('ka', 0, 'kb', 5)),
      page(['c', 'd'], rsmSet('kc', 2, 'kd', 5)),
      page(['e'], rsmSet('ke', 4, 'ke', 5)),
    ]);
    const seen: string[] = [];
    for await (const p of createPubsubClient({ iq }).iterateItems('s', 'n', { pageSize: 2 })) {
      seen.push(...p.items.map((i) => i.id));
    }
    expect(seen).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(requests.map((r) => r.getChild('pubsub')?.getChild('set', NS.rsm)?.toString())).toEqual([
      `<set xmlns="${NS.rsm}"><max>2</max></set>`,
      `<set xmlns="${NS.rsm}"><max>2</max><after>kb</after></set>`,
      `<set xmlns="${NS.rsm}"><max>2</max><after>kd</after></set>`,
    ]);
  });

  it('iterates: one page when the service ignores RSM, limit respected, repeats detected', async () => {
    const noRsm = fakeIq([page(['a', 'b', 'c'], '')]);
    const pages = [];
    for await (const p of createPubsubClient({ iq: noRsm.iq }).iterateItems('s', 'n'))
      pages.push(p);
    expect(pages).toHaveLength(1);
    expect(noRsm.requests).toHaveLength(1);

    const limited = fakeIq([
      page(['a', 'b'], rsmSet('ka', 0, 'kb', 100)),
      page(['c'], rsmSet('kc', 2, 'kc', 100)),
    ]);
    const ids: string[] = [];
    for await (const p of createPubsubClient({ iq: limited.iq }).iterateItems('s', 'n', {
      pageSize: 2,
      limit: 3,
    })) {
      ids.push(...p.items.map((i) => i.id));
    }
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(
      limited.requests[1]?.getChild('pubsub')?.getChild('set', NS.rsm)?.getChild('max')?.getText(),
    ).toBe('1');

    const repeating = fakeIq([
      page(['a'], rsmSet('ka', 0, 'ka', 9)),
      page(['a'], rsmSet('ka', 0, 'ka', 9)),
    ]);
    const drain = async () => {
      for await (const _ of createPubsubClient({ iq: repeating.iq }).iterateItems('s', 'n', {
        pageSize: 1,
      })) {
        // consume
      }
    };
    await expect(drain()).rejects.toBeInstanceOf(PubsubResponseError);
  });
});
