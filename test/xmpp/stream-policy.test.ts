import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import xml, { type Element } from '@xmpp/xml';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/actors/clock.js';
import type { AviaryError } from '../../src/errors.js';
import { isAviaryError } from '../../src/errors.js';
import { createClientConnection } from '../../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import { XmlStream } from '../../src/xmpp/xml-stream.js';
import { silentLog } from '../../src/xmpp/xmpp-log.js';
import { SERVER_HEADER, scriptLogin, startFakeXmppServer } from '../helpers/fake-xmpp-server.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { makeTestCertificates } from '../helpers/tls-certs.js';
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

  it('refuses an oversize element that is not a stanza (no stanza to skip during login)', async () => {
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

describe('malformed bytes before and after authentication (fake server)', () => {
  const payloads: Array<[string, string, string, string]> = [
    ['&#0;', '<message><body>&#0;</body></message>', 'not-well-formed', 'xmpp.stream-error'],
    ['&#xD800;', "<message id='&#xD800;'/>", 'not-well-formed', 'xmpp.stream-error'],
    ['&foo;', '<message><body>&foo;</body></message>', 'restricted-xml', 'xmpp.policy-violation'],
    [
      'a mismatched end tag',
      '<message><body></message></body>',
      'not-well-formed',
      'xmpp.stream-error',
    ],
  ];
  const client = (port: number) =>
    createClientConnection({
      jid: 'someone@fake.test',
      password: 'x',
      server: { host: '127.0.0.1', port },
      tls: 'off',
      allowPlainTextAuth: true,
      saltedPasswordCache: createSaltedPasswordCache(),
      clock: systemClock,
      timeoutMs: 10_000,
    });

  it.each(payloads)(
    '%s before authentication fails connect() with its stream error',
    async (_, payload, condition, code) => {
      const server = await startFakeXmppServer();
      try {
        const conn = client(server.port);
        const connecting = conn.connect().catch((e: unknown) => e);
        const peer = await server.nextPeer();
        await scriptLogin(peer, 'sasl');
        await peer.send(payload);
        await peer.waitFor(`<${condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>`);
        peer.end();
        const error = await connecting;
        expect(isAviaryError(error, code)).toBe(true);
        expect((error as AviaryError).details).toMatchObject({ condition, sent: true });
        expect(conn.status).toBe('offline');
      } finally {
        await server.close();
      }
    },
  );

  it.each(payloads)(
    '%s after authentication takes the connection offline with its stream error',
    async (_, payload, condition, code) => {
      const server = await startFakeXmppServer();
      try {
        const conn = client(server.port);
        const statuses: Array<{ status: string; error: AviaryError | undefined }> = [];
        conn.onStatus((status, error) => statuses.push({ status, error }));
        const connecting = conn.connect();
        const peer = await server.nextPeer();
        await scriptLogin(peer, 'online');
        await connecting;
        await peer.send(payload);
        await peer.waitFor(`<${condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>`);
        peer.end();
        await waitFor(() => conn.status === 'offline');
        const last = statuses.at(-1);
        expect(isAviaryError(last?.error, code)).toBe(true);
        expect(last?.error?.details).toMatchObject({ condition, sent: true });
      } finally {
        await server.close();
      }
    },
  );
});

describe('pause across STARTTLS (fake server)', () => {
  it('a pause taken before the upgrade holds after it, and resume delivers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviary-starttls-'));
    const server = await startFakeXmppServer();
    try {
      const certs = makeTestCertificates(dir, ['fake.test']);
      const elements: Element[] = [];
      const stream = await XmlStream.connect(
        {
          host: '127.0.0.1',
          port: server.port,
          ns: 'jabber:client',
          clock: systemClock,
          connectTimeoutMs: 5000,
          maxStanzaBytes: 4096,
          log: silentLog,
        },
        { onHeader: () => {}, onElement: (e) => elements.push(e), onClose: () => {} },
      );
      const peer = await server.nextPeer();
      await stream.open('fake.test');
      await peer.waitFor('<stream:stream');
      await peer.send(`${SERVER_HEADER}<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
      await waitFor(() => elements.length === 1);
      stream.pause();
      peer.startTls({ key: readFileSync(certs.keyPath), cert: readFileSync(certs.certPath) });
      await stream.startTls({ servername: 'fake.test', ca: certs.caCertPem });
      expect(stream.encrypted).toBe(true);
      expect(stream.paused).toBe(true);
      const restart = peer.received().length;
      await stream.open('fake.test');
      await peer.waitFor('<stream:stream', restart);
      await peer.send(`${SERVER_HEADER}<message id='held'/>`);
      // A full round trip through the server: the message is in our receive buffer by now.
      await stream.write('<r/>');
      await peer.waitFor('<r/>', restart);
      expect(elements).toHaveLength(1);
      stream.resume();
      await waitFor(() => elements.length === 2);
      expect(elements[1]?.attrs.id).toBe('held');
      stream.destroy();
    } finally {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a failed STARTTLS handshake (fake server)', () => {
  it('rejects with xmpp.tls-failed and nothing escapes, even when the peer then resets', async () => {
    const server = await startFakeXmppServer();
    const escaped: unknown[] = [];
    const onEscaped = (error: unknown) => escaped.push(error);
    process.on('uncaughtException', onEscaped);
    try {
      const closes: Array<string | undefined> = [];
      const stream = await XmlStream.connect(
        {
          host: '127.0.0.1',
          port: server.port,
          ns: 'jabber:client',
          clock: systemClock,
          connectTimeoutMs: 5000,
          maxStanzaBytes: 4096,
          log: silentLog,
        },
        { onHeader: () => {}, onElement: () => {}, onClose: (e) => closes.push(e?.code) },
      );
      const peer = await server.nextPeer();
      await stream.open('fake.test');
      await peer.waitFor('<stream:stream');
      await peer.send(`${SERVER_HEADER}<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`);
      const upgrading = stream.startTls({ servername: 'fake.test' }).catch((e: unknown) => e);
      await peer.send('HTTP/1.1 400 Bad Request\r\n\r\n<this is not TLS>');
      peer.destroy();
      const error = await upgrading;
      expect(isAviaryError(error, 'xmpp.tls-failed')).toBe(true);
      expect(stream.closed).toBe(true);
      stream.destroy();
      expect(closes).toEqual(['xmpp.tls-failed']);
      await new Promise((resolve) => setImmediate(resolve));
      expect(escaped).toEqual([]);
    } finally {
      process.off('uncaughtException', onEscaped);
      await server.close();
    }
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

  it('an online client skips a stanza over maxStanzaBytes, answers an IQ, and closes only past the hard limit', async () => {
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
    const bodies: string[] = [];
    small.onStanza((s) => s.name === 'message' && bodies.push(s.getChildText('body') ?? ''));
    small.onStanza((s) => {
      if (s.name === 'iq')
        small.send(xml('iq', { type: 'result', id: s.attrs.id, to: s.attrs.from }));
    });
    await Promise.all([small.connect(), big.connect()]);
    const chat = (body: string) =>
      big.send(xml('message', { to: small.jid, type: 'chat' }, xml('body', {}, body)));
    await chat('short');
    await waitFor(() => bodies.length === 1);
    // Over maxStanzaBytes (2000) but under the hard limit (4 × 2000): skipped, stream open.
    await chat('x'.repeat(5000));
    await chat('after');
    await waitFor(() => bodies.length === 2);
    expect(bodies).toEqual(['short', 'after']);
    // An IQ set that is too large is answered with policy-violation (RFC 6120 §8.3.3.12).
    let iqError: unknown;
    await big
      .iq(
        xml(
          'iq',
          { type: 'set', to: small.jid },
          xml('query', { xmlns: 'urn:example:big' }, 'y'.repeat(5000)),
        ),
      )
      .catch((e: unknown) => (iqError = e));
    expect(isAviaryError(iqError, 'xmpp.stanza-error')).toBe(true);
    expect((iqError as AviaryError).details).toMatchObject({
      condition: 'policy-violation',
      type: 'modify',
    });
    // A small IQ still gets through: the stream is alive.
    await big.iq(
      xml('iq', { type: 'set', to: small.jid }, xml('query', { xmlns: 'urn:example:big' })),
    );
    expect(small.status).toBe('online');
    // Past the hard limit the stream is closed with policy-violation.
    await chat('z'.repeat(9000));
    await waitFor(() => small.status === 'offline');
    expect(events.at(-1)).toEqual({ status: 'offline', code: 'xmpp.policy-violation' });
    expect(bodies).toEqual(['short', 'after']);
    await big.disconnect();
  });
});
