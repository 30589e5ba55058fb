/**
 * The profiles' side of the cache: what the cache plugin attaches for each client profile (its
 * IQ caller, JID and online state), turned into the `pubsubFor` port of the cache actor.
 * Nothing here knows entities: the plugin hands its host's functions over.
 */
import type { Element } from '@xmpp/xml';
import { createPubsubClient } from '../pubsub/pubsub-client.js';
import { bareJid } from '../workflow/jid.js';
import type { CachePubsubAccess } from './cache-deps.js';

/** What a profile gives the cache: an IQ caller and its live JID and state. */
export interface CacheSession {
  iq(request: Element, timeoutMs?: number): Promise<Element>;
  /** Own JID (full once bound). */
  jid(): string;
  online(): boolean;
}

/**
 * Sessions by profile name. Attaching replaces an earlier session of that profile; the detach
 * function removes only the session it attached.
 *
 * @example
 * const sessions = new CacheSessions();
 * const detach = sessions.attach('alice', { iq: host.iq, jid: host.jid, online: host.online });
 * sessions.pubsubFor('alice'); // { client, jid: 'alice@example.org' } while alice is online
 */
export class CacheSessions {
  readonly #sessions = new Map<string, CacheSession>();

  attach(profile: string, session: CacheSession): () => void {
    this.#sessions.set(profile, session);
    return () => {
      if (this.#sessions.get(profile) === session) this.#sessions.delete(profile);
    };
  }

  /** The profile's pubsub access while it is online; undefined otherwise. */
  pubsubFor(profile: string): CachePubsubAccess | undefined {
    const session = this.#sessions.get(profile);
    if (session === undefined || !session.online()) return undefined;
    return {
      client: createPubsubClient({ iq: (request, timeoutMs) => session.iq(request, timeoutMs) }),
      jid: bareJid(session.jid()),
    };
  }
}
