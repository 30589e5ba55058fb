/**
 * Builds the `<message/>` stanza for outgoing message data: addressing, type (guessed when
 * `auto`), `id`, one `<body/>` and `<subject/>` per language, `<thread parent=…/>` and the
 * XEP-0359 origin-id carrying Aviary's uid.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6121#section-5.2 (message syntax)
 * @see https://xmpp.org/extensions/xep-0359.html (origin-id)
 */

import type { Element } from '../util/stanza-xml.js';
import { MessageInvalidError } from './errors.js';
import { isValidJid, normalizeJid, parseJid } from './jid.js';
import {
  isMessageType,
  type LangMap,
  type MessageData,
  type MessageType,
  WIRE_MESSAGE_TYPES,
} from './message-data.js';
import { NS_CLIENT, NS_SID } from './namespaces.js';
import { el, type XmlChild } from './xml.js';

/** Message data whose type may still be `auto`. */
export type MessageDraft = Omit<MessageData, 'type'> & { readonly type: MessageType | 'auto' };

/** What the build needs from its entity. */
export interface BuildDeps {
  /** Whether a bare JID is a chat room this entity knows (MUC, XEP-0045). */
  readonly isRoom: (bareJid: string) => boolean;
}

/** A built stanza: the element, its XML text, and the data with type resolved and `xml` set. */
export interface BuiltMessage {
  readonly element: Element;
  readonly xml: string;
  readonly message: MessageData;
}

/**
 * Resolves the `auto` type the way Libervia does: `normal` when there is a subject,
 * `groupchat` when addressed to a known room's bare JID, `chat` otherwise (a room occupant's
 * full JID is a private message, so `chat`).
 *
 * @example
 * resolveType({ type: 'auto', to: 'room@conf.lit', subject: {} }, { isRoom: () => true }); // 'groupchat'
 */
export function resolveType(
  draft: Pick<MessageDraft, 'type' | 'to' | 'subject'>,
  deps: BuildDeps,
): MessageType {
  if (draft.type !== 'auto') return draft.type;
  if (hasText(draft.subject)) return 'normal';
  const to = parseJid(draft.to);
  if (to.resource === '' && deps.isRoom(normalizeJid(draft.to))) return 'groupchat';
  return 'chat';
}

/**
 * Builds the stanza. `uid` becomes both the `id` attribute (unless `id` is set) and the
 * origin-id.
 *
 * @throws MessageInvalidError (`message.invalid`) on an invalid JID or type, a thread parent
 *   without a thread, or a type that never goes on the wire (`info`).
 * @example
 * const { xml } = buildMessage(
 *   { uid: 'u1', from: 'a@x.lit/r', to: 'b@x.lit', type: 'auto', timestamp: 0, extra: {},
 *     message: { '': 'hi', fr: 'salut' }, subject: {} },
 *   { isRoom: () => false },
 * );
 */
export function buildMessage(draft: MessageDraft, deps: BuildDeps): BuiltMessage {
  for (const field of ['from', 'to'] as const) {
    if (typeof draft[field] !== 'string' || !isValidJid(draft[field])) {
      throw new MessageInvalidError(`invalid ${field} JID ${JSON.stringify(draft[field])}`);
    }
  }
  if (draft.type !== 'auto' && !isMessageType(draft.type)) {
    throw new MessageInvalidError(`invalid type ${JSON.stringify(draft.type)}`);
  }
  if (typeof draft.uid !== 'string' || draft.uid === '') {
    throw new MessageInvalidError('missing uid');
  }
  const type = resolveType(draft, deps);
  if (!WIRE_MESSAGE_TYPES.includes(type)) {
    throw new MessageInvalidError(`type ${type} is local to Aviary and cannot be sent`);
  }
  if (draft.threadParent !== undefined && (draft.thread === undefined || draft.thread === '')) {
    throw new MessageInvalidError('threadParent without thread');
  }
  const id = draft.id ?? draft.uid;
  const element = el(
    'message',
    { xmlns: NS_CLIENT, from: draft.from, to: draft.to, type, id },
    ...perLang('subject', draft.subject),
    ...perLang('body', draft.message),
    draft.thread !== undefined && draft.thread !== ''
      ? el('thread', { parent: draft.threadParent }, draft.thread)
      : undefined,
    el('origin-id', { xmlns: NS_SID, id: draft.uid }),
  );
  const xml = element.toString();
  // The origin-id is kept on the message (and its history row), so the same message coming
  // back from the account's archive or another device dedupes against it (XEP-0359 §3.2).
  return { element, xml, message: { ...draft, type, id, originId: draft.uid, xml } };
}

function perLang(name: 'body' | 'subject', texts: LangMap): XmlChild[] {
  if (texts === null || typeof texts !== 'object') {
    throw new MessageInvalidError(`${name} must be an object of texts by language`);
  }
  return Object.entries(texts).map(([lang, text]) => {
    if (typeof text !== 'string') throw new MessageInvalidError(`${name} text is not a string`);
    if (!/^[A-Za-z0-9-]*$/.test(lang)) {
      throw new MessageInvalidError(`invalid language tag ${JSON.stringify(lang)}`);
    }
    return el(name, { 'xml:lang': lang === '' ? undefined : lang }, text);
  });
}

function hasText(texts: LangMap | undefined): boolean {
  return texts !== undefined && Object.values(texts).some((t) => t !== '');
}
