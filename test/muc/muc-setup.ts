/**
 * A raw XMPP client in a room, for the MUC integration tests and benchmark: a bare client
 * connection over verified STARTTLS (test/helpers/reliability.ts) that joins rooms, talks, sets
 * subjects, and publishes bookmarks (XEP-0402) on its own PEP service.
 */
import xml, { type Element } from '@xmpp/xml';
import type { PluginHost } from '../../src/plugins/plugin.js';
import type { ClientConnection } from '../../src/xmpp/client-connection.js';
import type { ProsodyFixture } from '../helpers/prosody.js';
import { rawPeer } from '../helpers/reliability.js';
import { waitFor } from '../helpers/wait-for.js';

const NS_MUC = 'http://jabber.org/protocol/muc';
const NS_MUC_USER = 'http://jabber.org/protocol/muc#user';
const NS_MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
const NS_MUC_OWNER = 'http://jabber.org/protocol/muc#owner';

export interface RawOccupant {
  readonly client: ClientConnection;
  /** Groupchat bodies received, per room, in order. */
  readonly bodies: (room: string) => string[];
  join(room: string, nick: string): Promise<void>;
  say(room: string, body: string): Promise<void>;
  subject(room: string, text: string): Promise<void>;
  publishBookmark(room: string, options: { nick: string; autojoin: boolean }): Promise<void>;
  stop(): Promise<void>;
}

export async function rawOccupant(
  prosody: ProsodyFixture,
  username: string,
  password: string,
): Promise<RawOccupant> {
  const client = await rawPeer(prosody, username, password);
  const bodies = new Map<string, string[]>();
  const joined = new Set<string>();
  client.onStanza((element) => {
    const room = String(element.attrs.from ?? '').split('/')[0] ?? '';
    if (element.name === 'message' && element.attrs.type === 'groupchat') {
      const body = element.getChildText('body');
      if (body !== null) bodies.set(room, [...(bodies.get(room) ?? []), body]);
    }
    if (element.name === 'presence') {
      const codes = element
        .getChild('x', NS_MUC_USER)
        ?.getChildren('status')
        .map((s: Element) => s.attrs.code);
      if (codes?.includes('110') && element.attrs.type !== 'unavailable') joined.add(room);
    }
  });
  const send = (element: Element) => client.send(element);
  const iq = (element: Element) => client.iq(element, 10_000);
  return {
    client,
    bodies: (room) => bodies.get(room) ?? [],
    async join(room, nick) {
      await send(
        xml(
          'presence',
          { to: `${room}/${nick}` },
          xml('x', { xmlns: NS_MUC }, xml('history', { maxstanzas: '0' })),
        ),
      );
      await waitFor(() => joined.has(room), { what: `${username} in ${room}` });
    },
    say: (room, body) =>
      send(xml('message', { to: room, type: 'groupchat' }, xml('body', {}, body))),
    subject: (room, text) =>
      send(xml('message', { to: room, type: 'groupchat' }, xml('subject', {}, text))),
    async publishBookmark(room, options) {
      await iq(
        xml(
          'iq',
          { type: 'set' },
          xml(
            'pubsub',
            { xmlns: 'http://jabber.org/protocol/pubsub' },
            xml(
              'publish',
              { node: 'urn:xmpp:bookmarks:1' },
              xml(
                'item',
                { id: room },
                xml(
                  'conference',
                  {
                    xmlns: 'urn:xmpp:bookmarks:1',
                    name: 'test room',
                    autojoin: String(options.autojoin),
                  },
                  xml('nick', {}, options.nick),
                ),
              ),
            ),
            // XEP-0402 §4: one item per room, private to the account.
            xml(
              'publish-options',
              {},
              xml(
                'x',
                { xmlns: 'jabber:x:data', type: 'submit' },
                field('FORM_TYPE', 'http://jabber.org/protocol/pubsub#publish-options'),
                field('pubsub#persist_items', 'true'),
                field('pubsub#max_items', 'max'),
                field('pubsub#send_last_published_item', 'never'),
                field('pubsub#access_model', 'whitelist'),
              ),
            ),
          ),
        ),
      );
    },
    stop: () => client.disconnect(),
  };
}

function field(name: string, value: string): Element {
  return xml('field', { var: name }, xml('value', {}, value));
}

/** Removes an occupant from a room (role none, XEP-0045 §8.2), asked by a moderator's host. */
export function kick(moderator: PluginHost, room: string, nick: string): Promise<unknown> {
  return moderator.iq(
    xml(
      'iq',
      { type: 'set', to: room },
      xml('query', { xmlns: NS_MUC_ADMIN }, xml('item', { nick, role: 'none' })),
    ),
  );
}

/** Makes a room persistent (XEP-0045 §10.2), so it survives being empty. */
export function makePersistent(owner: PluginHost, room: string): Promise<unknown> {
  return owner.iq(
    xml(
      'iq',
      { type: 'set', to: room },
      xml(
        'query',
        { xmlns: NS_MUC_OWNER },
        xml(
          'x',
          { xmlns: 'jabber:x:data', type: 'submit' },
          xml(
            'field',
            { var: 'FORM_TYPE' },
            xml('value', {}, 'http://jabber.org/protocol/muc#roomconfig'),
          ),
          xml('field', { var: 'muc#roomconfig_persistentroom' }, xml('value', {}, '1')),
        ),
      ),
    ),
  );
}
