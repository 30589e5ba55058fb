import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../util/clock.js';
import { ProfileContacts } from './profile-contacts.js';
import type { RosterSnapshot } from './roster-book.js';
import type { SubscriptionPolicy } from './subscription-policy.js';

const own = 'romeo@montague.example/garden';

/** A ProfileContacts over in-memory fakes: what it sends, saves and signals is recorded. */
function fakes(
  options: { policy?: SubscriptionPolicy; cached?: RosterSnapshot; online?: boolean } = {},
) {
  const sent: Element[] = [];
  const saved: RosterSnapshot[] = [];
  const events: { type: string; payload: unknown }[] = [];
  const requests: Element[] = [];
  let online = options.online ?? true;
  let policy = options.policy ?? 'ask';
  const clock = new SimulatedClock(1_000);
  const contacts = new ProfileContacts({
    ownJid: () => own,
    online: () => online,
    iq: async (element) => {
      requests.push(element);
      return xml('iq', { type: 'result' });
    },
    send: async (element) => {
      sent.push(element);
    },
    cache: {
      load: async () => options.cached,
      save: async (snapshot) => {
        saved.push(snapshot);
      },
    },
    policy: () => policy,
    signals: {
      rosterChanged: (payload) => events.push({ type: 'rosterChanged', payload }),
      presenceChanged: (payload) => events.push({ type: 'presenceChanged', payload }),
      subscriptionRequest: (payload) => events.push({ type: 'subscriptionRequest', payload }),
    },
    clock,
    log: { warn() {} },
    pushWaitMs: 50,
  });
  return {
    contacts,
    sent,
    saved,
    events,
    requests,
    clock,
    setOnline: (value: boolean) => {
      online = value;
    },
    setPolicy: (value: SubscriptionPolicy) => {
      policy = value;
    },
  };
}

