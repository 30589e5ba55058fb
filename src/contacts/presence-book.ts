/**
 * The contacts' presence a profile has seen on its current stream, in memory only: presence is
 * state of a live session (RFC 6121 §4), so it is forgotten when the stream goes down and
 * rebuilt from what the server sends after the next initial presence.
 *
 * Per bare JID, one entry per available resource; an `unavailable` from a resource removes it,
 * from the bare JID removes them all (RFC 6121 §4.5.3).
 */
import { parseJid } from '../workflow/jid.js';
import type { PresenceShow } from '../xmpp/presence.js';

/** One available resource of a contact. */
export interface ResourcePresence {
  readonly resource: string;
  readonly show: PresenceShow;
  readonly status?: string;
  readonly priority: number;
}

/** A contact's presence: its available resources, best first (priority, then name). */
export interface ContactPresence {
  readonly jid: string;
  readonly resources: readonly ResourcePresence[];
}

/** What one availability presence changed (the `presenceChanged` payload minus the profile). */
export interface PresenceUpdate {
  /** The sender's bare JID. */
  readonly jid: string;
  readonly resource: string;
  readonly available: boolean;
  readonly show: PresenceShow | 'offline';
  readonly status?: string;
  readonly priority: number;
}

/**
 * @example
 * const book = new PresenceBook();
 * book.update({ from: 'juliet@capulet.lit/balcony', available: true, show: 'away', priority: 1 });
 * book.of('juliet@capulet.lit')?.resources[0]?.show; // 'away'
 */
export class PresenceBook {
  readonly #contacts = new Map<string, Map<string, ResourcePresence>>();

  /** Records an availability presence; returns the update, or nothing for an invalid `from`. */
  update(presence: {
    readonly from: string;
    readonly available: boolean;
    readonly show: PresenceShow;
    readonly status?: string;
    readonly priority: number;
  }): PresenceUpdate | undefined {
    let jid: string;
    let resource: string;
    try {
      const parsed = parseJid(presence.from);
      jid = parsed.local === '' ? parsed.domain : `${parsed.local}@${parsed.domain}`;
      resource = parsed.resource;
    } catch {
      return undefined;
    }
    const status = presence.status === undefined ? {} : { status: presence.status };
    if (!presence.available) {
      const resources = this.#contacts.get(jid);
      if (resource === '') this.#contacts.delete(jid);
      else {
        resources?.delete(resource);
        if (resources?.size === 0) this.#contacts.delete(jid);
      }
      return { jid, resource, available: false, show: 'offline', priority: 0, ...status };
    }
    let resources = this.#contacts.get(jid);
    if (resources === undefined) {
      resources = new Map();
      this.#contacts.set(jid, resources);
    }
    resources.set(resource, {
      resource,
      show: presence.show,
      priority: presence.priority,
      ...status,
    });
    return {
      jid,
      resource,
      available: true,
      show: presence.show,
      priority: presence.priority,
      ...status,
    };
  }

  of(jid: string): ContactPresence | undefined {
    const resources = this.#contacts.get(jid);
    if (resources === undefined) return undefined;
    return {
      jid,
      resources: [...resources.values()].sort(
        (a, b) => b.priority - a.priority || a.resource.localeCompare(b.resource),
      ),
    };
  }

  list(): ContactPresence[] {
    return [...this.#contacts.keys()]
      .sort()
      .map((jid) => this.of(jid))
      .filter((c): c is ContactPresence => c !== undefined);
  }

  /** Forgets everything (the stream went down). */
  clear(): void {
    this.#contacts.clear();
  }
}
