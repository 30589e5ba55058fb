/**
 * On a real Prosody with mod_carbons: message carbons (XEP-0280) of the account's other device
 * land in the profile's history once, forged carbons are dropped and counted; the roster round
 * trip with versioning (RFC 6121 §2.6); and each subscription policy against a raw client
 * asking to see the profile's presence.
 */
import xml, { type Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import type { RuntimeEvents } from '../../src/runtime/events.js';
import type { ClientConnection } from '../../src/xmpp/client-connection.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { rawPeer } from '../helpers/reliability.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor, waitForValue } from '../helpers/wait-for.js';

const names = ['alice', 'bob', 'mallory', 'carol', 'dave', 'erin', 'frank'];
const users = names.map((username) => ({ username, password: `pw-${username}` }));
let prosody: ProsodyFixture;
let runtime: Aviary;
const raw = new Map<string, ClientConnection>();
const inbound = new Map<string, Element[]>();
const messages: RuntimeEvents['messageNew'][] = [];
const rosterEvents: RuntimeEvents['rosterChanged'][] = [];
const presenceEvents: RuntimeEvents['presenceChanged'][] = [];
const requests: RuntimeEvents['subscriptionRequest'][] = [];
const jid = (user: string) => `${user}@${prosody.domain}`;

/** A raw client of `user` (resource `resource`) whose incoming stanzas are kept. */
async function connectRaw(user: string, resource = 'raw'): Promise<ClientConnection> {
  const conn = await rawPeer(prosody, user, `pw-${user}`, resource);
  const key = `${user}/${resource}`;
  inbound.set(key, []);
  conn.onStanza((stanza) => inbound.get(key)?.push(stanza));
  raw.set(key, conn);
  return conn;
}

const peer = (key: string) => {
  const conn = raw.get(key);
  if (conn === undefined) throw new Error(`no raw client ${key}`);
  return conn;
};

const chat = (to: string, body: string) =>
  xml('message', { to, type: 'chat', id: `m-${body.replace(/\W/g, '-')}` }, xml('body', {}, body));

/** The body of a message whatever its language (Prosody stamps its default `xml:lang`). */
const bodyOf = (m: { readonly message: Readonly<Record<string, string>> }) =>
  Object.values(m.message)[0] ?? '';

const historyBodies = async () =>
  (await runtime.history('alice', { order: 'asc', limit: 1000 })).map(bodyOf);

const forgedCount = async () => {
  const metric = runtime.metrics.registry.getSingleMetric('aviary_carbons_forged_total');
  if (metric === undefined) throw new Error('aviary_carbons_forged_total is not registered');
  return (await metric.get()).values[0]?.value ?? 0;
};

beforeAll(async () => {
  prosody = await startProsody({ users, modules: ['carbons'] });
  runtime = await startTestRuntime(prosody);
  runtime.events.on('messageNew', (m) => messages.push(m));
  runtime.events.on('rosterChanged', (e) => rosterEvents.push(e));
  runtime.events.on('presenceChanged', (e) => presenceEvents.push(e));
  runtime.events.on('subscriptionRequest', (e) => requests.push(e));
  await runtime.addProfile(prosodyAccount(prosody, 'alice', 'pw-alice'));
  await runtime.waitForState('alice', 'online');
  await connectRaw('alice', 'phone');
  await connectRaw('bob');
  await connectRaw('mallory');
}, 60_000);

afterAll(async () => {
  for (const conn of raw.values()) await conn.disconnect().catch(() => undefined);
  await runtime?.stop();
  await prosody?.stop();
});

