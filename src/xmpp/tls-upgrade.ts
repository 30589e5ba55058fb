/**
 * The client side of STARTTLS's handshake (RFC 6120 §5.4.3.3) over an already connected
 * socket, verifying the certificate for `servername` (RFC 7590). Every error event of both
 * sockets has a listener for the sockets' whole life, so a second error (a reset after a
 * failed handshake) cannot reach the event loop as an uncaught exception.
 */
import type { Socket } from 'node:net';
import { type TLSSocket, connect as tlsConnect } from 'node:tls';
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';

export interface TlsUpgradeOptions {
  readonly servername: string;
  readonly ca?: string | Buffer | Array<string | Buffer>;
  readonly rejectUnauthorized?: boolean;
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
  deps: { readonly clock: Clock; readonly timeoutMs: number; onLaterError(error: Error): void },
): Promise<TLSSocket> {
  raw.on('error', deps.onLaterError);
  return new Promise((resolve, reject) => {
    let settled = false;
    const socket = tlsConnect({
      socket: raw,
      servername: options.servername,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      rejectUnauthorized: options.rejectUnauthorized ?? true,
    });
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
