/**
 * One pubsub item as plain data, shared by items results (XEP-0060 §6.5) and event
 * notifications (§7.1.2.1).
 */
import { childElements, standaloneXml, type XmlElement } from './xml.js';

/**
 * An item: its id, the publisher when the service tells (XEP-0060 §7.1.2.2 `publisher`
 * attribute), the payload as standalone XML text (the item's child element, e.g.
 * `<entry xmlns="http://www.w3.org/2005/Atom">…</entry>`; `''` for a notification without
 * payload) and, on the main thread only, the payload element itself. Drop `element` before
 * posting an item to another thread: ltx elements are not structured-clone data.
 */
export interface PubsubItem {
  /** Item id (`''` when the service sent an item without one, which XEP-0060 allows only transiently). */
  readonly id: string;
  readonly publisher?: string | undefined;
  readonly xml: string;
  readonly element?: XmlElement | undefined;
}

/** Options for turning `<item/>` elements into {@link PubsubItem}s. */
export interface ItemParseOptions {
  /** Keep the payload element on each item (default true). */
  readonly withElement?: boolean | undefined;
}

/** Converts one `<item/>` element (any pubsub namespace) into a {@link PubsubItem}. */
export function parseItem(item: XmlElement, options: ItemParseOptions = {}): PubsubItem {
  const payload = childElements(item)[0];
  const withElement = options.withElement ?? true;
  return {
    id: item.attrs.id ?? '',
    publisher: item.attrs.publisher,
    xml: payload === undefined ? '' : standaloneXml(payload),
    element: withElement ? payload : undefined,
  };
}
