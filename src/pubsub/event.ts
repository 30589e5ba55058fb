/**
 * Incoming pubsub event notifications (`<message><event xmlns="http://jabber.org/protocol/pubsub#event">`):
 * published items (XEP-0060 §7.1.2.1), retractions (§7.2.2.1), node deletion (§8.4.2, with
 * redirect), purge (§8.5.2), configuration changes (§8.2.5.1) and subscription state changes
 * (§8.8.4), as plain typed values. Subscription ids come from SHIM headers (§12.3, XEP-0131).
 * https://xmpp.org/extensions/xep-0060.html#publisher-publish-success-subid
 */
import { type DataForm, findDataForm } from './data-form.js';
import { type ItemParseOptions, type PubsubItem, parseItem } from './item.js';
import { NS } from './namespaces.js';
import { PubsubResponseError } from './pubsub-error.js';
import type { SubscriptionState } from './subscriptions.js';
import { childElements, type XmlElement } from './xml.js';

interface EventBase {
  /** The `from` of the message: the pubsub service (or the PEP account). */
  readonly service: string;
  readonly node: string;
  /** SubIDs from SHIM headers, when the service includes them (XEP-0060 §12.3). */
  readonly subids?: readonly string[] | undefined;
  /** XEP-0203 delay stamp, when the notification was delayed (e.g. last published item). */
  readonly delayStamp?: string | undefined;
}

/** New or updated items, and/or retracted item ids (one `<items/>` may carry both). */
export interface ItemsEvent extends EventBase {
  readonly type: 'items';
  readonly items: readonly PubsubItem[];
  readonly retracted: readonly string[];
}
/** The node was deleted; `redirect` is the URI subscribers are pointed to, if any. */
export interface DeleteEvent extends EventBase {
  readonly type: 'delete';
  readonly redirect?: string | undefined;
}
/** All items of the node were purged. */
export interface PurgeEvent extends EventBase {
  readonly type: 'purge';
}
/** The node configuration changed; `form` is present when the service includes it. */
export interface ConfigurationEvent extends EventBase {
  readonly type: 'configuration';
  readonly form?: DataForm | undefined;
}
/** A subscription's state changed (e.g. approved, XEP-0060 §8.8.4). */
export interface SubscriptionEvent extends EventBase {
  readonly type: 'subscription';
  readonly jid: string;
  readonly state: SubscriptionState | string;
  readonly subid?: string | undefined;
}

/** A parsed pubsub notification, tagged by `type`. */
export type PubsubEvent =
  | ItemsEvent
  | DeleteEvent
  | PurgeEvent
  | ConfigurationEvent
  | SubscriptionEvent;

function requireNode(el: XmlElement): string {
  const node = el.attrs.node;
  if (node === undefined || node === '') {
    throw new PubsubResponseError(`pubsub event <${el.name}/> without a node attribute`);
  }
  return node;
}

/**
 * Parses a `<message/>` carrying a pubsub event. Returns `undefined` when the message has no
 * pubsub#event payload or one this module does not know (e.g. collections); throws a
 * `pubsub.invalid-response` error when a known event lacks its required `node`.
 *
 * @example
 * const event = parsePubsubEvent(stanza);
 * if (event?.type === 'items') for (const item of event.items) store(item.id, item.xml);
 */
export function parsePubsubEvent(
  message: XmlElement,
  options: ItemParseOptions = {},
): PubsubEvent | undefined {
  const event = message.getChild('event', NS.pubsubEvent);
  if (event === undefined) return undefined;
  const child = childElements(event)[0];
  if (child === undefined) return undefined;
  const subids = (message.getChild('headers', NS.shim)?.getChildren('header', NS.shim) ?? [])
    .filter((h) => h.attrs.name === 'SubID' || h.attrs.name === 'SubId')
    .map((h) => h.getText());
  const base = {
    service: message.attrs.from ?? '',
    subids: subids.length > 0 ? subids : undefined,
    delayStamp: message.getChild('delay', NS.delay)?.attrs.stamp,
  };
  switch (child.name) {
    case 'items':
      return {
        ...base,
        type: 'items',
        node: requireNode(child),
        items: child.getChildren('item', NS.pubsubEvent).map((item) => parseItem(item, options)),
        retracted: child
          .getChildren('retract', NS.pubsubEvent)
          .map((r) => r.attrs.id)
          .filter((id): id is string => id !== undefined),
      };
    case 'delete':
      return {
        ...base,
        type: 'delete',
        node: requireNode(child),
        redirect: child.getChild('redirect', NS.pubsubEvent)?.attrs.uri,
      };
    case 'purge':
      return { ...base, type: 'purge', node: requireNode(child) };
    case 'configuration':
      return {
        ...base,
        type: 'configuration',
        node: requireNode(child),
        form: findDataForm(child),
      };
    case 'subscription':
      return {
        ...base,
        type: 'subscription',
        node: requireNode(child),
        jid: child.attrs.jid ?? '',
        state: child.attrs.subscription ?? 'none',
        subid: child.attrs.subid,
      };
    default:
      return undefined;
  }
}