describe('message carbons (XEP-0280) on Prosody', () => {
  it("stores a message sent from the account's other device once, as the profile's outgoing message", async () => {
    await peer('alice/phone').send(chat(jid('bob'), 'sent from the phone'));
    await waitFor(async () => (await historyBodies()).includes('sent from the phone'), {
      what: 'the sent carbon in history',
    });
    // A later message proves nothing else of the first is still on its way.
    await peer('alice/phone').send(chat(jid('bob'), 'second from the phone'));
    await waitFor(async () => (await historyBodies()).includes('second from the phone'));
    const rows = (await runtime.history('alice')).filter(
      (h) => bodyOf(h) === 'sent from the phone',
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      from: `${jid('alice')}/phone`,
      to: jid('bob'),
      type: 'chat',
      extra: { carbon: 'sent' },
    });
    const signalled = messages.filter((m) => bodyOf(m) === 'sent from the phone');
    expect(signalled.map((m) => m.direction)).toEqual(['out']);
  });

  it('stores a message received by the other device once, through carbons', async () => {
    await peer('bob/raw').send(chat(`${jid('alice')}/phone`, 'to the phone'));
    await waitFor(async () => (await historyBodies()).includes('to the phone'), {
      what: 'the received carbon in history',
    });
    await peer('bob/raw').send(chat(`${jid('alice')}/phone`, 'to the phone again'));
    await waitFor(async () => (await historyBodies()).includes('to the phone again'));
    const rows = (await runtime.history('alice')).filter((h) => bodyOf(h) === 'to the phone');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      from: `${jid('bob')}/raw`,
      to: `${jid('alice')}/phone`,
      extra: { carbon: 'received' },
    });
    const phone = inbound.get('alice/phone') ?? [];
    expect(phone.some((s) => s.getChildText('body') === 'to the phone')).toBe(true);
  });

  it('drops a carbon forged by another account, counts it and logs nothing into history', async () => {
    const before = await forgedCount();
    const profileJid = runtime.entity('alice').jid ?? jid('alice');
    const forged = xml(
      'message',
      { to: profileJid, type: 'chat' },
      xml(
        'received',
        { xmlns: 'urn:xmpp:carbons:2' },
        xml(
          'forwarded',
          { xmlns: 'urn:xmpp:forward:0' },
          xml(
            'message',
            { xmlns: 'jabber:client', from: `${jid('bob')}/raw`, to: profileJid, type: 'chat' },
            xml('body', {}, 'forged copy'),
          ),
        ),
      ),
    );
    await peer('mallory/raw').send(forged);
    await peer('mallory/raw').send(chat(profileJid, 'after the forgery'));
    await waitFor(async () => (await historyBodies()).includes('after the forgery'));
    expect(await forgedCount()).toBe(before + 1);
    expect(await historyBodies()).not.toContain('forged copy');
  });
});

describe('roster with versioning (RFC 6121 §2)', () => {
  it('adds, lists and removes a contact; a reconnect with an unchanged roster costs no refetch', async () => {
    const added = await runtime.contacts.addContact('alice', {
      jid: jid('bob'),
      name: 'Bob',
      groups: ['friends'],
    });
    expect(added).toMatchObject({ jid: jid('bob'), name: 'Bob', groups: ['friends'] });
    expect((await runtime.contacts.roster('alice')).map((i) => i.jid)).toContain(jid('bob'));
    expect(rosterEvents).toContainEqual({
      profile: 'alice',
      change: { kind: 'set', item: expect.objectContaining({ jid: jid('bob') }) },
    });
    const cached = await runtime.storage.request({
      type: 'param.get',
      profile: 'alice',
      category: 'roster',
      name: 'cache',
    });
    const snapshot = JSON.parse(cached ?? '{}') as { ver?: string; items?: { jid: string }[] };
    expect(snapshot.ver).toMatch(/.+/);
    expect(snapshot.items?.map((i) => i.jid)).toContain(jid('bob'));

    // Same roster: the versioned get is answered "unchanged", so no whole roster comes.
    const fullBefore = rosterEvents.filter((e) => e.change.kind === 'full').length;
    await runtime.disconnect('alice');
    runtime.connect('alice');
    await runtime.waitForState('alice', 'online');
    expect(rosterEvents.filter((e) => e.change.kind === 'full')).toHaveLength(fullBefore);

    // Changed while away (by the other device): the next login gets the new roster.
    await runtime.disconnect('alice');
    await peer('alice/phone').iq(
      xml(
        'iq',
        { type: 'set' },
        xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: jid('frank') })),
      ),
    );
    runtime.connect('alice');
    await runtime.waitForState('alice', 'online');
    const full = rosterEvents.filter((e) => e.change.kind === 'full').slice(fullBefore);
    expect(full).toHaveLength(1);
    const change = full[0]?.change;
    expect(change?.kind === 'full' ? change.items.map((i) => i.jid).sort() : []).toEqual(
      [jid('bob'), jid('frank')].sort(),
    );

    expect(await runtime.contacts.removeContact('alice', jid('bob'))).toEqual({ removed: true });
    expect((await runtime.contacts.roster('alice')).map((i) => i.jid)).toEqual([jid('frank')]);
    expect(rosterEvents.at(-1)).toEqual({
      profile: 'alice',
      change: { kind: 'removed', jid: jid('bob') },
    });
  }, 60_000);

  it("tracks a contact's presence once the contact approved the subscription", async () => {
    const carol = await connectRaw('carol');
    await runtime.contacts.addContact('alice', { jid: jid('carol'), subscribe: true });
    const ask = await waitForValue(
      () =>
        inbound
          .get('carol/raw')
          ?.find((s) => s.name === 'presence' && s.attrs.type === 'subscribe'),
      "alice's subscription request at carol",
    );
    expect(ask.attrs.from).toBe(jid('alice'));
    await carol.send(xml('presence', { to: jid('alice'), type: 'subscribed' }));
    await waitFor(() => runtime.contacts.presence('alice').some((c) => c.jid === jid('carol')));
    const entry = (await runtime.contacts.roster('alice')).find((i) => i.jid === jid('carol'));
    expect(entry?.subscription).toBe('to');
    expect(entry?.presence.map((r) => r.resource)).toEqual(['raw']);
    expect(presenceEvents).toContainEqual(
      expect.objectContaining({ profile: 'alice', jid: jid('carol'), available: true }),
    );
    await carol.send(xml('presence', { type: 'unavailable' }));
    await waitFor(() => !runtime.contacts.presence('alice').some((c) => c.jid === jid('carol')));
  });
});

