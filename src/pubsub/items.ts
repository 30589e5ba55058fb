/**
 * Retrieving items (XEP-0060 §6.5): all items (§6.5.2), pages with Result Set Management
 * (§6.5.4 and XEP-0059), the most recent N (`max_items`, §6.5.7) or particular ids (§6.5.8).
 * https://xmpp.org/extensions/xep-0060.html#subscriber-retrieve
 */
import { type ItemParseOptions, type PubsubItem, parseItem } from './item.js';
import { NS } from './namespaces.js';
import { PubsubResponseError } from './pubsub-error.js';
import { buildRsmSet, parseRsmSet, type RsmRequest, type RsmResult } from './rsm.js';
import { pubsubIq, type XmlElement, xml } from './xml.js';

/** What to retrieve. Combine `maxItems` or `itemIds` or `rsm`; the service decides the rest. */
export interface GetItemsOptions {
  /** The N most recent items (XEP-0060 §6.5.7). */
  readonly maxItems?: number | undefined;
  /** Only these item ids (XEP-0060 §6.5.8). */
  readonly itemIds?: readonly string[] | undefined;
  /** A page (XEP-0059); the service must advertise `pubsub#rsm`. */
  readonly rsm?: RsmRequest | undefined;
  /** Subscription id, when the requester has several subscriptions (XEP-0060 §6.5.2). */
  readonly subid?: string | undefined;
}

/** An items result: the node, its items in the order the service sent them, and RSM info. */
export interface ItemsPage {
  readonly node: string;
  readonly items: readonly PubsubItem[];
  /** Present when the service answered with a `<set/>` (XEP-0059 §2). */
  readonly rsm?: RsmResult | undefined;
}

/**
 * Builds the `<iq type="get">` for an items request.
 *
 * @example buildGetItems('pubsub.example.org', 'news', { rsm: { max: 10, after: 'item-9' } })
 */
export function buildGetItems(
  service: string,
  node: string,
  options: GetItemsOptions = {},
): XmlElement {
  const ids = options.itemIds ?? [];
  return pubsubIq(
    'get',
    service,
    NS.pubsub,
    xml(
      'items',
      { node, max_items: options.maxItems, subid: options.subid },
      ids.map((id) => xml('item', { id })),
    ),
    options.rsm === undefined ? undefined : buildRsmSet(options.rsm),
  );
}

/**
 * Parses the `<iq type="result">` of an items request. A result without `<pubsub><items>`
 * is a protocol violation and throws a `pubsub.invalid-response` error.
 */
export function parseItemsResult(
  iq: XmlElement,
  options: ItemParseOptions & { readonly node?: string } = {},
): ItemsPage {
  const pubsub = iq.getChild('pubsub', NS.pubsub);
  const items = pubsub?.getChild('items', NS.pubsub);
  if (pubsub === undefined || items === undefined) {
    throw new PubsubResponseError('items result without <pubsub><items/>', {
      details: { node: options.node, xml: iq.toString().slice(0, 500) },
    });
  }
  return {
    node: items.attrs.node ?? options.node ?? '',
    items: items.getChildren('item', NS.pubsub).map((item) => parseItem(item, options)),
    rsm: parseRsmSet(pubsub),
  };
}
