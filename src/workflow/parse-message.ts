/**
 * Turns an incoming `<message/>` stanza into {@link MessageData}. Components' stanzas are first
 * moved from `jabber:component:accept` to `jabber:client`, so both kinds of entity parse the
 * same way. Any problem with the input becomes a {@link StanzaInvalidError}
 * (`stanza.invalid`) with a reason; nothing else escapes.
 *
 * @see https://www.rfc-editor.org/rfc/rfc6121#section-5.2 (message syntax)
 * @see https://xmpp.org/extensions/xep-0203.html (delayed delivery)
 * @see https://xmpp.org/extensions/xep-0359.html (stanza and origin ids)
 */

import { isAviaryError } from '../errors.js';
import type { Clock } from '../util/clock.js';
import { normalizeComponentNamespace } from './component-namespace.js';
import { parseXmppDateTime } from './datetime.js';
import { StanzaInvalidError } from './errors.js';
import { bareJid, domainOf, normalizeJid } from './jid.js';
import {
  type JsonValue,
  type LangMap,
  type MessageData,
  type MessageType,
  type StanzaId,
  WIRE_MESSAGE_TYPES,
} from './message-data.js';
import { NS_CLIENT, NS_DELAY, NS_SID } from './namespaces.js';
import { parseAttachments } from './parse-attachments.js';
import {
  attr,
  childNamed,
  childrenNamed,
  isXmlElement,
  localName,
  parseXml,
  type ScopedElement,
  scoped,
  textOf,
  type XmlElement,
} from './xml.js';

/** What parsing needs from its entity. */
export interface ParseDeps {
  /** The entity's own (full) JID: the default `to`. */
  readonly ownJid: string;
  /** Default `from` (RFC 6120 §8.1.2.1); the domain of `ownJid` when not given. */
  readonly serverDomain?: string;
  readonly entityKind: 'client' | 'component';
  /** Source of fresh uids. */
  readonly newUid: () => string;
  readonly clock: Clock;
  /**
   * Maps a stanza `id` back to the uid of a message this entity sent (a room echoing our
   * groupchat message, a carbon of our own message), keyed by the sender's bare JID.
   */
  readonly uidForId?: (fromBare: string, id: string) => string | undefined;
  /**
   * Whether to trust a XEP-0359 stanza-id assigned `by` this (normalised) JID. Default: only
   * our own bare JID. A caller that knows a room announces `urn:xmpp:sid:0` may add the room.
   */
  readonly trustStanzaIdBy?: (by: string) => boolean;
}

/**
 * Parses a stanza (an ltx element or XML text).
 *
 * @throws StanzaInvalidError on anything that is not a valid `<message/>`.
 * @example
 * const m = parseMessage('<message xmlns="jabber:client" from="a@x.lit/r"><body>hi</body></message>',
 *   { ownJid: 'b@x.lit/r', entityKind: 'client', newUid: randomUUID, clock: systemClock });
 * m.message; // { '': 'hi' }
 */
export function parseMessage(stanza: XmlElement | string, deps: ParseDeps): MessageData {
  try {
    return parse(toElement(stanza), deps);
  } catch (error) {
    if (isAviaryError(error, 'stanza.invalid')) throw error;
    const reason = isAviaryError(error, 'jid.invalid') ? error.message : 'unreadable stanza';
    throw new StanzaInvalidError(reason, { cause: error });
  }
}

/** Parses XML text into an element, rejecting what ltx would mishandle. */
export function stanzaFromText(text: string): XmlElement {
  if (typeof text !== 'string') throw new StanzaInvalidError('not XML text');
  // ltx skips everything after a DOCTYPE; XMPP forbids DTDs anyway (RFC 6120 §11.1).
  if (/<!DOCTYPE/i.test(text)) throw new StanzaInvalidError('DOCTYPE is not allowed');
  try {
    return parseXml(text);
  } catch (cause) {
    throw new StanzaInvalidError('malformed XML', { cause });
  }
}

function toElement(stanza: XmlElement | string): XmlElement {
  if (typeof stanza === 'string') return stanzaFromText(stanza);
  if (!isXmlElement(stanza)) throw new StanzaInvalidError('not an XML element');
  return stanza;
}

