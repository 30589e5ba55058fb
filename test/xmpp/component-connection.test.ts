import xml, { type Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/actors/clock.js';
import { isAviaryError } from '../../src/errors.js';
import { createClientConnection } from '../../src/xmpp/client-connection.js';
import {
  componentHandshake,
  createComponentConnection,
} from '../../src/xmpp/component-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { waitFor } from '../helpers/wait-for.js';

let prosody: ProsodyFixture;
beforeAll(async () => {
  prosody = await startProsody({
    users: [{ username: 'alice', password: 'alice-pw' }],
    componentSecret: 's3cret',
  });
});
afterAll(async () => {
  await prosody?.stop();
});

describe('XEP-0114 component against Prosody', () => {
  it('computes the handshake of the XEP-0114 example', () => {
    expect(componentHandshake('3BF96D32', 'test')).toBe('aaee83c26aeeafcbabeabfcbcd50df997e0a2a1e'); // XEP-0114 example 3;
  });

  it('connects and exchanges messages with a client', async () => {
    const component = createComponentConnection({
      jid: prosody.componentDomain,
      secret: 's3cret',
      server: { host: '127.0.0.1', port: prosody.componentPort },
      clock: systemClock,
    });
    const received: Element[] = [];
    component.onStanza((s) => received.push(s));
    await component.connect();
    expect(component.status).toBe('online');

    const alice = createClientConnection({
      jid: `alice@${prosody.domain}`,
      password: 'alice-pw',
      server: { host: '127.0.0.1', port: prosody.c2sPort },
      tls: 'required',
      tlsOptions: { ca: prosody.caCertPem },
      saltedPasswordCache: createSaltedPasswordCache(),
      clock: systemClock,
    });
    const aliceGot: Element[] = [];
    alice.onStanza((s) => s.name === 'message' && aliceGot.push(s));
    await alice.connect();
    await alice.send(
      xml(
        'message',
        { to: `bot@${prosody.componentDomain}`, type: 'chat' },
        xml('body', {}, 'ping?'),
      ),
    );
    await waitFor(() => received.some((s) => s.name === 'message'));
    const message = received.find((s) => s.name === 'message');
    expect(message?.getChildText('body')).toBe('ping?');
    expect(message?.attrs.from).toBe(alice.jid);
    await component.send(
      xml(
        'message',
        { from: `bot@${prosody.componentDomain}`, to: alice.jid, type: 'chat' },
        xml('body', {}, 'pong!'),
      ),
    );
    await waitFor(() => aliceGot.length === 1);
    expect(aliceGot[0]?.getChildText('body')).toBe('pong!');
    await alice.disconnect();
    await component.disconnect();
    expect(component.status).toBe('offline');
  });

  it('a bad secret fails with xmpp.component-auth-failed', async () => {
    const component = createComponentConnection({
      jid: prosody.componentDomain,
      secret: 'wrong',
      server: { host: '127.0.0.1', port: prosody.componentPort },
      clock: systemClock,
    });
    let error: unknown;
    try {
      await component.connect();
    } catch (e) {
      error = e;
    }
    expect(isAviaryError(error, 'xmpp.component-auth-failed')).toBe(true);
    expect((error as { details: Record<string, unknown> }).details.condition).toBe(
      'not-authorized',
    );
    expect(component.status).toBe('offline');
  });
});
