/**
 * Roster and presence (RFC 6121) as a built-in client plugin, over the profile's
 * {@link ProfileContacts}:
 * - on-online: the roster is fetched with the cached version (RFC 6121 §2.6, XEP-0237);
 * - stanza middleware: roster pushes are applied and answered (and consumed); presence updates
 *   the contacts' presence and subscription requests follow the profile's policy, then goes on
 *   to other plugins. Room presence (XEP-0045 `muc#user`) is left to group chat plugins.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6121
 */
import type { Element } from '@xmpp/xml';
import type { ProfileContacts } from '../../contacts/profile-contacts.js';
import { NS_ROSTER } from '../../xmpp/roster.js';
import type { Plugin } from '../plugin.js';

const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';

/** What the plugin needs from the runtime: the contacts state of a profile, kept there. */
export interface ContactsPort {
  /**
   * Registers `profile`'s contacts, reached through its host; returns them and the function
   * that forgets them.
   */
  attach(
    profile: string,
    link: {
      readonly ownJid: () => string;
      readonly online: () => boolean;
      readonly iq: (element: Element, timeoutMs?: number) => Promise<Element>;
      readonly send: (element: Element) => Promise<void>;
    },
  ): Promise<{ readonly contacts: ProfileContacts; readonly detach: () => void }>;
}

export const ROSTER_PLUGIN = 'roster';

/**
 * @example
 * plugins.register(createRosterPlugin(contactsPart.contactsPort));
 */
export function createRosterPlugin(port: ContactsPort): Plugin {
  return {
    name: ROSTER_PLUGIN,
    modes: ['client'],
    description: 'roster with versioning, contacts presence, subscription policy',
    async setup({ host, log }) {
      const { contacts, detach } = await port.attach(host.name, {
        ownJid: () => host.jid(),
        online: () => host.online(),
        iq: (element, timeoutMs) => host.iq(element, timeoutMs),
        send: (element) => host.send(element),
      });
      const offs = [
        detach,
        host.useStanza(async (stanza, next) => {
          if (isRosterPush(stanza)) return contacts.handlePush(stanza);
          if (stanza.name === 'presence' && stanza.getChild('x', NS_MUC_USER) === undefined)
            contacts.handlePresence(stanza);
          return next();
        }),
        host.onOnline(async (session) => {
          try {
            await contacts.refresh((element) => session.iq(element));
          } catch (error) {
            // The cached roster stays; pushes keep it current until the next login.
            log.warn({ err: error }, 'roster not fetched');
          }
        }),
      ];
      return () => {
        for (const off of offs) off();
      };
    },
  };
}

function isRosterPush(stanza: Element): boolean {
  return (
    stanza.name === 'iq' &&
    stanza.attrs.type === 'set' &&
    stanza.getChild('query', NS_ROSTER) !== undefined
  );
}
