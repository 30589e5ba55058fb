/**
 * Publishing (XEP-0060 §7.1) with publish options (§7.1.5), and retracting (§7.2).
 * https://xmpp.org/extensions/xep-0060.html#publisher-publish
 */
import { buildSubmitForm, type FormValue } from './data-form.js';
import { NS } from './namespaces.js';
import { parseXml, pubsubIq, type XmlElement, xml } from './xml.js';

/** An item to publish: an optional id (the service makes one up otherwise) and a payload. */
export interface PublishItem {
  readonly id?: string | undefined;
  /** The payload element, or its XML text (parsed here; a DOCTYPE is rejected). */
  readonly payload?: XmlElement | string | undefined;
}

/** Options of a publish request. */
export interface PublishOptions {
  /**
   * Publish options (XEP-0060 §7.1.5): preconditions such as `pubsub#access_model`, or node
   * configuration for an auto-created node. A service that cannot satisfy them replies
   * `conflict` + `<precondition-not-met/>`.
   */
  readonly publishOptions?: Readonly<Record<string, FormValue | number>> | undefined;
}

function payloadElement(payload: XmlElement | string | undefined): XmlElement | undefined {
  return typeof payload === 'string' ? parseXml(payload) : payload;
}

/**
 * Builds the `<iq type="set">` that publishes `items` to `node`.
 *
 * @example buildPublish('pubsub.example.org', 'news', [{ id: 'a1', payload: '<entry xmlns="http://www.w3.org/2005/Atom"/>' }])
 */
export function buildPublish(
  service: string,
  node: string,
  items: readonly PublishItem[],
  options: PublishOptions = {},
): XmlElement {
  return pubsubIq(
    'set',
    service,
    NS.pubsub,
    xml(
      'publish',
      { node },
      items.map((item) => xml('item', { id: item.id }, payloadElement(item.payload))),
    ),
    options.publishOptions === undefined
      ? undefined
      : xml(
          'publish-options',
          {},
          buildSubmitForm(NS.pubsubPublishOptions, options.publishOptions),
        ),
  );
}

/**
 * The item ids a publish result reports (XEP-0060 §7.1.2: the service SHOULD echo the ids,
 * and MUST when it generated them). An empty result gives the ids that were requested.
 */
export function parsePublishResult(
  iq: XmlElement,
  requested: readonly PublishItem[] = [],
): string[] {
  const publish = iq.getChild('pubsub', NS.pubsub)?.getChild('publish', NS.pubsub);
  const reported = (publish?.getChildren('item', NS.pubsub) ?? [])
    .map((item) => item.attrs.id)
    .filter((id): id is string => id !== undefined);
  if (reported.length > 0) return reported;
  return requested.map((item) => item.id).filter((id): id is string => id !== undefined);
}

/**
 * Builds the `<iq type="set">` that retracts items (XEP-0060 §7.2). With `notify`, the service
 * sends retract notifications to subscribers (§7.2.2.1).
 */
export function buildRetract(
  service: string,
  node: string,
  itemIds: readonly string[],
  options: { readonly notify?: boolean | undefined } = {},
): XmlElement {
  return pubsubIq(
    'set',
    service,
    NS.pubsub,
    xml(
      'retract',
      { node, notify: options.notify === undefined ? undefined : String(options.notify) },
      itemIds.map((id) => xml('item', { id })),
    ),
  );
}
