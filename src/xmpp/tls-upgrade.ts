/**
 * The client side of STARTTLS's handshake (RFC 6120 §5.4.3.3) over an already connected
 * socket, verifying the certificate for `servername` (RFC 7590). Every error event of both
 * sockets has a listener for the sockets' whole life, so a second error (a reset after a
 * failed handshake) cannot reach the event loop as an uncaught exception.
 *
 * With a {@link TlsSessionCache} the handshake offers the latest ticket of the same server and
 * trust settings and keeps the ticket it receives once the certificate was verified
 * (see tls-session-cache.ts); verification itself is unchanged.
 */
import type { Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import { secureContextFor } from './tls-contexts.js';
import type { TlsSessionCache, TlsSessionTarget } from './tls-session-cache.js';

export interface TlsUpgradeOptions {
  readonly servername: string;
  readonly ca?: string | Buffer | Array<string | Buffer>;
  readonly rejectUnauthorized?: boolean;
  /** Session resumption shared with other connections to the same server (default: none). */
  readonly sessionCache?: TlsSessionCache;
}

/** The `session` option of `tls.connect` for `target`: the cached ticket, if any. */
export function resumptionOption(
  cache: TlsSessionCache | undefined,
  target: TlsSessionTarget,
): { session?: Buffer } {
  const session = cache?.get(target);
  return session === undefined ? {} : { session };
}

/**
 * Keeps the tickets `socket` receives in `cache`, but only once the handshake has verified the
 * certificate: a TLS 1.2 ticket can arrive before `secureConnect`, so it waits for it. A failed
 * handshake forgets the target's ticket (it may be what the server choked on).
 */
export function rememberSessions(
  socket: TLSSocket,
  cache: TlsSessionCache | undefined,
  target: TlsSessionTarget,
): void {
  if (cache === undefined) return;
  let secured = false;
  let early: Buffer | undefined;
  socket.on('session', (ticket: Buffer) => {
    if (!secured) early = ticket;
    else if (socket.authorized) cache.set(target, ticket);
  });
  socket.once('secureConnect', () => {
    secured = true;
    if (early !== undefined && socket.authorized) cache.set(target, early);
    early = undefined;
  });
  socket.once('error', () => {
    if (!secured) cache.delete(target);
  });
}

/**
 * Resolves with the TLS socket once the handshake succeeded; rejects with `xmpp.tls-failed`
 * (and destroys both sockets) on a handshake error or after `timeoutMs`. Errors after that go
 * to `onLaterError`.
 *
 * @example
 * const secure = await upgradeToTls(raw, { servername: 'example.org' }, { clock, timeoutMs: 10_000, onLaterError });
 */
export function upgradeToTls(
  raw: Socket,
  options: TlsUpgradeOptions,
  deps: {
    readonly clock: Clock;
    readonly timeoutMs: number;
    onLaterError(error: Error): void;
    /** Where `raw` is connected, for the session cache's key. */
    readonly peer?: { readonly host: string; readonly port: number };
  },
): Promise<TLSSocket> {
  raw.on('error', deps.onLaterError);
  const target: TlsSessionTarget = {
    host: deps.peer?.host ?? raw.remoteAddress ?? '',
    port: deps.peer?.port ?? raw.remotePort ?? 0,
    servername: options.servername,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.rejectUnauthorized === undefined
      ? {}
      : { rejectUnauthorized: options.rejectUnauthorized }),
  };
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = tlsConnect({
      socket: raw,
      servername: options.servername,
      secureContext: secureContextFor(options.ca),
      rejectUnauthorized: options.rejectUnauthorized ?? true,
      ...resumptionOption(options.sessionCache, target),
    });
    rememberSessions(socket, options.sessionCache, target);
    const settle = (error: AviaryError | undefined) => {
      if (settled) return;
      settled = true;
      cancel();
      if (error === undefined) resolve(socket);
      else {
        socket.destroy();
        raw.destroy();
        reject(error);
      }
    };
    const cancel = deps.clock.setTimeout(
      () => settle(new AviaryError('xmpp.tls-failed', 'TLS handshake timed out')),
      deps.timeoutMs,
    );
    socket.on('error', (error) => {
      if (settled) deps.onLaterError(error);
      else settle(new AviaryError('xmpp.tls-failed', `TLS: ${error.message}`, { cause: error }));
    });
    socket.once('secureConnect', () => settle(undefined));
  });
}
