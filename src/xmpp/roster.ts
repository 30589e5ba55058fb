/**
 * Roster items from a roster get result (RFC 6121 §2.1.3).
 */
import type { Element } from '@xmpp/xml';

const NS_ROSTER = 'jabber:iq:roster';

/** One roster item (RFC 6121 §2.1.2). */
export interface RosterItem {
  readonly jid: string;
  readonly name?: string;
  readonly subscription: string;
  readonly groups: readonly string[];
}

/** Reads the items of a `jabber:iq:roster` result. */
export function parseRoster(result: Element): RosterItem[] {
  const query = result.getChild('query', NS_ROSTER);
  return (query?.getChildren('item') ?? []).map((item) => ({
    jid: item.attrs.jid ?? '',
    ...(item.attrs.name === undefined ? {} : { name: item.attrs.name }),
    subscription: item.attrs.subscription ?? 'none',
    groups: item.getChildren('group').map((g) => g.text()),
  }));
}