describe('subscription policies', () => {
  /** `user` asks to see alice's presence; resolves with the answer alice's server relays. */
  async function askAlice(user: string): Promise<Element> {
    const conn = raw.get(`${user}/raw`) ?? (await connectRaw(user));
    await conn.send(xml('presence', { to: jid('alice'), type: 'subscribe' }));
    return waitForValue(
      () =>
        inbound
          .get(`${user}/raw`)
          ?.find(
            (s) =>
              s.name === 'presence' &&
              s.attrs.from?.startsWith(jid('alice')) === true &&
              (s.attrs.type === 'subscribed' || s.attrs.type === 'unsubscribed'),
          ),
      `alice's answer to ${user}`,
    );
  }

  it('accept approves at once', async () => {
    await runtime.contacts.updateSettings('alice', { subscriptionPolicy: 'accept' });
    const answer = await askAlice('dave');
    expect(answer.attrs.type).toBe('subscribed');
    expect(requests).toContainEqual(
      expect.objectContaining({ profile: 'alice', jid: jid('dave'), decision: 'accepted' }),
    );
  });

  it('reject refuses at once', async () => {
    await runtime.contacts.updateSettings('alice', { subscriptionPolicy: 'reject' });
    const answer = await askAlice('erin');
    expect(answer.attrs.type).toBe('unsubscribed');
    expect(requests).toContainEqual(
      expect.objectContaining({ profile: 'alice', jid: jid('erin'), decision: 'rejected' }),
    );
  });

  it('ask keeps the request pending, announces it, and the answer operation approves it', async () => {
    await runtime.contacts.updateSettings('alice', { subscriptionPolicy: 'ask' });
    const conn = await connectRaw('frank');
    await conn.send(xml('presence', { to: jid('alice'), type: 'subscribe' }));
    await waitForValue(
      () => requests.find((r) => r.jid === jid('frank') && r.decision === 'pending'),
      "frank's pending request",
    );
    expect(runtime.contacts.subscriptionRequests('alice').map((r) => r.jid)).toEqual([
      jid('frank'),
    ]);
    const answered = await runtime.contacts.answerSubscription('alice', jid('frank'), true);
    expect(answered).toMatchObject({ jid: jid('frank'), decision: 'accepted' });
    const answer = await waitForValue(
      () =>
        inbound
          .get('frank/raw')
          ?.find((s) => s.name === 'presence' && s.attrs.type === 'subscribed'),
      "alice's approval at frank",
    );
    expect(answer.attrs.from).toBe(jid('alice'));
    expect(runtime.contacts.subscriptionRequests('alice')).toEqual([]);
    await expect(runtime.contacts.answerSubscription('alice', jid('frank'), true)).rejects.toThrow(
      /no pending subscription request/,
    );
  });
});
