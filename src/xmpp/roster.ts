/**
 * The roster protocol (RFC 6121 §2): items of a roster get result, roster pushes, and the
 * requests that read, set and remove items, with roster versioning (RFC 6121 §2.6, XEP-0237).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6121#section-2
 * @see https://xmpp.org/extensions/xep-0237.html
 */
import xml, { type Element } from '@xmpp/xml';
import { bareJid } from '../workflow/jid.js';

export const NS_ROSTER = 'jabber:iq:roster';

/** One roster item (RFC 6121 §2.1.2). */
export interface RosterItem {
  readonly jid: string;
  readonly name?: string;
  readonly subscription: string;
  readonly groups: readonly string[];
  /** `subscribe` while our subscription request waits for the contact (RFC 6121 §2.1.2.2). */
  readonly ask?: string;
}

/** A roster get answer: the whole roster with its version, or "unchanged since `ver`". */
export type RosterResult =
  | { readonly kind: 'full'; readonly items: RosterItem[]; readonly ver?: string }
  | { readonly kind: 'unchanged' };

/** One change pushed by the server (RFC 6121 §2.1.6): an item set, or removed. */
export interface RosterPush {
  readonly item: RosterItem;
  readonly removed: boolean;
  readonly ver?: string;
}

function itemOf(item: Element): RosterItem {
  return {
    jid: item.attrs.jid ?? '',
    ...(item.attrs.name === undefined ? {} : { name: item.attrs.name }),
    subscription: item.attrs.subscription ?? 'none',
    groups: item.getChildren('group').map((g) => g.text()),
    ...(item.attrs.ask === undefined ? {} : { ask: item.attrs.ask }),
  };
}

/** Reads the items of a `jabber:iq:roster` result. */
export function parseRoster(result: Element): RosterItem[] {
  const query = result.getChild('query', NS_ROSTER);
  return (query?.getChildren('item') ?? []).map(itemOf);
}

/**
 * Reads a roster get result. An empty result answers a request whose `ver` was current: the
 * roster did not change and the pushes that follow (if any) bring the differences
 * (RFC 6121 §2.6.3).
 */
export function parseRosterResult(result: Element): RosterResult {
  const query = result.getChild('query', NS_ROSTER);
  if (query === undefined) return { kind: 'unchanged' };
  const ver = query.attrs.ver;
  return { kind: 'full', items: parseRoster(result), ...(ver === undefined ? {} : { ver }) };
}

/**
 * Reads a roster push. Only the account itself may push (no `from`, or its own bare JID,
 * RFC 6121 §2.1.6): anything else, or a push without exactly one item, is refused with the
 * reason (the caller answers it with an error and changes nothing).
 */
export function parseRosterPush(
  iq: Element,
  ownJid: string,
):
  | { readonly ok: true; readonly push: RosterPush }
  | { readonly ok: false; readonly reason: string } {
  const from = iq.attrs.from;
  if (from !== undefined && from !== '' && !sameBare(from, ownJid))
    return { ok: false, reason: `roster push from ${from}, not from the account` };
  const query = iq.getChild('query', NS_ROSTER);
  const items = query?.getChildren('item') ?? [];
  const [first] = items;
  if (first === undefined || items.length !== 1)
    return { ok: false, reason: 'a roster push carries exactly one item' };
  const item = itemOf(first);
  if (item.jid === '') return { ok: false, reason: 'roster push item without a JID' };
  const ver = query?.attrs.ver;
  return {
    ok: true,
    push: { item, removed: item.subscription === 'remove', ...(ver === undefined ? {} : { ver }) },
  };
}

/**
 * The roster get request; `ver` asks only for what changed since that version (send it only to a
 * server that versions rosters).
 */
export function rosterGetIq(ver?: string): Element {
  return xml('iq', { type: 'get' }, xml('query', { xmlns: NS_ROSTER, ver }));
}

/** Adds or updates an item (RFC 6121 §2.3): name and groups as given. */
export function rosterSetIq(item: {
  readonly jid: string;
  readonly name?: string | undefined;
  readonly groups?: readonly string[] | undefined;
}): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml(
      'query',
      { xmlns: NS_ROSTER },
      xml(
        'item',
        { jid: item.jid, name: item.name },
        ...(item.groups ?? []).map((group) => xml('group', {}, group)),
      ),
    ),
  );
}

/** Removes an item, cancelling subscriptions both ways (RFC 6121 §2.5). */
export function rosterRemoveIq(jid: string): Element {
  return xml(
    'iq',
    { type: 'set' },
    xml('query', { xmlns: NS_ROSTER }, xml('item', { jid, subscription: 'remove' })),
  );
}

function sameBare(a: string, b: string): boolean {
  try {
    return bareJid(a) === bareJid(b);
  } catch {
    return false;
  }
}
