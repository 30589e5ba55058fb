import xml from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock, systemClock } from '../../src/actors/clock.js';
import type { AviaryError } from '../../src/errors.js';
import { createClientConnection } from '../../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { waitFor } from '../helpers/wait-for.js';

let prosody: ProsodyFixture;
beforeAll(async () => {
  // internal_plain lets Prosody offer SCRAM-SHA-256 as well as SCRAM-SHA-1.
  prosody = await startProsody({
    users: [{ username: 'carol', password: 'carol-pw' }],
    auth: 'internal_plain',
  });
});
afterAll(async () => {
  prosody?.resume();
  await prosody?.stop();
});

const make = (clock: SimulatedClock | typeof systemClock, pingIntervalMs?: number) =>
  createClientConnection({
    jid: `carol@${prosody.domain}`,
    password: 'carol-pw',
    server: { host: '127.0.0.1', port: prosody.c2sPort },
    tls: 'required',
    tlsOptions: { ca: prosody.caCertPem },
    saltedPasswordCache: createSaltedPasswordCache(),
    clock,
    ...(pingIntervalMs === undefined ? {} : { pingIntervalMs }),
  });

describe('SCRAM-SHA-256 and XEP-0199 pings against Prosody', () => {
  it('prefers SCRAM-SHA-256 when the server offers it', async () => {
    const c = make(systemClock);
    await c.connect();
    expect(c.mechanism).toBe('SCRAM-SHA-256');
    const pong = await c.iq(
      xml('iq', { type: 'get', to: prosody.domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
    );
    expect(pong.attrs.type).toBe('result');
    await c.disconnect();
  });

  it('periodic pings keep a live link and drop a silent one', async () => {
    const clock = new SimulatedClock(Date.now());
    const c = make(clock, 5_000);
    const events: Array<AviaryError | undefined> = [];
    c.onStatus((status, error) => status === 'offline' && events.push(error));
    await c.connect();
    for (let i = 0; i < 3; i++) {
      await clock.advance(5_000);
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(c.status).toBe('online');
    prosody.pause();
    await clock.advance(5_000); // ping sent, no answer
    await clock.advance(5_000); // its timeout
    await waitFor(() => c.status === 'offline');
    prosody.resume();
    expect(events).toHaveLength(1);
    expect(events[0]?.code).toBe('xmpp.connection-failed');
    expect(events[0]?.message).toMatch(/ping timeout/);
  });
});
