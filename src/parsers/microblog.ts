/**
 * XEP-0277 microblog items (https://xmpp.org/extensions/xep-0277.html): Atom entries
 * (RFC 4287) published on `urn:xmpp:microblog:0` nodes and their comment nodes.
 *
 * Input: the XML text of the pubsub item's payload, i.e. the
 * `<entry xmlns="http://www.w3.org/2005/Atom">` element (not the `<item/>` around it).
 * Output: plain JSON data. Missing optional fields are left out; malformed XML or another
 * root element throws (that item fails, the others are kept).
 *
 * @example
 * parseMicroblog('<entry xmlns="http://www.w3.org/2005/Atom"><id>1</id>...</entry>').tags
 */
import { filterXhtml, htmlToText, XHTML_NS, xhtmlToText } from './xhtml.js';
import { type ItemElement, parseXmlItem, XmlItemError } from './xml-item.js';
import { childElements, childText, firstChild, serializeXml, textContent } from './xml-query.js';
import { parseXmppUri } from './xmpp-uri.js';

export const ATOM_NS = 'http://www.w3.org/2005/Atom';
/** RFC 4685 Atom threading. */
export const THREAD_NS = 'http://purl.org/syndication/thread/1.0';

/** Text and, when published as XHTML (or HTML), the markup, for a title or content. */
export interface MicroblogText {
  /** Plain text (XHTML/HTML rendered as text, for search and previews). */
  readonly text: string;
  /** Filtered XHTML markup (the `<div>` element), when the entry carried XHTML. */
  readonly xhtml?: string;
  /** Raw HTML string, when the entry carried `type="html"`. */
  readonly html?: string;
}

export interface MicroblogAuthor {
  readonly name?: string;
  /** From an `xmpp:` author URI. */
  readonly jid?: string;
  readonly uri?: string;
  readonly email?: string;
}

export interface MicroblogLink {
  readonly rel: string;
  readonly href: string;
  readonly type?: string;
  readonly title?: string;
  readonly length?: number;
}

/** A comments node from `<link rel="replies" title="comments" href="xmpp:service?;node=..."/>`. */
export interface MicroblogComments {
  readonly uri: string;
  readonly service: string;
  readonly node: string;
}

/** RFC 4685 `<thr:in-reply-to ref="..." href="..."/>`. */
export interface MicroblogInReplyTo {
  readonly ref: string;
  readonly href?: string;
  readonly type?: string;
}

