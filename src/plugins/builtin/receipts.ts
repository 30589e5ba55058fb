/**
 * Message Delivery Receipts (XEP-0184) as a built-in client plugin:
 * - `send` hook: outgoing `chat` and `normal` messages with a body carry
 *   `<request xmlns='urn:xmpp:receipts'/>` (§5.1; never groupchat, §5.3);
 * - stanza middleware: a `<received id=…/>` from the recipient records `delivered` on the sent
 *   message's history row (matched by the id, which is Aviary's uid and origin-id, and by the
 *   recipient's bare JID, so nobody else can confirm it); a `<request/>` on an incoming message
 *   is answered with `<received id=…/>` (§5.2) unless the profile turned answers off
 *   (parameter `receipts`/`answer` = `false`: XEP-0184 §8, a receipt reveals that the account
 *   is online).
 *
 * Archived messages (MAM results) are never answered: the middleware runs before the archive's
 * and only looks at top-level elements of live stanzas.
 */
import xml, { type Element } from '@xmpp/xml';
import type { EntityStorage } from '../../entities/entity-ports.js';
import { createWriteWindow, type WriteWindow } from '../../entities/write-window.js';
import { type Clock, systemClock } from '../../util/clock.js';
import { bareJid } from '../../workflow/jid.js';
import type { MessageData } from '../../workflow/message-data.js';
import type { Plugin } from '../plugin.js';

export const RECEIPTS_PLUGIN = 'receipts';
export const NS_RECEIPTS = 'urn:xmpp:receipts';

const REQUEST = `<request xmlns='${NS_RECEIPTS}'/>`;

/** Delivery records one entity may have unacknowledged before its next stanza waits. */
export const RECEIPT_WRITES_IN_FLIGHT = 16;

/** Whether an outgoing message should ask for a receipt (XEP-0184 §5.1, §5.3). */
export function wantsReceipt(message: MessageData): boolean {
  return (
    (message.type === 'chat' || message.type === 'normal') &&
    Object.values(message.message).some((body) => body !== '')
  );
}

/** The built stanza text with a receipt request as its last child (unchanged if not built). */
export function withReceiptRequest(stanzaXml: string): string {
  const end = '</message>';
  if (!stanzaXml.endsWith(end) || stanzaXml.includes(NS_RECEIPTS)) return stanzaXml;
  return `${stanzaXml.slice(0, -end.length)}${REQUEST}${end}`;
}

/** The receipt answering `stanza`, or `undefined` when it asks for none we should give. */
export function receiptFor(stanza: Element, ownBareJid: string): Element | undefined {
  if (stanza.name !== 'message' || stanza.getChild('request', NS_RECEIPTS) === undefined)
    return undefined;
  const { id, from, type } = stanza.attrs;
  // §5.2: answer requests with an id; never for errors or groupchat (§5.3), never to ourselves.
  if (!id || !from || type === 'error' || type === 'groupchat') return undefined;
  if (safeBare(from) === ownBareJid) return undefined;
  return xml(
    'message',
    { to: from, ...(type ? { type } : {}) },
    xml('received', { xmlns: NS_RECEIPTS, id }),
  );
}

function safeBare(jid: string): string | undefined {
  try {
    return bareJid(jid);
  } catch {
    return undefined;
  }
}

export interface ReceiptsPluginDeps {
  /** The storage (read lazily: it starts after plugins are registered). */
  readonly storage: () => EntityStorage;
  readonly clock?: Clock;
}

/**
 * @example
 * plugins.register(createReceiptsPlugin({ storage: () => storagePart.client }));
 */
export function createReceiptsPlugin(deps: ReceiptsPluginDeps): Plugin {
  const clock = deps.clock ?? systemClock;
  return {
    name: RECEIPTS_PLUGIN,
    modes: ['client'],
    description: 'message delivery receipts (XEP-0184): asked, answered, recorded in history',
    setup({ host, hooks, log }) {
      let answer = true;
      // Made at the first receipt: an idle profile holds no window.
      let receiptWrites: WriteWindow | undefined;
      const offs = [
        hooks.register('send', {
          plugin: RECEIPTS_PLUGIN,
          handler: (message) => {
            if (message.xml === undefined || !wantsReceipt(message)) return { action: 'continue' };
            const stanzaXml = withReceiptRequest(message.xml);
            return stanzaXml === message.xml
              ? { action: 'continue' }
              : { action: 'continue', message: { ...message, xml: stanzaXml } };
          },
        }),
        host.useStanza(
          async (stanza, next) => {
            if (stanza.name === 'message' && stanza.attrs.type !== 'error') {
              const received = stanza.getChild('received', NS_RECEIPTS);
              const recipient = safeBare(stanza.attrs.from ?? '');
              const id: string | undefined = received?.attrs.id;
              if (id && recipient !== undefined) {
                // The record is not awaited: the entity's turn waits for no storage round
                // trip, only for room while RECEIPT_WRITES_IN_FLIGHT are unacknowledged
                // (backpressure: a burst of receipts cannot overflow the storage mailbox).
                receiptWrites ??= createWriteWindow(RECEIPT_WRITES_IN_FLIGHT);
                await receiptWrites.start(() =>
                  deps
                    .storage()
                    .request({
                      type: 'history.delivered',
                      profile: host.name,
                      id,
                      recipient,
                      timestamp: clock.now() / 1000,
                    })
                    .catch((error: unknown) =>
                      log.warn({ err: error }, 'delivery receipt not recorded'),
                    ),
                );
              }
              const reply = answer ? receiptFor(stanza, safeBare(host.jid()) ?? '') : undefined;
              if (reply !== undefined)
                // Not awaited: the send is queued behind this turn.
                host
                  .send(reply)
                  .catch((error: unknown) => log.debug({ err: error }, 'receipt not sent'));
            }
            await next();
          },
          // Before the archive's middleware: archived messages are not answered.
          { priority: 200 },
        ),
        host.onOnline(async () => {
          // A storage hiccup keeps the previous choice; it never fails the connection.
          try {
            const value = await deps.storage().request({
              type: 'param.get',
              profile: host.name,
              category: 'receipts',
              name: 'answer',
            });
            answer = value !== 'false';
          } catch (error) {
            log.warn({ err: error }, 'receipt setting not read; keeping the previous one');
          }
        }),
      ];
      return () => {
        for (const off of offs) off();
      };
    },
  };
}
