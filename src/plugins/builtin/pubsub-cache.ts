/**
 * The entity-facing half of the pubsub cache as a built-in client plugin, on the same hooks any
 * plugin gets:
 * - stanza middleware: pubsub notifications (XEP-0060 §7.1.2) go to the cache, then on;
 * - on-online: caps presence with `+notify` features (XEP-0115, XEP-0163 §4), then the cache
 *   re-checks the profile's synchronised nodes;
 * - IQ handler: disco#info answers carrying the same features (XEP-0030 §3.1);
 * - `iq()`: the cache's pubsub requests go through the profile's connection.
 */
import type { CacheSession } from '../../cache/cache-sessions.js';
import {
  capsPresence,
  clientFeatures,
  discoInfoQuery,
  NS_DISCO_INFO,
} from '../../entities/disco-caps.js';
import { type PubsubEvent, parsePubsubEvent } from '../../pubsub/event.js';
import type { Plugin } from '../plugin.js';

/** What the plugin needs from the cache; the cache part provides it. */
export interface PubsubCachePort {
  /** Registers a profile's IQ caller and state; returns the detach function. */
  attach(profile: string, session: CacheSession): () => void;
  /** Hands over a pubsub notification received by `profile`. */
  event(profile: string, event: PubsubEvent): void;
  /** `profile` is back online: its synchronised nodes are re-checked. */
  reconnected(profile: string): void;
  /** Namespaces to advertise with `+notify`, as currently known. */
  notifyNamespaces(): readonly string[];
}

export const PUBSUB_CACHE_PLUGIN = 'pubsub-cache';

/**
 * @example
 * plugins.register(createPubsubCachePlugin(cachePart.port));
 */
export function createPubsubCachePlugin(cache: PubsubCachePort): Plugin {
  return {
    name: PUBSUB_CACHE_PLUGIN,
    modes: ['client'],
    description: 'keeps the pubsub cache in sync: notifications, +notify caps, disco#info',
    setup({ host }) {
      const features = () => clientFeatures(cache.notifyNamespaces());
      const offs = [
        cache.attach(host.name, {
          iq: (request, timeoutMs) => host.iq(request, timeoutMs),
          jid: () => host.jid(),
          online: () => host.online(),
        }),
        host.useStanza(async (stanza, next) => {
          if (stanza.name === 'message') {
            const event = parsePubsubEvent(stanza, { withElement: false });
            if (event) cache.event(host.name, event);
          }
          await next();
        }),
        host.handleIq({ type: 'get', xmlns: NS_DISCO_INFO, name: 'query' }, ({ payload }) =>
          discoInfoQuery(payload.attrs.node, features()),
        ),
        host.onOnline(async (session) => {
          await session.send(capsPresence(features()));
          cache.reconnected(host.name);
        }),
      ];
      return () => {
        for (const off of offs) off();
      };
    },
  };
}
