/**
 * JID helpers. They split and lower-case exactly like `@xmpp/jid` (a test checks they agree
 * on every valid input) but do not call it: its XEP-0106 escape detection costs ~10 µs per
 * JID, and a stanza has several. `@xmpp/jid` only checks that a domain is present; the checks
 * here follow RFC 7622 closely enough to reject what would break routing or storage: empty
 * parts after a separator, parts over 1023 octets, whitespace and control characters, and the
 * characters RFC 7622 §3.3.1 forbids in a localpart (and a lone `\`, which `@xmpp/jid` would
 * XEP-0106-escape). Full PRECIS profiles are not applied.
 *
 * @see https://www.rfc-editor.org/rfc/rfc7622
 */
import { JidError } from './errors.js';

/** A JID as plain data; `local` and `resource` are `''` when absent. */
export interface Jid {
  readonly local: string;
  readonly domain: string;
  readonly resource: string;
}

const MAX_PART_OCTETS = 1023;
// Whitespace and control characters are never valid in a bare JID (a resource may hold spaces).
const FORBIDDEN_IN_BARE = /[\s\p{Cc}\ufffe\uffff]/u;
const CONTROL = /[\p{Cc}\ufffe\uffff]/u;
// RFC 7622 §3.3.1 forbids `"&'/:<>@` in a localpart; a `\` not starting a XEP-0106 escape
// sequence is refused too (the same test as @xmpp/jid's `detectEscape`, without its cost).
const NEEDS_ESCAPING = /[ "&'/:<>@]|\\(?!20|22|26|27|2f|3a|3c|3e|40|5c)/;
// Domain parts: a DNS name, an IPv4 address or a bracketed IPv6 literal.
const FORBIDDEN_DOMAIN = /["&'/<>@\\,;=?#%+|^`{}~!$*()]/;

function octets(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}

function check(input: string, ok: boolean, reason: string): void {
  if (!ok) throw new JidError(reason, input);
}

/**
 * Parses and validates a JID; throws a {@link JidError} (`jid.invalid`) otherwise. Local and
 * domain parts come back lower-cased, as `@xmpp/jid` normalises them.
 *
 * @example
 * parseJid('Juliet@Example.com/balcony'); // { local: 'juliet', domain: 'example.com', resource: 'balcony' }
 */
export function parseJid(input: string): Jid {
  const known = typeof input === 'string' ? PARSED.get(input) : undefined;
  if (known !== undefined) return known;
  const jid: Jid = Object.freeze(parseUncached(input));
  if (PARSED.size >= PARSED_CAPACITY) PARSED.clear();
  PARSED.set(input, jid);
  return jid;
}

/**
 * Valid JIDs parsed lately, by their text (results are frozen, so sharing them is safe). A
 * message's addresses are parsed at several stages on both sides, and an account talks to few
 * peers: the cache spares the regular expressions, slices and objects of each parse. Bounded:
 * emptied whole when full. Invalid input is never cached (it throws each time).
 */
const PARSED = new Map<string, Jid>();
const PARSED_CAPACITY = 4096;

function parseUncached(input: string): Jid {
  if (typeof input !== 'string') throw new JidError('not a string', String(input));
  check(input, input.length > 0, 'empty');
  // Split exactly as @xmpp/jid's parse does: resource after the first '/', local before the
  // first '@' of the bare part.
  const slash = input.indexOf('/');
  const bare = slash < 0 ? input : input.slice(0, slash);
  const resource = slash < 0 ? '' : input.slice(slash + 1);
  const at = bare.indexOf('@');
  const rawLocal = at < 0 ? '' : bare.slice(0, at);
  const rawDomain = at < 0 ? bare : bare.slice(at + 1);
  check(input, !FORBIDDEN_IN_BARE.test(bare), 'whitespace or control character');
  check(input, at !== 0, 'empty localpart');
  check(input, slash !== input.length - 1, 'empty resourcepart');
  check(input, rawDomain.length > 0, 'no domain');
  // @xmpp/jid would silently XEP-0106-escape these, changing the address; refuse them instead.
  check(input, !NEEDS_ESCAPING.test(rawLocal), 'localpart character that needs XEP-0106 escaping');
  // Lower-cased like @xmpp/jid does (a cheap stand-in for PRECIS case mapping).
  const local = rawLocal.toLowerCase();
  const domain = rawDomain.toLowerCase();
  check(input, !FORBIDDEN_DOMAIN.test(domain), 'forbidden character in domain');
  check(input, !/^\.|\.\./.test(domain), 'empty label in domain');
  check(input, !domain.startsWith('[') || /^\[[0-9a-f:.]+\]$/.test(domain), 'bad IPv6 literal');
  check(input, domain.startsWith('[') || !/[[\]:]/.test(domain), 'forbidden character in domain');
  check(input, !CONTROL.test(resource), 'control character in resource');
  for (const part of [local, domain, resource]) {
    // Cheap bound first: a UTF-16 unit is at most 3 UTF-8 octets.
    check(
      input,
      part.length * 3 <= MAX_PART_OCTETS || octets(part) <= MAX_PART_OCTETS,
      'part longer than 1023 octets',
    );
  }
  return { local, domain, resource };
}

/** Whether `input` is a valid JID (never throws). */
export function isValidJid(input: string): boolean {
  try {
    parseJid(input);
    return true;
  } catch {
    return false;
  }
}

/** Serialises a parsed JID. */
export function formatJid(jid: Jid): string {
  const bare = jid.local ? `${jid.local}@${jid.domain}` : jid.domain;
  return jid.resource ? `${bare}/${jid.resource}` : bare;
}

/**
 * The normalised form of a JID string (validates it).
 *
 * @example
 * normalizeJid('Romeo@Montague.lit/Orchard'); // 'romeo@montague.lit/Orchard'
 */
export function normalizeJid(input: string): string {
  return formatJid(parseJid(input));
}

/**
 * The bare JID (no resource), normalised.
 *
 * @example
 * bareJid('romeo@montague.lit/orchard'); // 'romeo@montague.lit'
 */
export function bareJid(input: string): string {
  const { local, domain } = parseJid(input);
  return local ? `${local}@${domain}` : domain;
}

/** The domain part of a JID, normalised. */
export function domainOf(input: string): string {
  return parseJid(input).domain;
}
