/**
 * Stream management (XEP-0198) against ejabberd, which offers it by default: a client whose link
 * is frozen and cut mid-burst resumes, and every message sent before, during and after the cut
 * arrives once at a second client. Client connections are used directly (no runtime), sharing one
 * stream management session across the resumed connection, as a profile does.
 */
import xml, { type Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/actors/clock.js';
import { type ClientConnection, createClientConnection } from '../../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import { StreamManagementSession } from '../../src/xmpp/stream-management.js';
import { type EjabberdServer, startEjabberd } from '../helpers/ejabberd.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait-for.js';

const N = 300;
const alice = { username: 'ejsmalice', password: 'ej-sm-alice' };
const bob = { username: 'ejsmbob', password: 'ej-sm-bob' };
let server: EjabberdServer;
let proxy: TcpProxy;

beforeAll(async () => {
  server = await startEjabberd({
    users: [alice, bob],
    pubsubBackend: 'mnesia',
    extraModules: '  mod_stream_mgmt:\n    resume_timeout: 60\n',
  });
  proxy = await startTcpProxy({ host: '127.0.0.1', port: server.c2sPort });
}, 120_000);
afterAll(async () => {
  await proxy?.stop();
  await server?.stop();
});

function connection(
  user: { username: string; password: string },
  port: number,
  session: StreamManagementSession,
): ClientConnection {
  return createClientConnection({
    jid: `${user.username}@${server.domain}`,
    password: user.password,
    server: { host: '127.0.0.1', port },
    tls: 'required',
    tlsOptions: { ca: server.caCertPem },
    saltedPasswordCache: createSaltedPasswordCache(),
    clock: systemClock,
    streamManagement: session,
  });
}

describe('stream management with ejabberd', () => {
  it(`resumes after a cut: ${N} messages from alice reach bob once each`, async () => {
    const bobConnection = connection(bob, server.c2sPort, new StreamManagementSession());
    const received = new Map<string, number>();
    bobConnection.onStanza((stanza: Element) => {
      const body = stanza.getChildText('body');
      if (stanza.name === 'message' && body !== null)
        received.set(body, (received.get(body) ?? 0) + 1);
    });
    await bobConnection.connect();

    const session = new StreamManagementSession();
    const first = connection(alice, proxy.port, session);
    await first.connect();
    expect(session.resumeId).toBeDefined();
    const to = `${bob.username}@${server.domain}`;
    const message = (i: number) =>
      xml('message', { to, type: 'chat', id: `ej-${i}` }, xml('body', {}, `ej #${i}`));
    for (let i = 0; i < N / 2; i++) await first.send(message(i));
    proxy.freeze();
    for (let i = N / 2; i < N; i++) await first.send(message(i));
    const dropped = new Promise<void>((resolve) =>
      first.onStatus((status) => status === 'offline' && resolve()),
    );
    proxy.cut();
    await dropped;

    const second = connection(alice, proxy.port, session);
    const statuses: string[] = [];
    second.onStatus((status) => statuses.push(status));
    await second.connect();
    expect(statuses).toContain('resuming');
    expect(statuses).not.toContain('binding');
    await waitFor(() => received.size >= N, { timeoutMs: 60_000, what: `all ${N} at bob` });
    expect([...received.values()].filter((count) => count !== 1)).toEqual([]);
    await second.disconnect();
    await bobConnection.disconnect();
  }, 120_000);
});
