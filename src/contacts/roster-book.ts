/**
 * One profile's roster as the client keeps it: the items by bare JID and the version the server
 * gave them (RFC 6121 §2.6, XEP-0237). Invariant: `ver` is the version of exactly these items —
 * it changes only with a full roster or with a push that carries a version, and a push without
 * one makes the cached version unusable (the next login fetches the whole roster).
 */
import { bareJid } from '../workflow/jid.js';
import type { RosterItem, RosterPush, RosterResult } from '../xmpp/roster.js';

/** What a roster cache holds between logins (JSON). */
export interface RosterSnapshot {
  readonly ver?: string;
  readonly items: readonly RosterItem[];
}

/** One change to the roster, as `rosterChanged` carries it. */
export type RosterChange =
  | { readonly kind: 'full'; readonly items: readonly RosterItem[] }
  | { readonly kind: 'set'; readonly item: RosterItem }
  | { readonly kind: 'removed'; readonly jid: string };

/**
 * @example
 * const book = new RosterBook();
 * book.applyResult({ kind: 'full', items, ver: '3' });
 * book.applyPush({ item: { jid: 'juliet@capulet.lit', subscription: 'both', groups: [] }, removed: false, ver: '4' });
 */
export class RosterBook {
  readonly #items = new Map<string, RosterItem>();
  #ver: string | undefined;

  /** A book restored from a snapshot; an unreadable snapshot gives an empty book. */
  static fromSnapshot(snapshot: RosterSnapshot | undefined): RosterBook {
    const book = new RosterBook();
    if (snapshot === undefined) return book;
    for (const item of snapshot.items) {
      const key = keyOf(item.jid);
      if (key !== undefined) book.#items.set(key, item);
    }
    book.#ver = snapshot.ver;
    return book;
  }

  /** The version to send with the next roster get, if any. */
  get ver(): string | undefined {
    return this.#ver;
  }

  list(): RosterItem[] {
    return [...this.#items.values()].sort((a, b) => a.jid.localeCompare(b.jid));
  }

  get(jid: string): RosterItem | undefined {
    const key = keyOf(jid);
    return key === undefined ? undefined : this.#items.get(key);
  }

  /** Applies a roster get answer; returns the change, or nothing when the roster is unchanged. */
  applyResult(result: RosterResult): RosterChange | undefined {
    if (result.kind === 'unchanged') return undefined;
    this.#items.clear();
    for (const item of result.items) {
      const key = keyOf(item.jid);
      if (key !== undefined) this.#items.set(key, item);
    }
    this.#ver = result.ver;
    return { kind: 'full', items: this.list() };
  }

  /** Applies a roster push; returns the change, or nothing for an item JID that is not a JID. */
  applyPush(push: RosterPush): RosterChange | undefined {
    const key = keyOf(push.item.jid);
    if (key === undefined) return undefined;
    this.#ver = push.ver;
    if (push.removed) {
      this.#items.delete(key);
      return { kind: 'removed', jid: key };
    }
    this.#items.set(key, push.item);
    return { kind: 'set', item: push.item };
  }

  snapshot(): RosterSnapshot {
    return { ...(this.#ver === undefined ? {} : { ver: this.#ver }), items: this.list() };
  }
}

function keyOf(jid: string): string | undefined {
  try {
    return bareJid(jid);
  } catch {
    return undefined;
  }
}
