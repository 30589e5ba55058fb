/**
 * TLS session resumption shared by the profiles of one server (RFC 8446 §2.2 session tickets,
 * RFC 5077 for TLS 1.2): the latest ticket a verified connection received is offered by the
 * next connection to the same place, so a login skips the certificate chain and the
 * key-exchange signature.
 *
 * Invariants:
 * - entries are keyed by host, port, servername AND the trust settings (a digest of the CA
 *   list and whether verification is on): a session verified against one trust store is
 *   never offered by a connection that trusts something else;
 * - only sessions of connections whose certificate was verified (`authorized`) are kept;
 * - kept in memory only, one ticket per key (the latest), at most `maxEntries` keys
 *   (oldest evicted first);
 * - verification stays on: a resumed session carries the chain verification result of the
 *   handshake that created it. Node skips the server identity check (RFC 6125) on a resumed
 *   session, which is why `servername` is part of the key: the ticket was issued on a
 *   connection whose certificate was checked for that very name.
 */
import { createHash } from 'node:crypto';

/** Where a TLS connection goes and what it trusts. */
export interface TlsSessionTarget {
  readonly host: string;
  readonly port: number;
  readonly servername: string;
  readonly ca?: string | Buffer | Array<string | Buffer>;
  readonly rejectUnauthorized?: boolean;
}

/**
 * @example
 * const sessions = createTlsSessionCache();
 * const socket = tls.connect({ ..., session: sessions.get(target) });
 * socket.on('session', (ticket) => { if (socket.authorized) sessions.set(target, ticket); });
 */
export interface TlsSessionCache {
  /** The latest ticket for `target`, if any. */
  get(target: TlsSessionTarget): Buffer | undefined;
  /** Keeps `ticket` as the latest for `target` (callers pass only verified sessions). */
  set(target: TlsSessionTarget, ticket: Buffer): void;
  /** Forgets `target`'s ticket (the server refused it or the handshake failed). */
  delete(target: TlsSessionTarget): void;
  readonly size: number;
  clear(): void;
}

/** Digest of a CA list, memoised per value so a shared PEM string is hashed once. */
const caDigests = new WeakMap<object, string>();
const stringDigests = new Map<string, string>();

function caDigest(ca: TlsSessionTarget['ca']): string {
  if (ca === undefined) return 'system';
  if (typeof ca === 'string') {
    let digest = stringDigests.get(ca);
    if (digest === undefined) {
      digest = createHash('sha256').update(ca, 'utf8').digest('base64');
      // Bounded: a process trusts a handful of CA files, not thousands.
      if (stringDigests.size > 64) stringDigests.clear();
      stringDigests.set(ca, digest);
    }
    return digest;
  }
  let digest = caDigests.get(ca);
  if (digest === undefined) {
    const hash = createHash('sha256');
    for (const item of Array.isArray(ca) ? ca : [ca]) hash.update(item).update('\0');
    digest = hash.digest('base64');
    caDigests.set(ca, digest);
  }
  return digest;
}

/** The cache key: place, name checked and trust settings. */
export function tlsSessionKey(target: TlsSessionTarget): string {
  const verify = target.rejectUnauthorized ?? true;
  return `${target.host}\0${target.port}\0${target.servername}\0${verify ? 'v' : 'n'}\0${caDigest(target.ca)}`;
}

/** Creates an in-memory {@link TlsSessionCache}. */
export function createTlsSessionCache(options: { maxEntries?: number } = {}): TlsSessionCache {
  const maxEntries = options.maxEntries ?? 1024;
  const tickets = new Map<string, Buffer>();
  return {
    get(target) {
      return tickets.get(tlsSessionKey(target));
    },
    set(target, ticket) {
      const key = tlsSessionKey(target);
      tickets.delete(key);
      tickets.set(key, ticket);
      while (tickets.size > maxEntries) {
        const oldest = tickets.keys().next().value;
        if (oldest === undefined) break;
        tickets.delete(oldest);
      }
    },
    delete(target) {
      tickets.delete(tlsSessionKey(target));
    },
    get size() {
      return tickets.size;
    },
    clear() {
      tickets.clear();
    },
  };
}
