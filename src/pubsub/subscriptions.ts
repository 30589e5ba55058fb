/**
 * Subscribing (XEP-0060 §6.1) and unsubscribing (§6.2).
 * https://xmpp.org/extensions/xep-0060.html#subscriber-subscribe
 */
import { buildSubmitForm, type FormValue } from './data-form.js';
import { NS } from './namespaces.js';
import { pubsubIq, type XmlElement, xml } from './xml.js';

/** Subscription states (XEP-0060 §4.2): none, pending, unconfigured or subscribed. */
export type SubscriptionState = 'none' | 'pending' | 'unconfigured' | 'subscribed';

/** A subscription as the service reports it. */
export interface Subscription {
  readonly node: string;
  readonly jid: string;
  readonly state: SubscriptionState;
  /** Subscription id (XEP-0060 §6.1.6), needed to unsubscribe when there are several. */
  readonly subid?: string | undefined;
}

const STATES: ReadonlySet<string> = new Set(['none', 'pending', 'unconfigured', 'subscribed']);

/**
 * Builds the subscribe `<iq type="set">`, with subscription options (XEP-0060 §6.3.7) if given.
 *
 * @example buildSubscribe('pubsub.example.org', 'news', 'alice@example.org')
 */
export function buildSubscribe(
  service: string,
  node: string,
  jid: string,
  options: { readonly options?: Readonly<Record<string, FormValue | number>> | undefined } = {},
): XmlElement {
  return pubsubIq(
    'set',
    service,
    NS.pubsub,
    xml('subscribe', { node, jid }),
    options.options === undefined
      ? undefined
      : xml('options', {}, buildSubmitForm(NS.pubsubSubscribeOptions, options.options)),
  );
}

/** Builds the unsubscribe `<iq type="set">` (XEP-0060 §6.2), naming a subid when given. */
export function buildUnsubscribe(
  service: string,
  node: string,
  jid: string,
  options: { readonly subid?: string | undefined } = {},
): XmlElement {
  return pubsubIq(
    'set',
    service,
    NS.pubsub,
    xml('unsubscribe', { node, jid, subid: options.subid }),
  );
}

/**
 * Reads the `<subscription/>` of a subscribe or unsubscribe result. A service may answer with an
 * empty result (XEP-0060 §6.2.2): then the state is `fallbackState` for the requested node/jid.
 */
export function parseSubscriptionResult(
  iq: XmlElement,
  requested: { readonly node: string; readonly jid: string },
  fallbackState: SubscriptionState,
): Subscription {
  const sub = iq.getChild('pubsub', NS.pubsub)?.getChild('subscription', NS.pubsub);
  if (sub === undefined) return { node: requested.node, jid: requested.jid, state: fallbackState };
  const raw = sub.attrs.subscription;
  return {
    node: sub.attrs.node ?? requested.node,
    jid: sub.attrs.jid ?? requested.jid,
    state: raw !== undefined && STATES.has(raw) ? (raw as SubscriptionState) : fallbackState,
    subid: sub.attrs.subid,
  };
}
