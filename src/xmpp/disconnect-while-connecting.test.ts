/**
 * disconnect() while connect() has no stream yet (the TCP connection is still being opened):
 * the attempt must end with no connection left open, and disconnect() must resolve only once it
 * has. Before, disconnect() saw no stream and returned at once; the login then went on behind a
 * stopped owner: a live session nobody read (the server counted its messages as delivered) and
 * a socket that kept the process from exiting.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeXmppServer, startFakeXmppServer } from '../../test/helpers/fake-xmpp-server.js';
import { systemClock } from '../actors/clock.js';
import { isAviaryError } from '../errors.js';
import { createClientConnection } from './client-connection.js';
import { createSaltedPasswordCache } from './scram.js';

let server: FakeXmppServer;
beforeEach(async () => {
  server = await startFakeXmppServer();
});
afterEach(async () => {
  await server.close();
});

describe('disconnect() during connect()', () => {
  it('before the stream exists: the attempt ends with xmpp.disconnected, then disconnect() resolves', async () => {
    const connection = createClientConnection({
      jid: 'alice@fake.test',
      password: 'secret',
      server: { host: '127.0.0.1', port: server.port },
      tls: 'off',
      allowPlainTextAuth: true,
      saltedPasswordCache: createSaltedPasswordCache(),
      clock: systemClock,
      timeoutMs: 10_000,
      streamManagement: false,
    });
    const attempt = connection.connect().then(
      () => 'connected',
      (error: unknown) => error,
    );
    // Same tick: the socket is not open yet. What disconnect() resolves with is the status
    // then: the attempt must have ended (offline), not be still connecting.
    const disconnecting = connection.disconnect().then(() => connection.status);

    const outcome = await attempt;
    expect(isAviaryError(outcome, 'xmpp.disconnected')).toBe(true);
    expect(await disconnecting).toBe('offline');
  });
});
