import { createServer, type Server, type Socket } from 'node:net';
import xml from '@xmpp/xml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/actors/clock.js';
import type { AviaryError } from '../../src/errors.js';
import { isAviaryError } from '../../src/errors.js';
import { createClientConnection } from '../../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { waitFor } from '../helpers/wait-for.js';

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='fake.test' version='1.0'>";

/** A fake server on 127.0.0.1 that answers the client's stream header with `reply`. */
async function fakeServer(
  reply: string,
): Promise<{ server: Server; port: number; received: () => string }> {
  let data = '';
  const server = createServer((socket: Socket) => {
    socket.on('data', (chunk) => {
      const first = data === '';
      data += chunk.toString();
      if (first) socket.write(reply);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    server,
    port: typeof address === 'object' && address ? address.port : 0,
    received: () => data,
  };
}

function fakeClient(port: number, maxStanzaBytes = 4096) {
  return createClientConnection({
    jid: 'someone@fake.test',
    password: 'x',
    server: { host: '127.0.0.1', port },
    tls: 'off',
    saltedPasswordCache: createSaltedPasswordCache(),
    clock: systemClock,
    maxStanzaBytes,
    timeoutMs: 3000,
  });
}

const servers: Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) s.close();
});

describe('stream policy (fake server)', () => {
  it('refuses a DOCTYPE with a policy-violation stream error', async () => {
    const fake = await fakeServer(`<!DOCTYPE stream [<!ENTITY x "y">]>${HEADER}<stream:features/>`);
    servers.push(fake.server);
    const client = fakeClient(fake.port);
    let error: unknown;
    await client.connect().catch((e: unknown) => (error = e));
    expect(isAviaryError(error, 'xmpp.policy-violation')).toBe(true);
    await waitFor(() => fake.received().includes('</stream:stream>'));
    expect(fake.received()).toContain(
      "<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>",
    );
    expect(client.status).toBe('offline');
  });

  it('refuses an oversize element before parsing it', async () => {
    const fake = await fakeServer(
      `${HEADER}<stream:features><x>${'a'.repeat(10_000)}</x></stream:features>`,
    );
    servers.push(fake.server);
    const client = fakeClient(fake.port, 4096);
    let error: unknown;
    await client.connect().catch((e: unknown) => (error = e));
    expect(isAviaryError(error, 'xmpp.policy-violation')).toBe(true);
    expect((error as AviaryError).message).toMatch(/larger than 4096 bytes/);
    await waitFor(() => fake.received().includes('policy-violation'));
  });
});

describe('stream policy (Prosody)', () => {
  let prosody: ProsodyFixture;
  beforeAll(async () => {
    prosody = await startProsody({
      users: [
        { username: 'small', password: 'a' },
        { username: 'big', password: 'b' },
      ],
    });
  });
  afterAll(async () => {
    await prosody?.stop();
  });

  it('an online client closes its stream when a stanza exceeds maxStanzaBytes', async () => {
    const make = (username: string, password: string, maxStanzaBytes?: number) =>
      createClientConnection({
        jid: `${username}@${prosody.domain}`,
        password,
        server: { host: '127.0.0.1', port: prosody.c2sPort },
        tls: 'required',
        tlsOptions: { ca: prosody.caCertPem },
        saltedPasswordCache: createSaltedPasswordCache(),
        clock: systemClock,
        ...(maxStanzaBytes === undefined ? {} : { maxStanzaBytes }),
      });
    const small = make('small', 'a', 2000);
    const big = make('big', 'b');
    const events: Array<{ status: string; code: string | undefined }> = [];
    small.onStatus((status, error) => events.push({ status, code: error?.code }));
    let smallMessages = 0;
    small.onStanza((s) => s.name === 'message' && smallMessages++);
    await Promise.all([small.connect(), big.connect()]);
    await big.send(xml('message', { to: small.jid, type: 'chat' }, xml('body', {}, 'short')));
    await waitFor(() => smallMessages === 1);
    await big.send(
      xml('message', { to: small.jid, type: 'chat' }, xml('body', {}, 'x'.repeat(5000))),
    );
    await waitFor(() => small.status === 'offline');
    expect(events.at(-1)).toEqual({ status: 'offline', code: 'xmpp.policy-violation' });
    expect(smallMessages).toBe(1);
    await big.disconnect();
  });
});
