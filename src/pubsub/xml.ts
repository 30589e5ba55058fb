/**
 * The XML helpers of the pubsub layer, on the stanza model of the whole runtime: `@xmpp/xml`'s
 * `Element` (ltx's CommonJS build, `ltx/lib`), so requests built here go to a connection and
 * replies come back without conversion. Readers in this folder duck-type children, never
 * `instanceof`.
 */
import { Element, parseStanza, xml as xmppXml } from '../util/stanza-xml.js';

/** A stanza element: `@xmpp/xml`'s `Element`. */
export type XmlElement = Element;

/** One child of an element being built: elements, text, or nothing (skipped). */
export type XmlChild = XmlElement | string | undefined | null | false | readonly XmlChild[];

/**
 * Builds an element; `undefined` attribute values are left out, `undefined`/`false` children
 * skipped.
 *
 * @example xml('items', { node: 'princely_musings', max_items: '2' })
 */
export function xml(
  name: string,
  attrs: Readonly<Record<string, string | number | undefined>> = {},
  ...children: XmlChild[]
): XmlElement {
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined) clean[key] = String(value);
  }
  const flat: Array<XmlElement | string> = [];
  const add = (child: XmlChild): void => {
    if (child === undefined || child === null || child === false) return;
    if (Array.isArray(child)) for (const c of child as readonly XmlChild[]) add(c);
    else flat.push(child as XmlElement | string);
  };
  for (const child of children) add(child);
  return xmppXml(name, clean, ...flat);
}

/**
 * A pubsub request (XEP-0060 §6–8): `<iq type to=service><pubsub xmlns=ns>children</pubsub></iq>`.
 * `ns` is the pubsub namespace, or the `#owner` one for node administration.
 *
 * @example pubsubIq('set', 'pubsub.example.org', NS.pubsub, xml('publish', { node: 'news' }))
 */
export function pubsubIq(
  type: 'get' | 'set',
  service: string,
  ns: string,
  ...children: XmlChild[]
): XmlElement {
  return xml('iq', { type, to: service }, xml('pubsub', { xmlns: ns }, ...children));
}

/**
 * Parses one XML document into an element. Throws on malformed input; rejects a DOCTYPE
 * explicitly because ltx's tokenizer silently skips everything after one.
 */
export function parseXml(text: string): XmlElement {
  return parseStanza(text);
}

/** Whether a child node is an element (duck-typed, so it works across ltx copies). */
export function isElement(node: unknown): node is XmlElement {
  return typeof node === 'object' && node !== null && typeof (node as XmlElement).name === 'string';
}

/** The element children of `el`, in document order. */
export function childElements(el: XmlElement): XmlElement[] {
  return el.children.filter(isElement);
}

/** The first element child of `el` with that local name and namespace, if any. */
export function firstChild(el: XmlElement, name: string, xmlns: string): XmlElement | undefined {
  return el.getChild(name, xmlns);
}

/**
 * Serialises `el` as a standalone document: when its namespace is inherited from an ancestor
 * (no `xmlns` attribute of its own), the namespace is written on it, so the text parses alone.
 * The original element is not modified.
 */
export function standaloneXml(el: XmlElement): string {
  if (el.attrs.xmlns !== undefined) return el.toString();
  const ns = el.getNS();
  if (ns === undefined) return el.toString();
  const copy = new Element(el.name, { ...el.attrs, xmlns: ns });
  // Share the children without re-parenting them: serialisation only reads them.
  copy.children = el.children;
  return copy.toString();
}

/** Parses a non-negative decimal integer attribute or text; anything else gives `undefined`. */
export function parseCount(text: string | undefined | null): number | undefined {
  if (text === undefined || text === null) return undefined;
  const trimmed = text.trim();
  if (!/^\d{1,15}$/.test(trimmed)) return undefined;
  return Number(trimmed);
}