const subscribe = (from: string) => xml('presence', { from, type: 'subscribe' });
const rosterPush = (attrs: Record<string, string>, item: Record<string, string>) =>
  xml(
    'iq',
    { type: 'set', id: 'push1', ...attrs },
    xml('query', { xmlns: 'jabber:iq:roster', ver: 'v2' }, xml('item', item)),
  );
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('ProfileContacts', () => {
  it('accept and reject answer a subscription request at once and announce the decision', async () => {
    const f = fakes({ policy: 'accept' });
    f.contacts.handlePresence(subscribe('juliet@capulet.example/balcony'));
    f.setPolicy('reject');
    f.contacts.handlePresence(subscribe('tybalt@capulet.example'));
    await flush();
    expect(f.sent.map((s) => s.toString())).toEqual([
      '<presence to="juliet@capulet.example" type="subscribed"/>',
      '<presence to="tybalt@capulet.example" type="unsubscribed"/>',
    ]);
    expect(f.events.map((e) => e.payload)).toEqual([
      { jid: 'juliet@capulet.example', decision: 'accepted', at: 1_000 },
      { jid: 'tybalt@capulet.example', decision: 'rejected', at: 1_000 },
    ]);
    expect(f.contacts.pending()).toEqual([]);
  });

  it('ask keeps the request until answered; a withdrawn or unknown request cannot be answered', async () => {
    const f = fakes({ policy: 'ask' });
    f.contacts.handlePresence(
      xml(
        'presence',
        { from: 'juliet@capulet.example', type: 'subscribe' },
        xml('status', {}, "it's me"),
      ),
    );
    f.contacts.handlePresence(subscribe('tybalt@capulet.example'));
    f.contacts.handlePresence(
      xml('presence', { from: 'tybalt@capulet.example', type: 'unsubscribe' }),
    );
    expect(f.sent).toEqual([]);
    expect(f.contacts.pending()).toEqual([
      { jid: 'juliet@capulet.example', decision: 'pending', at: 1_000, status: "it's me" },
    ]);
    await expect(f.contacts.answer('juliet@capulet.example', false)).resolves.toMatchObject({
      decision: 'rejected',
    });
    expect(f.sent.map((s) => s.attrs.type)).toEqual(['unsubscribed']);
    await expect(f.contacts.answer('tybalt@capulet.example', true)).rejects.toMatchObject({
      code: 'contacts.no-request',
    });
  });

  it('holds answers made before the stream is announced until it is, and drops them if it fails', async () => {
    const f = fakes({ policy: 'accept', online: false });
    f.contacts.handlePresence(subscribe('juliet@capulet.example'));
    await flush();
    expect(f.sent).toEqual([]);
    f.setOnline(true);
    f.contacts.streamUp();
    await flush();
    expect(f.sent.map((s) => s.attrs.to)).toEqual(['juliet@capulet.example']);
    f.setOnline(false);
    f.contacts.handlePresence(subscribe('tybalt@capulet.example'));
    f.contacts.streamDown();
    f.contacts.streamUp();
    await flush();
    expect(f.sent).toHaveLength(1);
  });

  it('applies, caches, announces and answers a roster push from the account', async () => {
    const f = fakes({ cached: { ver: 'v1', items: [] } });
    await f.contacts.handlePush(
      rosterPush(
        { from: 'romeo@montague.example' },
        { jid: 'juliet@capulet.example', subscription: 'to' },
      ),
    );
    await flush();
    expect(f.saved).toEqual([
      { ver: 'v2', items: [{ jid: 'juliet@capulet.example', subscription: 'to', groups: [] }] },
    ]);
    expect(f.events).toEqual([
      {
        type: 'rosterChanged',
        payload: {
          kind: 'set',
          item: { jid: 'juliet@capulet.example', subscription: 'to', groups: [] },
        },
      },
    ]);
    expect(f.sent.map((s) => s.toString())).toEqual([
      '<iq type="result" id="push1" to="romeo@montague.example"/>',
    ]);
  });

  it('refuses a roster push from another account without changing anything', async () => {
    const f = fakes({ cached: { ver: 'v1', items: [] } });
    await f.contacts.handlePush(
      rosterPush({ from: 'mallory@evil.example' }, { jid: 'mallory@evil.example' }),
    );
    await flush();
    expect(f.saved).toEqual([]);
    expect(f.events).toEqual([]);
    expect(f.sent[0]?.attrs.type).toBe('error');
    expect(f.sent[0]?.getChild('error')?.getChild('service-unavailable')).toBeDefined();
    expect(await f.contacts.list()).toEqual([]);
  });

  it('sends the cached version with the roster get, and an unchanged answer changes nothing', async () => {
    const f = fakes({
      cached: {
        ver: 'v5',
        items: [{ jid: 'juliet@capulet.example', subscription: 'both', groups: [] }],
      },
    });
    await f.contacts.refresh(async (request) => {
      f.requests.push(request);
      return xml('iq', { type: 'result' });
    });
    expect(f.requests[0]?.getChild('query')?.attrs.ver).toBe('v5');
    expect(f.events).toEqual([]);
    expect((await f.contacts.list()).map((i) => i.jid)).toEqual(['juliet@capulet.example']);
  });

  it('without a cached version asks for the whole roster and caches what comes', async () => {
    const f = fakes();
    await f.contacts.refresh(async (request) => {
      f.requests.push(request);
      return xml(
        'iq',
        { type: 'result' },
        xml(
          'query',
          { xmlns: 'jabber:iq:roster', ver: 'v1' },
          xml('item', { jid: 'nurse@capulet.example' }),
        ),
      );
    });
    await flush();
    expect(f.requests[0]?.getChild('query')?.attrs.ver).toBeUndefined();
    expect(f.saved).toEqual([
      { ver: 'v1', items: [{ jid: 'nurse@capulet.example', subscription: 'none', groups: [] }] },
    ]);
  });

  it('lists each contact with its presence, and forgets presence when the stream goes down', async () => {
    const f = fakes({
      cached: { items: [{ jid: 'juliet@capulet.example', subscription: 'both', groups: [] }] },
    });
    f.contacts.handlePresence(
      xml('presence', { from: 'juliet@capulet.example/balcony' }, xml('show', {}, 'away')),
    );
    expect((await f.contacts.list())[0]?.presence).toEqual([
      { resource: 'balcony', show: 'away', priority: 0 },
    ]);
    expect(f.events.at(-1)).toMatchObject({
      type: 'presenceChanged',
      payload: { jid: 'juliet@capulet.example', available: true },
    });
    f.contacts.streamDown();
    expect((await f.contacts.list())[0]?.presence).toEqual([]);
  });

  it('add sends the roster set (and a subscription request) and refuses a bad JID', async () => {
    const f = fakes();
    const adding = f.contacts.add({
      jid: 'Juliet@Capulet.Example',
      name: 'Juliet',
      subscribe: true,
    });
    await flush();
    await f.contacts.handlePush(
      rosterPush(
        {},
        { jid: 'juliet@capulet.example', name: 'Juliet', subscription: 'none', ask: 'subscribe' },
      ),
    );
    await expect(adding).resolves.toMatchObject({
      jid: 'juliet@capulet.example',
      ask: 'subscribe',
    });
    expect(f.requests[0]?.getChild('query')?.getChild('item')?.attrs).toEqual({
      jid: 'juliet@capulet.example',
      name: 'Juliet',
    });
    expect(f.sent.map((s) => s.attrs.type)).toContain('subscribe');
    await expect(f.contacts.add({ jid: '@nobody' })).rejects.toMatchObject({
      code: 'contacts.invalid-jid',
    });
  });
});
