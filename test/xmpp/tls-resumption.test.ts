/**
 * TLS session resumption across the profiles of one server, against a Prosody that issues
 * session tickets: the second profile's STARTTLS resumes the first one's session, verification
 * stays on (a session is never offered to a connection trusting another CA, and a wrong CA still
 * fails), and a server without tickets simply gets full handshakes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/actors/clock.js';
import { isAviaryError } from '../../src/errors.js';
import { createClientConnection } from '../../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import { createTlsSessionCache, type TlsSessionCache } from '../../src/xmpp/tls-session-cache.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';

const users = Array.from({ length: 6 }, (_, i) => ({ username: `res${i}`, password: `pw-${i}` }));
let prosody: ProsodyFixture;
let otherServer: ProsodyFixture;

beforeAll(async () => {
  [prosody, otherServer] = await Promise.all([
    startProsody({ users, tlsSessionTickets: true }),
    startProsody({ users }),
  ]);
});
afterAll(async () => {
  await Promise.all([prosody?.stop(), otherServer?.stop()]);
});

function login(server: ProsodyFixture, i: number, sessions: TlsSessionCache, ca: string) {
  const user = users[i] as { username: string; password: string };
  return createClientConnection({
    jid: `${user.username}@${server.domain}`,
    password: user.password,
    server: { host: '127.0.0.1', port: server.c2sPort },
    tls: 'required',
    tlsOptions: { ca },
    saltedPasswordCache: createSaltedPasswordCache(),
    tlsSessionCache: sessions,
    clock: systemClock,
  });
}

describe('TLS session resumption', () => {
  it('resumes the session of another profile of the same server, verified', async () => {
    const sessions = createTlsSessionCache();
    const first = login(prosody, 0, sessions, prosody.caCertPem);
    await first.connect();
    expect(first.tlsResumed).toBe(false);
    // TLS 1.3 tickets arrive after the handshake; the first profile's login waited for more
    // round trips than that, so the ticket is in the cache by now.
    expect(sessions.size).toBe(1);
    const second = login(prosody, 1, sessions, prosody.caCertPem);
    await second.connect();
    expect(second.status).toBe('online');
    expect(second.tlsResumed).toBe(true);
    await Promise.all([first.disconnect(), second.disconnect()]);
  });

  it('never offers a session to a connection that trusts another CA', async () => {
    const sessions = createTlsSessionCache();
    const first = login(prosody, 2, sessions, prosody.caCertPem);
    await first.connect();
    expect(sessions.size).toBe(1);
    // Another server's CA: no cached session for these trust settings, so a full handshake,
    // which fails verification as it must.
    const wrong = login(prosody, 3, sessions, otherServer.caCertPem);
    const error = await wrong.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isAviaryError(error, 'xmpp.tls-failed')).toBe(true);
    expect(wrong.status).toBe('offline');
    await first.disconnect();
  });

  it('falls back to full handshakes when the server issues no tickets', async () => {
    const sessions = createTlsSessionCache();
    const a = login(otherServer, 4, sessions, otherServer.caCertPem);
    await a.connect();
    const b = login(otherServer, 5, sessions, otherServer.caCertPem);
    await b.connect();
    expect(a.tlsResumed).toBe(false);
    expect(b.tlsResumed).toBe(false);
    expect(b.status).toBe('online');
    await Promise.all([a.disconnect(), b.disconnect()]);
  });
});
