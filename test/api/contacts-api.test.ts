/**
 * The roster, subscription and contact-settings operations through the control API (the client
 * the CLI uses), against a real Prosody, with their events followed over SSE.
 */
import xml, { type Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectToRuntime, type RuntimeClient } from '../../src/cli/api-client.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import type { ClientConnection } from '../../src/xmpp/client-connection.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { rawPeer } from '../helpers/reliability.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor, waitForValue } from '../helpers/wait-for.js';

let prosody: ProsodyFixture;
let runtime: Aviary;
let client: RuntimeClient;
let bob: ClientConnection;
let unsubscribe: () => void;
const bobInbox: Element[] = [];
const events: { event: string; data: unknown }[] = [];
const jid = (user: string) => `${user}@${prosody.domain}`;

beforeAll(async () => {
  prosody = await startProsody({
    users: [
      { username: 'alice', password: 'pw-alice' },
      { username: 'bob', password: 'pw-bob' },
    ],
  });
  runtime = await startTestRuntime(prosody, { api: true });
  const connected = connectToRuntime(runtime.dataDir);
  if (connected === undefined)
    throw new Error('the control API of the test runtime is not reachable');
  client = connected;
  unsubscribe = client.subscribe((event, data) => events.push({ event, data }));
  await runtime.addProfile(prosodyAccount(prosody, 'alice', 'pw-alice'));
  await runtime.waitForState('alice', 'online');
  bob = await rawPeer(prosody, 'bob', 'pw-bob');
  bob.onStanza((stanza) => bobInbox.push(stanza));
}, 60_000);

afterAll(async () => {
  unsubscribe?.();
  await bob?.disconnect().catch(() => undefined);
  await runtime?.stop();
  await prosody?.stop();
});

describe('contacts through the control API', () => {
  it('adds, lists and removes a contact, with rosterChanged over SSE', async () => {
    const added = await client.call('roster.add', {
      profile: 'alice',
      jid: jid('bob'),
      name: 'Bob',
      groups: ['work'],
    });
    expect(added).toMatchObject({ jid: jid('bob'), name: 'Bob', groups: ['work'] });
    const listed = await client.call('roster.list', { profile: 'alice' });
    expect(listed.map((i) => i.jid)).toEqual([jid('bob')]);
    await waitFor(() =>
      events.some(
        (e) =>
          e.event === 'rosterChanged' &&
          (e.data as { change: { kind: string } }).change.kind === 'set',
      ),
    );
    expect(await client.call('roster.remove', { profile: 'alice', jid: jid('bob') })).toEqual({
      removed: true,
    });
    expect(await client.call('roster.list', { profile: 'alice' })).toEqual([]);
  });

  it('announces a pending request over SSE and answers it through the API', async () => {
    const settings = await client.call('contacts.settings', {
      profile: 'alice',
      subscriptionPolicy: 'ask',
    });
    expect(settings).toEqual({ subscriptionPolicy: 'ask', carbons: true });
    await bob.send(xml('presence', { to: jid('alice'), type: 'subscribe' }));
    const announced = await waitForValue(
      () => events.find((e) => e.event === 'subscriptionRequest'),
      'subscriptionRequest over SSE',
    );
    expect(announced.data).toMatchObject({
      profile: 'alice',
      jid: jid('bob'),
      decision: 'pending',
    });
    const pending = await client.call('subscription.list', { profile: 'alice' });
    expect(pending.map((r) => r.jid)).toEqual([jid('bob')]);
    const answered = await client.call('subscription.answer', {
      profile: 'alice',
      jid: jid('bob'),
      accept: false,
    });
    expect(answered.decision).toBe('rejected');
    const answer = await waitForValue(
      () => bobInbox.find((s) => s.name === 'presence' && s.attrs.type === 'unsubscribed'),
      "alice's refusal at bob",
    );
    expect(answer.attrs.from).toBe(jid('alice'));
    await expect(
      client.call('subscription.answer', { profile: 'alice', jid: jid('bob'), accept: true }),
    ).rejects.toMatchObject({ code: 'contacts.no-request' });
  });

  it('refuses a bad policy and an unknown profile with typed errors', async () => {
    await expect(
      client.call('contacts.settings', {
        profile: 'alice',
        subscriptionPolicy: 'maybe' as 'ask',
      }),
    ).rejects.toMatchObject({ code: 'api.invalid-request' });
    await expect(client.call('roster.list', { profile: 'nobody' })).rejects.toMatchObject({
      code: 'profile.not-found',
    });
  });
});
