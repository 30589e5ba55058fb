import xml, { type Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/actors/clock.js';
import { isAviaryError } from '../../src/errors.js';
import { type ClientConnection, createClientConnection } from '../../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { waitFor } from '../helpers/wait-for.js';

const N = 20;
const users = Array.from({ length: 60 }, (_, i) => ({ username: `user${i}`, password: `pw-${i}` }));
let prosody: ProsodyFixture;

beforeAll(async () => {
  prosody = await startProsody({ users });
});
afterAll(async () => {
  await prosody?.stop();
});

function client(
  i: number,
  extra: Partial<Parameters<typeof createClientConnection>[0]> = {},
): ClientConnection {
  const user = users[i] as { username: string; password: string };
  return createClientConnection({
    jid: `${user.username}@${prosody.domain}`,
    password: user.password,
    server: { host: '127.0.0.1', port: prosody.c2sPort },
    tls: 'required',
    tlsOptions: { ca: prosody.caCertPem },
    saltedPasswordCache: createSaltedPasswordCache(),
    clock: systemClock,
    ...extra,
  });
}

async function caught(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

describe('client connection against Prosody', () => {
  it(`${N} clients go online with SCRAM over STARTTLS with a verified certificate`, async () => {
    const conns = Array.from({ length: N }, (_, i) => client(i));
    const statuses: string[] = [];
    conns[0]?.onStatus((s) => statuses.push(s));
    await Promise.all(conns.map((c) => c.connect()));
    for (const [i, c] of conns.entries()) {
      expect(c.status).toBe('online');
      expect(c.jid).toMatch(new RegExp(`^user${i}@${prosody.domain}/`));
      expect(c.mechanism).toMatch(/^SCRAM-SHA-/);
      expect(c.roster).toEqual([]);
    }
    expect(statuses).toEqual(['connecting', 'securing', 'authenticating', 'binding', 'online']);
    const pong = await conns[0]?.iq(
      xml('iq', { type: 'get', to: prosody.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
    );
    expect(pong?.attrs.type).toBe('result');
    await Promise.all(conns.map((c) => c.disconnect()));
    expect(conns.every((c) => c.status === 'offline')).toBe(true);
    expect(statuses.at(-1)).toBe('offline');
  });

  it('a second login reuses the cached salted password', async () => {
    const cache = createSaltedPasswordCache();
    for (let round = 0; round < 2; round++) {
      const c = client(20, { saltedPasswordCache: cache });
      await c.connect();
      expect(cache.size).toBe(1);
      await c.disconnect();
    }
  });

  it('pins SCRAM-SHA-1 when asked', async () => {
    const c = client(21, { mechanisms: ['SCRAM-SHA-1'] });
    await c.connect();
    expect(c.mechanism).toBe('SCRAM-SHA-1');
    await c.disconnect();
  });

  it('a wrong password fails with xmpp.auth-failed carrying the SASL condition', async () => {
    const c = client(22, { password: 'wrong' });
    const error = await caught(c.connect());
    expect(isAviaryError(error, 'xmpp.auth-failed')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details.condition).toBe(
      'not-authorized',
    );
    expect(c.status).toBe('offline');
  });

  it('a refused TCP connection is xmpp.connection-failed, not an auth failure', async () => {
    const c = client(23, { server: { host: '127.0.0.1', port: 1 } });
    const error = await caught(c.connect());
    expect(isAviaryError(error, 'xmpp.connection-failed')).toBe(true);
  });

  it('refuses a certificate from an unknown CA unless rejectUnauthorized is false', async () => {
    const strict = client(24, { tlsOptions: {} });
    const error = await caught(strict.connect());
    expect(isAviaryError(error, 'xmpp.tls-failed')).toBe(true);
    expect(strict.status).toBe('offline');
    const lax = client(24, { tlsOptions: { rejectUnauthorized: false } });
    await lax.connect();
    expect(lax.status).toBe('online');
    await lax.disconnect();
  });

  it("refuses tls: 'off' for a non-loopback host and allows it on loopback", async () => {
    let error: unknown;
    try {
      client(25, { tls: 'off', server: { host: '192.0.2.1', port: 5222 } });
    } catch (e) {
      error = e;
    }
    expect(isAviaryError(error, 'xmpp.insecure-transport')).toBe(true);
    const plain = client(25, { tls: 'off', mechanisms: ['SCRAM-SHA-1'] });
    await plain.connect();
    expect(plain.status).toBe('online');
    await plain.disconnect();
  });

  it('delivers stanzas between clients and answers an unhandled iq with service-unavailable', async () => {
    const a = client(26);
    const b = client(27);
    const got: Element[] = [];
    b.onStanza((s) => {
      if (s.name === 'message') got.push(s);
    });
    await Promise.all([a.connect(), b.connect()]);
    await a.send(xml('message', { to: b.jid, type: 'chat' }, xml('body', {}, 'hello')));
    await waitFor(() => got.length === 1);
    expect(got[0]?.getChildText('body')).toBe('hello');
    const unhandled = await caught(
      a.iq(xml('iq', { type: 'get', to: a.jid }, xml('query', { xmlns: 'urn:example:none' }))),
    );
    expect(isAviaryError(unhandled, 'xmpp.stanza-error')).toBe(true);
    expect((unhandled as { details: Record<string, unknown> }).details.condition).toBe(
      'service-unavailable',
    );
    await Promise.all([a.disconnect(), b.disconnect()]);
  });
});
