/**
 * One `SecureContext` per trust store instead of one per connection. `tls.connect` without a
 * `secureContext` builds a new one each time, parsing every CA certificate (or loading the
 * system roots) again: on loopback that was a fifth of a verified login's CPU.
 *
 * Invariant: a context only carries trust anchors (`ca`); verification (`rejectUnauthorized`,
 * the server identity check of RFC 6125) stays a per-connection option, so sharing a context
 * never weakens a connection's checks.
 */
import { createSecureContext, type SecureContext } from 'node:tls';

export type CaOption = string | Buffer | Array<string | Buffer>;

const SYSTEM = Symbol('system roots');
const byObject = new WeakMap<object, SecureContext>();
const byString = new Map<string | typeof SYSTEM, SecureContext>();
/** A process trusts a handful of CA files; past this many distinct strings, start over. */
const MAX_STRING_KEYS = 64;

/**
 * The shared context trusting `ca` (the system roots when undefined).
 *
 * @example
 * tls.connect({ socket, servername, secureContext: secureContextFor(ca), rejectUnauthorized: true });
 */
export function secureContextFor(ca: CaOption | undefined): SecureContext {
  if (ca === undefined || typeof ca === 'string') {
    const key = ca ?? SYSTEM;
    let context = byString.get(key);
    if (context === undefined) {
      context = createSecureContext(ca === undefined ? {} : { ca });
      if (byString.size >= MAX_STRING_KEYS) byString.clear();
      byString.set(key, context);
    }
    return context;
  }
  let context = byObject.get(ca);
  if (context === undefined) {
    context = createSecureContext({ ca });
    byObject.set(ca, context);
  }
  return context;
}
