/**
 * The workflow's reading view of stanzas. Elements are the runtime's one stanza model
 * (`@xmpp/xml`'s `Element`, see `src/util/stanza-xml.ts`); the readers here only need the
 * read-only shape {@link XmlElement}, never `instanceof`, and resolve namespaces from the
 * `xmlns` declarations in scope rather than through the element's methods.
 */
import { type Element, parseStanza, xml } from '../util/stanza-xml.js';

/** What the workflow reads from an ltx element (either ltx build satisfies it). */
export interface XmlElement {
  readonly name: string;
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly children: ReadonlyArray<XmlElement | string>;
  /** Set by ltx parsers; a stanza read from a stream points at the stream root. */
  readonly parent?: XmlElement | null;
  toString(): string;
}

/** A child given to {@link el}: elements, text, or nothing (skipped). */
export type XmlChild = Element | string | null | undefined | false;

/** XML namespace of `xml:lang` and friends (bound by definition, never declared). */
export const NS_XML = 'http://www.w3.org/XML/1998/namespace';

/**
 * Builds an element; `undefined` attributes and empty children are left out.
 *
 * @example
 * el('body', { 'xml:lang': 'fr' }, 'salut').toString(); // <body xml:lang="fr">salut</body>
 */
export function el(
  name: string,
  attrs: Record<string, string | undefined> = {},
  ...children: XmlChild[]
): Element {
  return xml(name, { ...attrs }, ...children);
}

/**
 * Parses one XML document into an element tree. Throws on malformed input and on a DOCTYPE
 * (callers wrap it into their own typed error).
 */
export function parseXml(text: string): Element {
  return parseStanza(text);
}

/** Whether `value` is shaped like an element (a name, attributes and children). */
export function isXmlElement(value: unknown): value is XmlElement {
  if (value === null || typeof value !== 'object') return false;
  const v = value as Partial<XmlElement>;
  return (
    typeof v.name === 'string' &&
    v.attrs !== null &&
    typeof v.attrs === 'object' &&
    Array.isArray(v.children)
  );
}

/** The namespace declarations in scope at an element: `''` is the default namespace. */
export type NsScope = ReadonlyMap<string, string>;

/** The scope inside `element`, given the scope of its parent. */
export function scopeOf(element: XmlElement, parentScope: NsScope): NsScope {
  let scope: Map<string, string> | undefined;
  const attrs = element.attrs;
  for (const key in attrs) {
    // Hot path: most attributes are not declarations; test the first character before the rest.
    if (key.charCodeAt(0) !== 120 /* x */ || !(key === 'xmlns' || key.startsWith('xmlns:'))) {
      continue;
    }
    const value = attrs[key];
    if (typeof value !== 'string') continue;
    scope ??= new Map(parentScope);
    scope.set(key === 'xmlns' ? '' : key.slice(6), value);
  }
  return scope ?? parentScope;
}

/**
 * The scope an element inherits from its ancestors (a stanza read from a stream inherits the
 * stream's default namespace). Nearest declarations win.
 */
export function inheritedScope(element: XmlElement): NsScope {
  const chain: XmlElement[] = [];
  const seen = new Set<XmlElement>();
  for (let p = element.parent; isXmlElement(p) && !seen.has(p); p = p.parent) {
    seen.add(p);
    chain.unshift(p);
  }
  let scope: NsScope = new Map();
  for (const ancestor of chain) scope = scopeOf(ancestor, scope);
  return scope;
}

/** Local part of a possibly prefixed name (`stream:features` → `features`). */
export function localName(element: XmlElement): string {
  const i = element.name.indexOf(':');
  return i < 0 ? element.name : element.name.slice(i + 1);
}

/** The namespace of `element` in `scope` (its own scope, see {@link scopeOf}). */
export function namespaceIn(element: XmlElement, scope: NsScope): string | undefined {
  const i = element.name.indexOf(':');
  return scope.get(i < 0 ? '' : element.name.slice(0, i));
}

/**
 * An element together with its resolved namespace and scope. Its element children are
 * resolved once, on first use, and kept on the object (a parse looks them up many times).
 */
export class ScopedElement {
  #children: readonly ScopedElement[] | undefined;

  constructor(
    readonly element: XmlElement,
    readonly ns: string | undefined,
    readonly scope: NsScope,
  ) {}

  /** The element children, each with its namespace resolved. */
  get children(): readonly ScopedElement[] {
    if (this.#children === undefined) {
      const out: ScopedElement[] = [];
      for (const child of this.element.children) {
        if (!isXmlElement(child)) continue;
        const scope = scopeOf(child, this.scope);
        out.push(new ScopedElement(child, namespaceIn(child, scope), scope));
      }
      this.#children = out;
    }
    return this.#children;
  }
}

/** Wraps a root element with the scope it inherits and its own declarations. */
export function scoped(
  element: XmlElement,
  inherited: NsScope = inheritedScope(element),
): ScopedElement {
  const scope = scopeOf(element, inherited);
  return new ScopedElement(element, namespaceIn(element, scope), scope);
}

/** The element children of `parent`, each with its namespace resolved. */
export function childElements(parent: ScopedElement): readonly ScopedElement[] {
  return parent.children;
}

/** Children with this local name in this namespace. */
export function childrenNamed(parent: ScopedElement, name: string, ns: string): ScopedElement[] {
  return childElements(parent).filter((c) => c.ns === ns && localName(c.element) === name);
}

/** The first child with this local name in this namespace. */
export function childNamed(
  parent: ScopedElement,
  name: string,
  ns: string,
): ScopedElement | undefined {
  return childElements(parent).find((c) => c.ns === ns && localName(c.element) === name);
}

/** Concatenated text children (not descendants), like ltx's `getText()`. */
export function textOf(element: XmlElement): string {
  let text = '';
  for (const child of element.children) if (typeof child === 'string') text += child;
  return text;
}

/** A string attribute, or `undefined` when absent or not a string. */
export function attr(element: XmlElement, name: string): string | undefined {
  const value = element.attrs[name];
  return typeof value === 'string' ? value : undefined;
}
