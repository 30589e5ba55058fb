/**
 * What is known about a stanza the stream guard skipped for being larger than `maxStanzaBytes`
 * or nested deeper than `maxDepth`: only its start tag was read. The owner of the stream may answer it where the protocol calls
 * for an answer: an IQ `get`/`set` MUST get a reply (RFC 6120 §8.2.3), so it gets
 * `<error type='modify'><policy-violation/></error>` (RFC 6120 §8.3.3.12). A message or
 * presence is dropped without a reply: a bounce to a hostile sender only amplifies a flood, and
 * an error stanza is never answered (RFC 6120 §8.3.1).
 */
import { escapeXML } from '@xmpp/xml';

const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const STANZA_NAMES = new Set(['message', 'presence', 'iq']);
const ATTRIBUTE = /\s([^\s=/>]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g;
const NAME = /^<([^\s/>]+)/;

/**
 * A skipped stanza: its name, its routing attributes when its start tag had them, its size,
 * and which limit it broke.
 */
export interface OversizeStanza {
  readonly name: string;
  readonly id: string | undefined;
  readonly type: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  /** Bytes discarded, start tag included. */
  readonly bytes: number;
  readonly limit: 'bytes' | 'depth';
}

/** The start tag of a stanza: its name and routing attributes. */
export type StartTag = Omit<OversizeStanza, 'bytes' | 'limit'>;

/** `message`, `presence` and `iq` (RFC 6120 §8) can be skipped; any other element cannot. */
export function isStanzaName(name: string): boolean {
  return STANZA_NAMES.has(name);
}

/** Expands the predefined and numeric references (the guard has already refused any other). */
function expandReferences(value: string): string {
  return value.replace(/&(#x[0-9A-Fa-f]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_, ref: string) => {
    if (ref.startsWith('#x')) return String.fromCodePoint(Number.parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number(ref.slice(1)));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[ref] ?? '';
  });
}

/**
 * Reads a complete start tag (`<iq type='get' id='1'>`); undefined when it has no name.
 *
 * @example
 * describeStartTag("<iq type='set' id='a1'>"); // { name: 'iq', type: 'set', id: 'a1', … }
 */
export function describeStartTag(tag: string): StartTag | undefined {
  const name = NAME.exec(tag)?.[1];
  if (name === undefined) return undefined;
  const attrs = new Map<string, string>();
  for (const match of tag.matchAll(ATTRIBUTE)) {
    const [, key, single, double] = match;
    if (key !== undefined && !attrs.has(key))
      attrs.set(key, expandReferences(single ?? double ?? ''));
  }
  return {
    name,
    id: attrs.get('id'),
    type: attrs.get('type'),
    from: attrs.get('from'),
    to: attrs.get('to'),
  };
}

/**
 * The error reply a skipped stanza calls for, as XML text, or undefined when none is due (see
 * the module comment). On a component stream (XEP-0114) the reply must name the component as
 * its sender, so `from` is the original `to`; a client leaves `from` to its server.
 *
 * @example
 * const reply = oversizeReply(stanza, 'jabber:client');
 * if (reply !== undefined) await stream.write(reply);
 */
export function oversizeReply(stanza: OversizeStanza, ns: string): string | undefined {
  if (stanza.name !== 'iq' || (stanza.type !== 'get' && stanza.type !== 'set')) return undefined;
  if (stanza.id === undefined) return undefined;
  const attrs: Record<string, string | undefined> = {
    type: 'error',
    id: stanza.id,
    to: stanza.from,
    from: ns === 'jabber:component:accept' ? stanza.to : undefined,
  };
  const text = Object.entries(attrs)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([key, value]) => ` ${key}='${escapeXML(value)}'`)
    .join('');
  return `<iq${text}><error type='modify'><policy-violation xmlns='${NS_STANZAS}'/><text xmlns='${NS_STANZAS}'>${stanza.limit === 'depth' ? 'stanza nested deeper' : `stanza of ${stanza.bytes} bytes is larger`} than the receiver accepts</text></error></iq>`;
}
