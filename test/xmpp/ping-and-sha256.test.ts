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

/** A simulated clock that counts the timers armed for `ms`. */
class ArmCountingClock extends SimulatedClock {
  armed = 0;
  readonly #ms: number;
  constructor(start: number, ms: number) {
    super(start);
    this.#ms = ms;
  }
  override setTimeout(fn: () => void, ms: number): () => void {
    if (ms === this.#ms) this.armed++;
    return super.setTimeout(fn, ms);
  }
}

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
    const clock = new ArmCountingClock(Date.now(), 5_000);
    const c = make(clock, 5_000);
    const events: Array<AviaryError | undefined> = [];
    c.onStatus((status, error) => status === 'offline' && events.push(error));
    await c.connect();
    // Timers of 5 s are the ping timer and each ping's reply timeout: armed once when online,
    // then twice per answered ping (the timeout on sending, the next ping on the pong). Waiting
    // for the count, not a fixed sleep, keeps a slow pong from meeting its simulated timeout.
    await waitFor(() => clock.armed === 1, 'the first ping timer');
    for (let i = 1; i <= 3; i++) {
      await clock.advance(5_000);
      await waitFor(() => clock.armed === 1 + 2 * i, {
        what: `the pong to ping ${i} (the next ping timer armed)`,
        detail: () => `${clock.armed} timers of 5 s armed, status ${c.status}`,
      });
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
