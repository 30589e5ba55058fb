/**
 * Message Carbons (XEP-0280) as a built-in client plugin:
 * - on-online: when the profile's setting allows it and the server advertises
 *   `urn:xmpp:carbons:2` (disco#info, XEP-0280 §2), carbons are enabled (§4);
 * - stanza middleware (high priority): a genuine carbon is replaced by the message it forwards,
 *   which then goes through the rest of the middleware and the receive workflow into history
 *   once; a sent copy (from the account's other resource) is stored as the account's outgoing
 *   message. A carbon whose wrapper is not from the account's own bare JID is dropped, counted
 *   and logged (§11);
 * - `message_parse` hook: the message data of a copy says so (`extra.carbon`: `received` or
 *   `sent`).
 *
 * @see https://xmpp.org/extensions/xep-0280.html
 */
import { discoInfoIq, hasFeature } from '../../entities/disco-caps.js';
import { domainOf } from '../../workflow/jid.js';
import { withExtra } from '../../workflow/message-data.js';
import {
  type CarbonDirection,
  carbonsEnableIq,
  NS_CARBONS,
  readCarbon,
} from '../../xmpp/carbons.js';
import type { Plugin } from '../plugin.js';

/** What the plugin needs from the runtime: the profile's setting and the forged-carbon count. */
export interface CarbonsPort {
  /** Whether `profile` wants carbons (a per-profile setting, on by default). */
  enabled(profile: string): Promise<boolean>;
  /** A forged carbon reached `profile` and was dropped (counted and logged by the port). */
  forged(
    profile: string,
    report: { readonly from: string; readonly direction: CarbonDirection },
  ): void;
}

export const CARBONS_PLUGIN = 'xep-0280';

/** Runs before other middleware, so every plugin sees the forwarded message, not the wrapper. */
const CARBONS_PRIORITY = 100;

/**
 * @example
 * plugins.register(createCarbonsPlugin(contactsPart.carbonsPort));
 */
export function createCarbonsPlugin(port: CarbonsPort): Plugin {
  return {
    name: CARBONS_PLUGIN,
    modes: ['client'],
    description: "message carbons: copies of the account's other devices' messages into history",
    setup({ host, hooks, log }) {
      // The forwarded messages handed on, by element, until their message data is parsed.
      const copies = new WeakMap<object, CarbonDirection>();
      const offs = [
        host.useStanza(
          async (stanza, next) => {
            if (stanza.name !== 'message') return next();
            const reading = readCarbon(stanza, host.jid());
            switch (reading.kind) {
              case 'none':
                return next();
              case 'carbon':
                copies.set(reading.message, reading.direction);
                return next(reading.message);
              case 'forged':
                port.forged(host.name, { from: reading.from, direction: reading.direction });
                return;
              case 'malformed':
                log.warn({ reason: reading.reason, from: stanza.attrs.from }, 'carbon dropped');
                return;
            }
          },
          { priority: CARBONS_PRIORITY },
        ),
        hooks.register('message_parse', {
          plugin: CARBONS_PLUGIN,
          handler: (message, ctx) => {
            const direction = ctx.stanza === undefined ? undefined : copies.get(ctx.stanza);
            return direction === undefined
              ? { action: 'continue' }
              : { action: 'continue', message: withExtra(message, 'carbon', direction) };
          },
        }),
        host.onOnline(async (session) => {
          if (session.jid === undefined) return;
          const domain = domainOf(session.jid);
          try {
            if (!(await port.enabled(host.name))) return;
            if (!hasFeature(await session.iq(discoInfoIq(domain)), NS_CARBONS)) {
              log.info({ server: domain }, 'the server does not offer message carbons');
              return;
            }
            await session.iq(carbonsEnableIq());
          } catch (error) {
            // Carbons are an addition: a refusal leaves the connection as it is.
            log.warn({ err: error }, 'message carbons not enabled');
          }
        }),
      ];
      return () => {
        for (const off of offs) off();
      };
    },
  };
}
