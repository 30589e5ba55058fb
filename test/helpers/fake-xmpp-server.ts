/**
 * An in-process fake XMPP server on 127.0.0.1 for stream-level fault tests and fuzzers: it
 * sends exactly the bytes a test gives it (malformed XML included), which no real server does.
 * It can also script a client login (SASL PLAIN without TLS, resource binding, roster) so that
 * hostile bytes can be sent after authentication.
 *
 * The server socket is half-open capable: after `end()` the peer can still read what the client
 * sends back (its stream error), until the client closes its side.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export const SERVER_HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='fake' from='fake.test' version='1.0'>";
export const FAKE_DOMAIN = 'fake.test';

/** One accepted connection, seen from the server side. */
export interface FakePeer {
  /** Everything the client has sent so far, decoded as UTF-8. */
  received(): string;
  send(data: string | Uint8Array): Promise<void>;
  /**
   * Resolves once `received()` matches `pattern` (counting from `from` characters in);
   * rejects if the client closes its side first.
   */
  waitFor(pattern: string | RegExp, from?: number): Promise<RegExpMatchArray | string>;
  /** Half-closes: sends FIN, keeps reading. */
  end(): void;
  destroy(): void;
  /** Resolves when the client has closed its side (FIN or reset) and the socket is gone. */
  readonly closed: Promise<void>;
  /** Server side of STARTTLS: wraps the socket in TLS with `key` and `cert` (PEM). */
  startTls(options: { key: string | Buffer; cert: string | Buffer }): void;
}

export interface FakeXmppServer {
  readonly port: number;
  /** The next connection to arrive (or the oldest one not yet taken). */
  nextPeer(): Promise<FakePeer>;
  close(): Promise<void>;
}

function createPeer(raw: Socket): FakePeer {
  let socket: Socket = raw;
  let text = '';
  let ended = false;
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  const listen = (s: Socket) => {
    s.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      notify();
    });
    s.on('error', () => {});
  };
  listen(raw);
  const closed = new Promise<void>((resolve) =>
    raw.on('close', () => {
      ended = true;
      notify();
      resolve();
    }),
  );
  return {
    received: () => text,
    send: (data) =>
      new Promise((resolve, reject) => {
        if (socket.destroyed || socket.writableEnded) {
          reject(new Error('fake server: socket already closed'));
          return;
        }
        socket.write(data, (error) => (error ? reject(error) : resolve()));
      }),
    waitFor(pattern, from = 0) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const rest = text.slice(from);
          const match = typeof pattern === 'string' ? rest.includes(pattern) : rest.match(pattern);
          if (match) {
            waiters.delete(check);
            resolve(typeof pattern === 'string' ? pattern : (match as RegExpMatchArray));
          } else if (ended) {
            waiters.delete(check);
            reject(new Error(`fake server: client closed before sending ${String(pattern)}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    end: () => socket.end(),
    destroy: () => socket.destroy(),
    closed,
    startTls({ key, cert }) {
      raw.removeAllListeners('data');
      socket = new TLSSocket(raw, { isServer: true, key, cert });
      listen(socket);
    },
  };
}

/**
 * @example
 * const server = await startFakeXmppServer();
 * const peer = await server.nextPeer();
 * await peer.waitFor('<stream:stream');
 * await peer.send(`${SERVER_HEADER}<message><body>&#0;</body></message>`);
 */
export async function startFakeXmppServer(): Promise<FakeXmppServer> {
  const waiting: FakePeer[] = [];
  const takers: Array<(peer: FakePeer) => void> = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const peer = createPeer(socket);
    const taker = takers.shift();
    if (taker) taker(peer);
    else waiting.push(peer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('no server address');
  return {
    port: address.port,
    nextPeer: () => {
      const peer = waiting.shift();
      return peer ? Promise.resolve(peer) : new Promise((resolve) => takers.push(resolve));
    },
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

const SASL_FEATURES =
  "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";
const BIND_FEATURES =
  "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>";

/** Where in a scripted login the test takes over. */
export type LoginStep = 'header' | 'features' | 'sasl' | 'bind' | 'online';

/**
 * Plays the server's side of a client login (RFC 6120: stream header, SASL PLAIN, stream
 * restart, resource binding, then the client's presence and roster request) up to `until`,
 * and returns there. The client must allow PLAIN without TLS.
 */
export async function scriptLogin(peer: FakePeer, until: LoginStep): Promise<void> {
  await peer.waitFor('<stream:stream');
  if (until === 'header') return;
  await peer.send(SERVER_HEADER);
  if (until === 'features') return;
  await peer.send(SASL_FEATURES);
  await peer.waitFor('</auth>');
  if (until === 'sasl') return;
  await peer.send("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>");
  const restart = peer.received().length;
  await peer.waitFor('<stream:stream', restart);
  await peer.send(`${SERVER_HEADER}${BIND_FEATURES}`);
  const bind = await peer.waitFor(/<iq [^>]*id=['"]([^'"]+)['"][^>]*>\s*<bind/, restart);
  if (until === 'bind') return;
  await peer.send(
    `<iq type='result' id='${(bind as RegExpMatchArray)[1]}'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>someone@${FAKE_DOMAIN}/fuzz</jid></bind></iq>`,
  );
  const roster = await peer.waitFor(
    /<iq [^>]*id=['"]([^'"]+)['"][^>]*>\s*<query xmlns=['"]jabber:iq:roster/,
    restart,
  );
  await peer.send(
    `<iq type='result' id='${(roster as RegExpMatchArray)[1]}'><query xmlns='jabber:iq:roster'/></iq>`,
  );
}
