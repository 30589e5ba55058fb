/**
 * The wire format of Message Archive Management (XEP-0313 v1.x, namespace `urn:xmpp:mam:2`)
 * with Result Set Management paging (XEP-0059): the query, the `<fin/>` that ends a page, and
 * the `<result/>` messages that carry archived messages forwarded (XEP-0297) with their
 * original time (XEP-0203).
 *
 * @see https://xmpp.org/extensions/xep-0313.html
 * @see https://xmpp.org/extensions/xep-0059.html
 */
import xml, { Element } from '@xmpp/xml';
import { parseXmppDateTime } from '../workflow/datetime.js';
import { NS_CLIENT, NS_DELAY, NS_SID } from '../workflow/namespaces.js';

export const NS_MAM = 'urn:xmpp:mam:2';
export const NS_RSM = 'http://jabber.org/protocol/rsm';
export const NS_FORWARD = 'urn:xmpp:forward:0';
export const NS_DATA_FORMS = 'jabber:x:data';

/** What one archive query asks (XEP-0313 §4.1 filter fields, §4.2 paging). */
export interface ArchiveQuery {
  /** The XEP-0313 `queryid`, echoed in every `<result/>` of this query. */
  readonly queryId: string;
  /** Only messages to or from this JID. */
  readonly with?: string;
  /** Only messages at or after this time (ms since the epoch). */
  readonly start?: number;
  /** Only messages at or before this time (ms since the epoch). */
  readonly end?: number;
  /** Page size (RSM `<max/>`). */
  readonly max: number;
  /** RSM `<after/>`: the page following this archive id. */
  readonly after?: string;
  /**
   * RSM `<before/>`: the page preceding this archive id; `''` asks for the last page
   * (XEP-0059 §2.5).
   */
  readonly before?: string;
}

/** XEP-0082 DateTime in UTC, as the data form expects. */
function dateTime(ms: number): string {
  return new Date(ms).toISOString();
}

function field(name: string, value: string, type?: string): Element {
  return xml('field', { var: name, ...(type ? { type } : {}) }, xml('value', {}, value));
}

/**
 * The `<iq type='set'>` of one page (the connection adds its id); `to` omitted queries the
 * account's own archive.
 *
 * @example
 * mamQueryIq({ queryId: 'q1', max: 100, after: '28482-98726-73623' });
 */
export function mamQueryIq(query: ArchiveQuery, to?: string): Element {
  const fields = [field('FORM_TYPE', NS_MAM, 'hidden')];
  if (query.with !== undefined) fields.push(field('with', query.with));
  if (query.start !== undefined) fields.push(field('start', dateTime(query.start)));
  if (query.end !== undefined) fields.push(field('end', dateTime(query.end)));
  const rsm = [xml('max', {}, String(query.max))];
  if (query.after !== undefined) rsm.push(xml('after', {}, query.after));
  if (query.before !== undefined) rsm.push(xml('before', {}, query.before));
  return xml(
    'iq',
    { type: 'set', ...(to ? { to } : {}) },
    xml(
      'query',
      { xmlns: NS_MAM, queryid: query.queryId },
      xml('x', { xmlns: NS_DATA_FORMS, type: 'submit' }, ...fields),
      xml('set', { xmlns: NS_RSM }, ...rsm),
    ),
  );
}

/** The end of one page (XEP-0313 §4.3, RSM §2.1). */
export interface ArchivePage {
  /** The archive says nothing is left in the direction of the query. */
  readonly complete: boolean;
  /** Archive id of the page's oldest message. */
  readonly first: string | undefined;
  /** Archive id of the page's newest message. */
  readonly last: string | undefined;
  /** Total count, when the server gave it. */
  readonly count: number | undefined;
}

/** Reads the `<fin/>` of an IQ result; `undefined` when there is none. */
export function parseFin(iqResult: Element): ArchivePage | undefined {
  const fin = iqResult.getChild('fin', NS_MAM);
  if (fin === undefined) return undefined;
  const set = fin.getChild('set', NS_RSM);
  const text = (name: string) => {
    const value = set?.getChildText(name);
    return value === null || value === undefined || value === '' ? undefined : value;
  };
  const count = Number(text('count'));
  return {
    complete: fin.attrs.complete === 'true' || fin.attrs.complete === '1',
    first: text('first'),
    last: text('last'),
    count: Number.isInteger(count) ? count : undefined,
  };
}

/** One archived message as a `<result/>` carries it (XEP-0313 §4.2). */
export interface ArchivedMessage {
  readonly queryId: string;
  /** The archive's id of the message (the RSM cursor, and its XEP-0359 stanza-id). */
  readonly archiveId: string;
  /** The original `<message/>`. */
  readonly message: Element;
  /** When the archive received it (ms), from the forwarded `<delay/>`. */
  readonly stamp: number | undefined;
  /** The forwarded `<delay/>` element, when present. */
  readonly delay: Element | undefined;
}

/**
 * The archived message inside a `<message><result/></message>`, or `undefined` when the stanza
 * is not a MAM result or is malformed (no id, no forwarded message).
 */
export function parseArchiveResult(stanza: Element): ArchivedMessage | undefined {
  if (stanza.name !== 'message') return undefined;
  const result = stanza.getChild('result', NS_MAM);
  if (result === undefined) return undefined;
  const queryId = result.attrs.queryid;
  const archiveId = result.attrs.id;
  const forwarded = result.getChild('forwarded', NS_FORWARD);
  const message = forwarded?.getChild('message');
  if (typeof archiveId !== 'string' || archiveId === '' || message === undefined) return undefined;
  const delay = forwarded?.getChild('delay', NS_DELAY);
  const stampText = delay?.attrs.stamp;
  return {
    queryId: typeof queryId === 'string' ? queryId : '',
    archiveId,
    message,
    stamp: typeof stampText === 'string' ? parseXmppDateTime(stampText) : undefined,
    delay,
  };
}

/**
 * The archived message as the receive workflow should see it: a copy of the original with
 * - the forwarded `<delay/>` when it has none of its own, so its timestamp is the original one;
 * - the archive id as a XEP-0359 stanza-id `by` the account's bare JID (any stanza-id by that
 *   JID it carried is replaced), so it dedupes against the same message delivered live, which
 *   the server stamped with that id (XEP-0313 §3.1: the archive id is the stanza-id).
 */
export function archivedForWorkflow(archived: ArchivedMessage, ownBareJid: string): Element {
  const original = archived.message;
  // A shallow copy: the original's children are shared, not re-parented (they are only read).
  const copy = new Element(original.name, {
    ...original.attrs,
    xmlns: original.getNS() ?? NS_CLIENT,
  });
  copy.children = original.children.filter(
    (child) =>
      typeof child === 'string' ||
      !(child.name === 'stanza-id' && child.getNS() === NS_SID && child.attrs.by === ownBareJid),
  );
  if (archived.delay !== undefined && original.getChild('delay', NS_DELAY) === undefined)
    copy.children.push(archived.delay);
  copy.append(xml('stanza-id', { xmlns: NS_SID, by: ownBareJid, id: archived.archiveId }));
  return copy;
}
