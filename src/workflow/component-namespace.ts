/**
 * Components (XEP-0114) receive stanzas in the `jabber:component:accept` namespace. Rewriting
 * that namespace to `jabber:client` before parsing lets one parser and every plugin serve both
 * clients and components. Only declarations of the component namespace change: foreign
 * namespaces (`urn:xmpp:delay`, `jabber:x:oob`, …) are left exactly as they were.
 *
 * @see https://xmpp.org/extensions/xep-0114.html
 */
import type { Element } from '../util/stanza-xml.js';
import { NS_CLIENT, NS_COMPONENT } from './namespaces.js';
import { el, inheritedScope, isXmlElement, type NsScope, type XmlElement } from './xml.js';

/**
 * Returns `stanza` unchanged when nothing in it (or inherited from its stream) is in the
 * component namespace, otherwise a detached copy where every such element is in
 * `jabber:client`. The copy declares on its root every namespace it inherited, so it reads the
 * same without its stream parent. Never mutates its input.
 *
 * @example
 * normalizeComponentNamespace(parseXml('<message xmlns="jabber:component:accept"/>'))
 *   .toString(); // '<message xmlns="jabber:client"/>'
 */
export function normalizeComponentNamespace(stanza: XmlElement): XmlElement {
  const inherited = inheritedScope(stanza);
  const inheritsComponent = [...inherited.values()].includes(NS_COMPONENT);
  if (!inheritsComponent && !declaresComponent(stanza)) return stanza;
  return copy(stanza, rootDeclarations(stanza, inherited));
}

function declaresComponent(element: XmlElement): boolean {
  for (const [key, value] of Object.entries(element.attrs)) {
    if ((key === 'xmlns' || key.startsWith('xmlns:')) && value === NS_COMPONENT) return true;
  }
  return element.children.some((c) => isXmlElement(c) && declaresComponent(c));
}

/** Inherited declarations the root does not override, to make the copy self-contained. */
function rootDeclarations(root: XmlElement, inherited: NsScope): Record<string, string> {
  const extra: Record<string, string> = {};
  for (const [prefix, ns] of inherited) {
    const key = prefix === '' ? 'xmlns' : `xmlns:${prefix}`;
    if (root.attrs[key] === undefined) extra[key] = ns;
  }
  return extra;
}

function copy(element: XmlElement, extraAttrs: Record<string, string> = {}): Element {
  const attrs: Record<string, string | undefined> = {};
  for (const [key, value] of Object.entries({ ...extraAttrs, ...element.attrs })) {
    if (value === undefined || value === null) continue;
    const text = String(value);
    const isDeclaration = key === 'xmlns' || key.startsWith('xmlns:');
    attrs[key] = isDeclaration && text === NS_COMPONENT ? NS_CLIENT : text;
  }
  const children = element.children.map((c) => (isXmlElement(c) ? copy(c) : String(c)));
  return el(element.name, attrs, ...children);
}
