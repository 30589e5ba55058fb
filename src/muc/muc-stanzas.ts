/**
 * The stanzas of Multi-User Chat (XEP-0045), MUC self-ping (XEP-0410) and PEP native bookmarks
 * (XEP-0402), built and read as plain functions: no state, no I/O.
 *
 * @see https://xmpp.org/extensions/xep-0045.html
 * @see https://xmpp.org/extensions/xep-0410.html
 * @see https://xmpp.org/extensions/xep-0402.html
 */
import xml, { type Element } from '@xmpp/xml';
import { attr, childrenNamed, scoped, type XmlElement } from '../workflow/xml.js';

export const NS_MUC = 'http://jabber.org/protocol/muc';
export const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
export const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const NS_PING = 'urn:xmpp:ping';
export const NS_BOOKMARKS = 'urn:xmpp:bookmarks:1';
export const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
export const NS_SID = 'urn:xmpp:sid:0';
const NS_DATA = 'jabber:x:data';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';

/** What a join asks of the room's discussion history (XEP-0045 §7.2.15). */
export interface HistoryRequest {
  readonly maxStanzas?: number;
  /** Only messages sent at or after this time (ms since the epoch). */
  readonly since?: number;
}

/**
 * The join presence (XEP-0045 §7.2): to `room/nick`, with the MUC `<x/>`, the password when the
 * room needs one (§7.2.6) and the history request (§7.2.15).
 */
export function joinPresence(options: {
  readonly room: string;
  readonly nick: string;
  readonly password?: string | undefined;
  readonly history?: HistoryRequest | undefined;
}): Element {
  const history = options.history;
  const historyAttrs: Record<string, string> = {};
  if (history?.maxStanzas !== undefined) historyAttrs.maxstanzas = String(history.maxStanzas);
  if (history?.since !== undefined) historyAttrs.since = new Date(history.since).toISOString();
  return xml(
    'presence',
    { to: `${options.room}/${options.nick}` },
    xml(
      'x',
      { xmlns: NS_MUC },
      options.password !== undefined ? xml('password', {}, options.password) : undefined,
      Object.keys(historyAttrs).length > 0 ? xml('history', historyAttrs) : undefined,
    ),
  );
}

/** The exit presence (XEP-0045 §7.14). */
export function leavePresence(room: string, nick: string): Element {
  return xml('presence', { to: `${room}/${nick}`, type: 'unavailable' });
}

/** Accepts the default configuration of a room we just created (XEP-0045 §10.1.2, instant room). */
export function instantRoomConfig(room: string): Element {
  return xml(
    'iq',
    { type: 'set', to: room },
    xml('query', { xmlns: NS_MUC_OWNER }, xml('x', { xmlns: NS_DATA, type: 'submit' })),
  );
}

/** What an occupant presence from a room says. */
export interface OccupantPresence {
  readonly nick: string;
  readonly available: boolean;
  /** Status code 110 (XEP-0045 §7.2.3), or our own nick when the room omits it. */
  readonly self: boolean;
  readonly codes: ReadonlySet<string>;
  /** The room was destroyed (XEP-0045 §10.9). */
  readonly destroyed: boolean;
  /** The defined condition of an error presence (a refused join, §7.2.6–§7.2.9). */
  readonly error?: string | undefined;
}

/** Reads a presence from `room/nick`; `ownNick` identifies our occupant when 110 is missing. */
export function readOccupantPresence(stanza: Element, ownNick: string): OccupantPresence {
  const from = stanza.attrs.from ?? '';
  const nick = from.slice(from.indexOf('/') + 1);
  const x = stanza.getChild('x', NS_MUC_USER);
  const codes = new Set(
    (x?.getChildren('status') ?? []).map((s) => String(s.attrs.code ?? '')).filter(Boolean),
  );
  const type = stanza.attrs.type;
  if (type === 'error') {
    const condition = stanza
      .getChild('error')
      ?.getChildElements()
      .find((c) => c.getNS() === NS_STANZAS)?.name;
    return {
      nick,
      available: false,
      self: true,
      codes,
      destroyed: false,
      error: condition ?? 'undefined-condition',
    };
  }
  return {
    nick,
    available: type !== 'unavailable',
    self: codes.has('110') || nick === ownNick,
    codes,
    destroyed: x?.getChild('destroy') !== undefined,
  };
}

/** The self-ping (XEP-0410 §3): an XMPP ping to our own occupant JID. */
export function selfPing(room: string, nick: string): Element {
  return xml('iq', { type: 'get', to: `${room}/${nick}` }, xml('ping', { xmlns: NS_PING }));
}

/**
 * What a self-ping answer means (XEP-0410 §3): a result, `service-unavailable` or
 * `feature-not-implemented` (the ping reached our own client, which does not answer it) mean
 * still joined; any other error, or no answer, means the room no longer knows us.
 */
export function stillJoined(outcome: { readonly condition?: string | undefined }): boolean {
  const condition = outcome.condition;
  return (
    condition === undefined ||
    condition === 'service-unavailable' ||
    condition === 'feature-not-implemented'
  );
}

/** One room of the account's bookmarks (XEP-0402 §3). */
export interface Bookmark {
  readonly room: string;
  readonly name?: string | undefined;
  readonly autojoin: boolean;
  readonly nick?: string | undefined;
  readonly password?: string | undefined;
}

/** Asks for every item of the bookmarks node on our own PEP service (XEP-0402 §4). */
export function bookmarksRequest(): Element {
  return xml(
    'iq',
    { type: 'get' },
    xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: NS_BOOKMARKS })),
  );
}

/** The bookmarks in a pubsub `items` result; items without a usable `<conference/>` are skipped. */
export function readBookmarks(reply: Element): Bookmark[] {
  const items = reply.getChild('pubsub', NS_PUBSUB)?.getChild('items')?.getChildren('item') ?? [];
  const bookmarks: Bookmark[] = [];
  for (const item of items) {
    const conference = item.getChild('conference', NS_BOOKMARKS);
    const room = item.attrs.id;
    if (conference === undefined || typeof room !== 'string' || !room.includes('@')) continue;
    const autojoin = conference.attrs.autojoin;
    bookmarks.push({
      room,
      name: conference.attrs.name,
      autojoin: autojoin === 'true' || autojoin === '1',
      nick: conference.getChildText('nick') ?? undefined,
      password: conference.getChildText('password') ?? undefined,
    });
  }
  return bookmarks;
}

/**
 * The XEP-0359 stanza-id a room stamped on a message (`by` = the room's bare JID), if any. Only
 * the room's own id counts: anyone else's `by` may be forged by the sender (XEP-0359 §5).
 */
export function roomStanzaId(stanza: XmlElement, room: string): string | undefined {
  for (const child of childrenNamed(scoped(stanza), 'stanza-id', NS_SID)) {
    const by = (attr(child.element, 'by') ?? '').toLowerCase();
    const id = attr(child.element, 'id');
    if (by === room && id !== undefined && id !== '') return id;
  }
  return undefined;
}
