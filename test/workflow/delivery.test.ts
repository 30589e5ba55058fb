/**
 * On a real Prosody: an offline message keeps its original timestamp (XEP-0203 delay
 * stamped by mod_offline), and a stanza received twice with the same XEP-0359 origin id is
 * stored once.
 */
import xml from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/actors/clock.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import type { RuntimeEvents } from '../../src/runtime/events.js';
import { type ClientConnection, createClientConnection } from '../../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';
import { bodyOf } from './workflow-setup.js';

const users = ['d0', 'd1', 'd2', 'raw'].map((username) => ({
  username,
  password: `pw-${username}`,
}));
let prosody: ProsodyFixture;
let runtime: Aviary;
let raw: ClientConnection;
const received: RuntimeEvents['messageNew'][] = [];
const jid = (user: string) => `${user}@${prosody.domain}`;
const inbox = (profile: string) =>
  received.filter((m) => m.profile === profile && m.direction === 'in').map(bodyOf);

beforeAll(async () => {
  prosody = await startProsody({ users });
  runtime = await startTestRuntime(prosody);
  runtime.events.on('messageNew', (m) => received.push(m));
  await runtime.addProfile(prosodyAccount(prosody, 'd0', 'pw-d0'));
  await runtime.addProfile({ ...prosodyAccount(prosody, 'd1', 'pw-d1'), autoconnect: false });
  await runtime.addProfile(prosodyAccount(prosody, 'd2', 'pw-d2'));
  await runtime.waitForState('d0', 'online');
  await runtime.waitForState('d2', 'online');
  raw = createClientConnection({
    jid: jid('raw'),
    password: 'pw-raw',
    server: { host: '127.0.0.1', port: prosody.c2sPort },
    tls: 'required',
    tlsOptions: { ca: prosody.caCertPem },
    saltedPasswordCache: createSaltedPasswordCache(),
    clock: systemClock,
  });
  await raw.connect();
}, 60_000);
afterAll(async () => {
  await raw?.disconnect().catch(() => undefined);
  await runtime?.stop();
  await prosody?.stop();
});

describe('message delivery on a real Prosody', () => {
  it('a message to a disconnected profile arrives on connect with its original timestamp (XEP-0203)', async () => {
    expect(runtime.entity('d1').state).toBe('offline');
    const sentAt = Date.now();
    const result = await runtime.sendMessage('d0', {
      to: jid('d1'),
      type: 'chat',
      message: { '': 'while you were away' },
    });
    expect(result.outcome).toBe('sent');
    await new Promise((r) => setTimeout(r, 2200)); // long enough to tell the stamp from arrival
    const connectAt = Date.now();
    runtime.connect('d1');
    await waitFor(() => inbox('d1').includes('while you were away'), 15_000);
    const [entry] = await runtime.history('d1');
    // mod_offline stamps whole seconds: the stamp may be up to 1 s before the send.
    expect(entry?.timestamp).toBeGreaterThanOrEqual(Math.floor(sentAt / 1000) * 1000);
    expect(entry?.timestamp).toBeLessThanOrEqual(sentAt + 1000);
    expect(entry?.receivedTimestamp).toBeGreaterThanOrEqual(connectAt);
    expect((entry?.receivedTimestamp ?? 0) - (entry?.timestamp ?? 0)).toBeGreaterThanOrEqual(1200);
    const signalled = received.find(
      (m) => m.profile === 'd1' && bodyOf(m) === 'while you were away',
    );
    expect(signalled?.timestamp).toBe(entry?.timestamp);
    // The sender's copy is not delayed.
    const [own] = await runtime.history('d0', { with: jid('d1') });
    expect(own?.receivedTimestamp ?? null).toBeNull();
  });

  it('the same stanza received twice (same origin id) is stored once; another origin id is not a duplicate', async () => {
    const stanza = (id: string, originId: string, body: string) =>
      xml(
        'message',
        { to: jid('d2'), type: 'chat', id },
        xml('body', {}, body),
        xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: originId }),
      );
    await raw.send(stanza('dup-1', 'origin-dup-1', 'twice'));
    await raw.send(stanza('dup-1', 'origin-dup-1', 'twice'));
    await raw.send(stanza('other-1', 'origin-other-1', 'twice'));
    await raw.send(stanza('barrier-1', 'origin-barrier-1', 'barrier'));
    await waitFor(() => inbox('d2').includes('barrier'));
    const history = await runtime.history('d2', { order: 'asc' });
    expect(history.map((m) => [Object.values(m.message)[0], m.originId])).toEqual([
      ['twice', 'origin-dup-1'],
      ['twice', 'origin-other-1'],
      ['barrier', 'origin-barrier-1'],
    ]);
    expect(runtime.entity('d2').state).toBe('online');
  });
});