function parse(input: XmlElement, deps: ParseDeps): MessageData {
  const element = deps.entityKind === 'component' ? normalizeComponentNamespace(input) : input;
  const root = scoped(element);
  if (localName(element) !== 'message') {
    throw new StanzaInvalidError(`<${element.name}/> is not a message`);
  }
  if (root.ns !== NS_CLIENT) {
    throw new StanzaInvalidError(`message in namespace ${JSON.stringify(root.ns ?? '')}`);
  }
  const now = deps.clock.now();
  const fromAttr = attr(element, 'from');
  const toAttr = attr(element, 'to');
  const from = jidAttr('from', fromAttr ?? deps.serverDomain ?? domainOf(deps.ownJid));
  const to = jidAttr('to', toAttr ?? deps.ownJid);
  const type = messageType(attr(element, 'type'));
  const id = attr(element, 'id');
  const stanzaLang = attr(element, 'xml:lang') ?? '';

  const message = byLang(root, 'body', stanzaLang);
  const subject = byLang(root, 'subject', stanzaLang);
  const thread = parseThread(root);
  const delay = parseDelay(root);
  const ownBare = bareJid(deps.ownJid);
  const trust = deps.trustStanzaIdBy ?? ((by: string) => by === ownBare);
  const stanzaId = parseStanzaId(root, trust);
  const originId = parseOriginId(root);
  const attachments = parseAttachments(root);

  const mapped = id !== undefined ? deps.uidForId?.(bareJid(from), id) : undefined;
  const extra: Record<string, JsonValue> = {};
  if (attachments.length > 0) extra['attachments'] = attachments as unknown as JsonValue;

  const data: { -readonly [K in keyof MessageData]: MessageData[K] } = {
    uid: mapped ?? deps.newUid(),
    from,
    to,
    type,
    message,
    subject,
    timestamp: delay?.stamp ?? now,
    extra,
  };
  if (id !== undefined) data.id = id;
  if (thread !== undefined) {
    data.thread = thread.thread;
    if (thread.parent !== undefined) data.threadParent = thread.parent;
  }
  if (delay !== undefined) {
    data.receivedTimestamp = now;
    if (delay.from !== undefined) data.delaySender = delay.from;
  }
  if (stanzaId !== undefined) data.stanzaId = stanzaId;
  if (originId !== undefined) data.originId = originId;
  return data;
}

function jidAttr(name: string, value: string): string {
  try {
    return normalizeJid(value);
  } catch (cause) {
    throw new StanzaInvalidError(`invalid ${name} JID ${JSON.stringify(value)}`, { cause });
  }
}

function messageType(value: string | undefined): MessageType {
  if (value === undefined) return 'normal';
  const type = WIRE_MESSAGE_TYPES.find((t) => t === value);
  if (type === undefined) throw new StanzaInvalidError(`invalid type ${JSON.stringify(value)}`);
  return type;
}

/** Texts by `xml:lang`; a child without one inherits the stanza's. The first text per language wins. */
function byLang(root: ScopedElement, name: 'body' | 'subject', stanzaLang: string): LangMap {
  // A Map, then own properties: a language named `__proto__` must stay plain data.
  const texts = new Map<string, string>();
  for (const child of childrenNamed(root, name, NS_CLIENT)) {
    const lang = attr(child.element, 'xml:lang') ?? stanzaLang;
    if (!texts.has(lang)) texts.set(lang, textOf(child.element));
  }
  return Object.fromEntries(texts);
}

function parseThread(root: ScopedElement): { thread: string; parent?: string } | undefined {
  const element = childNamed(root, 'thread', NS_CLIENT)?.element;
  if (element === undefined) return undefined;
  const thread = textOf(element).trim();
  const parent = attr(element, 'parent');
  if (thread === '') {
    if (parent !== undefined) throw new StanzaInvalidError('thread parent without thread');
    return undefined;
  }
  return parent === undefined || parent === '' ? { thread } : { thread, parent };
}

/** XEP-0203: the first `<delay/>` gives the original send time and who delayed it. */
function parseDelay(root: ScopedElement): { stamp: number; from?: string } | undefined {
  const element = childNamed(root, 'delay', NS_DELAY)?.element;
  if (element === undefined) return undefined;
  const stampText = attr(element, 'stamp');
  if (stampText === undefined) throw new StanzaInvalidError('delay without stamp');
  const stamp = parseXmppDateTime(stampText);
  if (stamp === undefined) {
    throw new StanzaInvalidError(`invalid delay stamp ${JSON.stringify(stampText)}`);
  }
  const from = attr(element, 'from');
  return from === undefined ? { stamp } : { stamp, from: jidAttr('delay from', from) };
}

/**
 * XEP-0359 §5 (Security Considerations): a stanza-id may be forged by anyone on the path, so
 * it is only trusted when its `by` is an entity we trust to have set it — by default our own
 * bare JID (our server's archive). Untrusted stanza-ids are ignored, not errors.
 */
function parseStanzaId(root: ScopedElement, trust: (by: string) => boolean): StanzaId | undefined {
  for (const child of childrenNamed(root, 'stanza-id', NS_SID)) {
    const id = attr(child.element, 'id');
    const byText = attr(child.element, 'by');
    if (id === undefined || id === '' || byText === undefined) continue;
    let by: string;
    try {
      by = normalizeJid(byText);
    } catch {
      continue;
    }
    if (trust(by)) return { id, by };
  }
  return undefined;
}

/** XEP-0359 origin-id: kept for de-duplication (it survives the server rewriting `id`). */
function parseOriginId(root: ScopedElement): string | undefined {
  const element = childNamed(root, 'origin-id', NS_SID)?.element;
  const id = element === undefined ? undefined : attr(element, 'id');
  return id === undefined || id === '' ? undefined : id;
}