export interface MicroblogItem {
  readonly id?: string;
  readonly title?: MicroblogText;
  readonly content?: MicroblogText;
  /** Milliseconds since the epoch; falls back to `updated` when absent. */
  readonly published?: number;
  readonly publishedIso?: string;
  /** Milliseconds since the epoch; falls back to `published` when absent. */
  readonly updated?: number;
  readonly updatedIso?: string;
  readonly author?: MicroblogAuthor;
  /** Category terms (`<category term="..."/>`), in document order, without duplicates. */
  readonly tags: readonly string[];
  readonly links: readonly MicroblogLink[];
  readonly comments: readonly MicroblogComments[];
  readonly inReplyTo?: readonly MicroblogInReplyTo[];
  readonly generator?: string;
  /** Title and content text joined, for the full-text index. */
  readonly text: string;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Parses one XEP-0277 Atom entry. Throws {@link XmlItemError} on malformed input. */
export function parseMicroblog(xml: string): MicroblogItem {
  const entry = parseXmlItem(xml);
  if (entry.name !== 'entry' || entry.ns !== ATOM_NS) {
    throw new XmlItemError(
      `expected an Atom <entry xmlns="${ATOM_NS}">, got <${entry.name}> in "${entry.ns}"`,
    );
  }
  const item: Mutable<MicroblogItem> = { tags: [], links: [], comments: [], text: '' };
  const id = childText(entry, 'id', ATOM_NS);
  if (id !== undefined) item.id = id;

  const title = readText(childElements(entry, 'title', ATOM_NS));
  if (title !== undefined) item.title = title;
  const content = readText(childElements(entry, 'content', ATOM_NS));
  if (content !== undefined) item.content = content;
  item.text = [title?.text, content?.text].filter((t) => t).join('\n');

  const published = readDate(childText(entry, 'published', ATOM_NS));
  const updated = readDate(childText(entry, 'updated', ATOM_NS));
  const effectivePublished = published ?? updated;
  const effectiveUpdated = updated ?? published;
  if (effectivePublished !== undefined) {
    item.published = effectivePublished.ms;
    item.publishedIso = effectivePublished.iso;
  }
  if (effectiveUpdated !== undefined) {
    item.updated = effectiveUpdated.ms;
    item.updatedIso = effectiveUpdated.iso;
  }

  const authorElement = firstChild(entry, 'author', ATOM_NS);
  if (authorElement !== undefined) {
    const author = readAuthor(authorElement);
    if (Object.keys(author).length > 0) item.author = author;
  }

  const tags: string[] = [];
  for (const category of childElements(entry, 'category', ATOM_NS)) {
    const term = category.attrs['term']?.trim();
    if (term && !tags.includes(term)) tags.push(term);
  }
  item.tags = tags;

  const links: MicroblogLink[] = [];
  const comments: MicroblogComments[] = [];
  for (const element of childElements(entry, 'link', ATOM_NS)) {
    const link = readLink(element);
    if (link === undefined) continue;
    links.push(link);
    if (link.rel === 'replies' && (link.title === undefined || link.title === 'comments')) {
      const uri = parseXmppUri(link.href);
      const node = uri?.params['node'];
      if (uri !== undefined && node) comments.push({ uri: link.href, service: uri.jid, node });
    }
  }
  item.links = links;
  item.comments = comments;

  const replies = childElements(entry, 'in-reply-to', THREAD_NS)
    .map(readInReplyTo)
    .filter((r): r is MicroblogInReplyTo => r !== undefined);
  if (replies.length > 0) item.inReplyTo = replies;

  const generator = childText(entry, 'generator', ATOM_NS);
  if (generator !== undefined) item.generator = generator;
  return item;
}

/**
 * Reads Atom text constructs (RFC 4287 §3.1). Several elements may be given (XEP-0277
 * publishers send one `type="text"` and one `type="xhtml"`): text comes from the text one when
 * present, else from the rendered markup.
 */
function readText(elements: readonly ItemElement[]): MicroblogText | undefined {
  if (elements.length === 0) return undefined;
  let plain: string | undefined;
  let xhtml: string | undefined;
  let xhtmlText: string | undefined;
  let html: string | undefined;
  for (const element of elements) {
    const type = (element.attrs['type'] ?? 'text').trim().toLowerCase();
    if (type === 'xhtml') {
      const div = firstChild(element, 'div', XHTML_NS);
      const root = div ?? element;
      const filtered = filterXhtml(root);
      // RFC 4287 §3.1.1.3 requires one XHTML <div>; anything else is wrapped in one.
      xhtml ??= serializeXml(
        div === undefined
          ? { name: 'div', ns: XHTML_NS, attrs: {}, children: filtered.children }
          : filtered,
      );
      xhtmlText ??= xhtmlToText(filtered);
    } else if (type === 'html' || type === 'text/html') {
      html ??= textContent(element);
    } else if (plain === undefined) {
      plain = textContent(element).trim();
    }
  }
  const text = plain ?? xhtmlText ?? (html === undefined ? '' : htmlToText(html));
  const result: Mutable<MicroblogText> = { text };
  if (xhtml !== undefined) result.xhtml = xhtml;
  if (html !== undefined) result.html = html;
  return result;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})?$/;

/** RFC 3339 date-time → ms and a normalised ISO string; undefined when unparsable. */
function readDate(value: string | undefined): { ms: number; iso: string } | undefined {
  if (value === undefined) return undefined;
  const match = RFC3339.exec(value);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, frac = '', zone = 'Z'] = match;
  const offset = /^[+-]\d{4}$/.test(zone) ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(
    `${y}-${mo}-${d}T${h}:${mi}:${s}${frac.slice(0, 4)}${offset.toUpperCase()}`,
  );
  if (Number.isNaN(ms)) return undefined;
  return { ms, iso: new Date(ms).toISOString() };
}

function readAuthor(element: ItemElement): MicroblogAuthor {
  const author: Mutable<MicroblogAuthor> = {};
  const name = childText(element, 'name', ATOM_NS);
  const uri = childText(element, 'uri', ATOM_NS);
  const email = childText(element, 'email', ATOM_NS);
  if (name !== undefined) author.name = name;
  if (uri !== undefined) {
    author.uri = uri;
    const jid = parseXmppUri(uri)?.jid;
    if (jid !== undefined) author.jid = jid;
  }
  if (email !== undefined) author.email = email;
  return author;
}

function readLink(element: ItemElement): MicroblogLink | undefined {
  const href = element.attrs['href']?.trim();
  if (!href) return undefined;
  const link: Mutable<MicroblogLink> = { rel: element.attrs['rel']?.trim() || 'alternate', href };
  const type = element.attrs['type']?.trim();
  const title = element.attrs['title'];
  const length = Number(element.attrs['length']);
  if (type) link.type = type;
  if (title !== undefined) link.title = title;
  if (element.attrs['length'] !== undefined && Number.isSafeInteger(length) && length >= 0) {
    link.length = length;
  }
  return link;
}

function readInReplyTo(element: ItemElement): MicroblogInReplyTo | undefined {
  const ref = element.attrs['ref']?.trim();
  if (!ref) return undefined;
  const reply: Mutable<MicroblogInReplyTo> = { ref };
  const href = element.attrs['href']?.trim();
  const type = element.attrs['type']?.trim();
  if (href) reply.href = href;
  if (type) reply.type = type;
  return reply;
}
