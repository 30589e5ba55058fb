/**
 * Small read helpers over {@link ItemElement} trees, plus serialisation back to XML text.
 *
 * @example
 * const title = childText(entry, 'title', ATOM_NS); // '' when absent
 */
import { escapeXML, escapeXMLText } from 'ltx/src/escape.js';
import type { ItemElement, ItemNode } from './xml-item.js';

/** Child elements, optionally filtered by local name and namespace. */
export function childElements(parent: ItemElement, name?: string, ns?: string): ItemElement[] {
  const found: ItemElement[] = [];
  for (const child of parent.children) {
    if (typeof child === 'string') continue;
    if (name !== undefined && child.name !== name) continue;
    if (ns !== undefined && child.ns !== ns) continue;
    found.push(child);
  }
  return found;
}

/** The first matching child element, or undefined. */
export function firstChild(
  parent: ItemElement,
  name: string,
  ns?: string,
): ItemElement | undefined {
  return childElements(parent, name, ns)[0];
}

/** All descendant text, concatenated. */
export function textContent(node: ItemNode): string {
  if (typeof node === 'string') return node;
  let text = '';
  for (const child of node.children) text += textContent(child);
  return text;
}

/** Trimmed text of the first matching child, or undefined when absent or blank. */
export function childText(parent: ItemElement, name: string, ns?: string): string | undefined {
  const child = firstChild(parent, name, ns);
  if (child === undefined) return undefined;
  const text = textContent(child).trim();
  return text === '' ? undefined : text;
}

/**
 * Serialises an element with its namespace declared on it when it differs from `parentNs`, so
 * the result is standalone XML. Prefixed names are written unprefixed with an `xmlns`.
 */
export function serializeXml(element: ItemElement, parentNs = ''): string {
  let out = `<${element.name}`;
  if (element.ns !== parentNs) out += ` xmlns="${escapeXML(element.ns)}"`;
  for (const [key, value] of Object.entries(element.attrs)) {
    if (key === 'xmlns' || key.startsWith('xmlns:')) continue;
    out += ` ${key}="${escapeXML(value)}"`;
  }
  if (element.children.length === 0) return `${out}/>`;
  out += '>';
  for (const child of element.children) {
    out += typeof child === 'string' ? escapeXMLText(child) : serializeXml(child, element.ns);
  }
  return `${out}</${element.name}>`;
}
