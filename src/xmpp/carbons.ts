/**
 * Message Carbons (XEP-0280): the enable request and the reading of carbon copies.
 *
 * A carbon is a `<message/>` whose `<received/>` or `<sent/>` child (namespace
 * `urn:xmpp:carbons:2`) holds a XEP-0297 `<forwarded/>` with the copied message. Security
 * (XEP-0280 §11): a copy is genuine only when the wrapper's `from` is the account's own bare
 * JID; anything else claiming to be a carbon is forged and must not be taken as the account's
 * traffic.
 *
 * @see https://xmpp.org/extensions/xep-0280.html
 * @see https://xmpp.org/extensions/xep-0297.html
 */
import xml, { type Element } from '@xmpp/xml';
import { bareJid } from '../workflow/jid.js';

export const NS_CARBONS = 'urn:xmpp:carbons:2';
export const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_CLIENT = 'jabber:client';

/** Which side of the account's traffic a carbon copies. */
export type CarbonDirection = 'received' | 'sent';

/** What a `<message/>` turned out to be, as far as carbons go. */
export type CarbonReading =
  | { readonly kind: 'none' }
  | {
      readonly kind: 'carbon';
      readonly direction: CarbonDirection;
      /** The forwarded message, detached, in `jabber:client`. */
      readonly message: Element;
    }
  | {
      readonly kind: 'forged';
      readonly direction: CarbonDirection;
      /** The wrapper's `from` ('' when absent). */
      readonly from: string;
    }
  | { readonly kind: 'malformed'; readonly direction: CarbonDirection; readonly reason: string };

/** `<iq type='set'><enable xmlns='urn:xmpp:carbons:2'/></iq>` (XEP-0280 §4). */
export function carbonsEnableIq(): Element {
  return xml('iq', { type: 'set' }, xml('enable', { xmlns: NS_CARBONS }));
}

/**
 * Reads a received `<message/>`: not a carbon, a genuine carbon (with the copied message), a
 * forged one (its wrapper is not from `ownJid`'s bare JID), or a malformed one (no forwarded
 * message).
 *
 * @example
 * const r = readCarbon(stanza, 'romeo@montague.example/garden');
 * if (r.kind === 'carbon') await next(r.message);
 */
export function readCarbon(stanza: Element, ownJid: string): CarbonReading {
  if (stanza.name !== 'message') return { kind: 'none' };
  const wrapper = stanza.getChild('received', NS_CARBONS) ?? stanza.getChild('sent', NS_CARBONS);
  if (wrapper === undefined) return { kind: 'none' };
  const direction: CarbonDirection = wrapper.name === 'sent' ? 'sent' : 'received';
  const from = stanza.attrs.from ?? '';
  // Checked before looking inside: a forged wrapper is refused whatever it carries. A wrapper
  // without `from` is refused too: every server stamps carbons with the account's bare JID.
  if (from === '' || !sameBare(from, ownJid)) return { kind: 'forged', direction, from };
  const forwarded = wrapper.getChild('forwarded', NS_FORWARD);
  const inner = forwarded
    ?.getChildElements()
    .find((child) => child.name === 'message' && (child.attrs.xmlns ?? NS_CLIENT) === NS_CLIENT);
  if (inner === undefined)
    return { kind: 'malformed', direction, reason: 'no forwarded message in the carbon' };
  const message = detachedCopy(inner);
  message.attrs.xmlns = NS_CLIENT;
  return { kind: 'carbon', direction, message };
}

/** A deep copy of `element` with no parent (namespaces then come from its own attributes). */
function detachedCopy(element: Element): Element {
  return xml(
    element.name,
    { ...element.attrs },
    ...element.children.map((child) => (typeof child === 'string' ? child : detachedCopy(child))),
  );
}

/** Whether the bare JIDs of two JIDs are the same (JIDs compared normalised, RFC 7622). */
function sameBare(a: string, b: string): boolean {
  try {
    return bareJid(a) === bareJid(b);
  } catch {
    return false;
  }
}
