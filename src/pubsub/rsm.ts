/**
 * XEP-0059 Result Set Management: the `<set xmlns="http://jabber.org/protocol/rsm">` element a
 * client adds to a pubsub items request, and the one the service answers with.
 * https://xmpp.org/extensions/xep-0059.html
 */
import { NS } from './namespaces.js';
import { parseCount, type XmlElement, xml } from './xml.js';

/**
 * What page to ask for (XEP-0059 §2). `max` limits the page size (§2.1). `after` pages forward
 * from a `last` key the service returned (§2.2); `before` pages backward from a `first` key (§2.3) — `before: ''` asks for the last page;
 * `index` jumps to an absolute position (§2.4). `max: 0` asks for the count only (§2.6).
 */
export interface RsmRequest {
  readonly max?: number | undefined;
  readonly after?: string | undefined;
  readonly before?: string | undefined;
  readonly index?: number | undefined;
}

/**
 * What the service said about the page it returned (XEP-0059 §2.1, §2.2). `first` and `last`
 * are opaque keys to pass back in `after`/`before`: XEP-0059 does not make them item ids, and
 * ejabberd uses item modification timestamps. Order of items within a page is the service's.
 */
export interface RsmResult {
  /** Total number of items in the full result set, when the service tells. */
  readonly count?: number | undefined;
  /** Key of the first item of this page (opaque; not necessarily its id). */
  readonly first?: string | undefined;
  /** Position of the first item in the full result set (`<first index="...">`). */
  readonly firstIndex?: number | undefined;
  /** Key of the last item of this page (opaque; not necessarily its id). */
  readonly last?: string | undefined;
}

/**
 * Builds the request `<set/>`.
 *
 * @example buildRsmSet({ max: 10, after: lastIdOfPreviousPage })
 */
export function buildRsmSet(request: RsmRequest): XmlElement {
  return xml(
    'set',
    { xmlns: NS.rsm },
    request.max === undefined ? undefined : xml('max', {}, String(request.max)),
    request.after === undefined ? undefined : xml('after', {}, request.after),
    // An empty <before/> asks for the last page (XEP-0059 §2.5).
    request.before === undefined
      ? undefined
      : request.before === ''
        ? xml('before')
        : xml('before', {}, request.before),
    request.index === undefined ? undefined : xml('index', {}, String(request.index)),
  );
}

/** Parses the `<set/>` child of `parent` (e.g. the `<pubsub/>` of a result); `undefined` if none. */
export function parseRsmSet(parent: XmlElement | undefined): RsmResult | undefined {
  const set = parent?.getChild('set', NS.rsm);
  if (set === undefined) return undefined;
  const first = set.getChild('first', NS.rsm);
  const last = set.getChild('last', NS.rsm);
  return {
    count: parseCount(set.getChild('count', NS.rsm)?.getText()),
    first: first?.getText(),
    firstIndex: parseCount(first?.attrs.index),
    last: last?.getText(),
  };
}
