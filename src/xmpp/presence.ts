/**
 * Incoming presence (RFC 6121 §3–4): availability of a contact's resource, or a subscription
 * stanza (request, approval, refusal, cancellation), and the answers to a request.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6121#section-3 (subscriptions)
 * @see https://www.rfc-editor.org/rfc/rfc6121#section-4 (availability)
 */
import xml, { type Element } from '@xmpp/xml';

/** `show` values (RFC 6121 §4.7.2.1); `online` stands for an available presence without one. */
export type PresenceShow = 'online' | 'away' | 'chat' | 'dnd' | 'xa';

/** The four subscription presence types (RFC 6121 §3). */
export type SubscriptionType = 'subscribe' | 'subscribed' | 'unsubscribe' | 'unsubscribed';

export type PresenceReading =
  | {
      readonly kind: 'availability';
      /** The sender as sent (a full JID for a contact's resource). */
      readonly from: string;
      readonly available: boolean;
      readonly show: PresenceShow;
      readonly status?: string;
      /** -128..127, default 0 (RFC 6121 §4.7.2.3). */
      readonly priority: number;
    }
  | {
      readonly kind: 'subscription';
      readonly type: SubscriptionType;
      readonly from: string;
      readonly status?: string;
    }
  | { readonly kind: 'ignored'; readonly reason: string };

const SHOWS: readonly PresenceShow[] = ['away', 'chat', 'dnd', 'xa'];
const SUBSCRIPTION_TYPES: readonly SubscriptionType[] = [
  'subscribe',
  'subscribed',
  'unsubscribe',
  'unsubscribed',
];

/**
 * Reads a `<presence/>`. Errors, probes, presence without `from` (the server's own) and unknown
 * types are `ignored` with the reason.
 *
 * @example
 * readPresence(xml('presence', { from: 'juliet@capulet.lit/balcony' }, xml('show', {}, 'away')));
 * // { kind: 'availability', from: 'juliet@capulet.lit/balcony', available: true, show: 'away', priority: 0 }
 */
export function readPresence(stanza: Element): PresenceReading {
  if (stanza.name !== 'presence') return { kind: 'ignored', reason: 'not a presence' };
  const from = stanza.attrs.from;
  if (from === undefined || from === '')
    return { kind: 'ignored', reason: 'presence without from' };
  const type = stanza.attrs.type;
  const statusText = stanza.getChildText('status');
  const status = statusText === null ? {} : { status: statusText };
  if (type === undefined || type === 'unavailable') {
    const showText = stanza.getChildText('show')?.trim();
    const show = SHOWS.find((s) => s === showText) ?? 'online';
    const priorityValue = Number.parseInt(stanza.getChildText('priority') ?? '0', 10);
    const priority = Number.isFinite(priorityValue)
      ? Math.max(-128, Math.min(127, priorityValue))
      : 0;
    return { kind: 'availability', from, available: type === undefined, show, priority, ...status };
  }
  const subscription = SUBSCRIPTION_TYPES.find((t) => t === type);
  if (subscription !== undefined)
    return { kind: 'subscription', type: subscription, from, ...status };
  return { kind: 'ignored', reason: `presence of type ${type}` };
}

/** Approves (`subscribed`) or refuses (`unsubscribed`) a subscription request (RFC 6121 §3.1.4). */
export function subscriptionAnswer(to: string, accept: boolean): Element {
  return xml('presence', { to, type: accept ? 'subscribed' : 'unsubscribed' });
}

/** Asks to see `to`'s presence (RFC 6121 §3.1.1). */
export function subscriptionRequest(to: string): Element {
  return xml('presence', { to, type: 'subscribe' });
}
