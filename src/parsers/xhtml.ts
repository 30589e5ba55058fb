/**
 * XHTML payloads (XEP-0071 XHTML-IM, Atom `type="xhtml"` content, RFC 4287 §3.1.1.3): a
 * plain-text rendering for search and previews, and a conservative filter that removes
 * active content before the markup is stored.
 *
 * The filter is a safety net, not a full HTML sanitiser: whoever renders the XHTML must
 * still sanitise it for its context.
 *
 * @example
 * xhtmlToText(div); // 'Hello\nworld'
 */
import type { ItemElement } from './xml-item.js';

export const XHTML_NS = 'http://www.w3.org/1999/xhtml';

const DROPPED = new Set(['script', 'style', 'iframe', 'object', 'embed', 'form', 'head', 'title']);
const BLOCK = new Set([
  'p',
  'div',
  'br',
  'li',
  'ul',
  'ol',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'tr',
  'table',
  'hr',
  'section',
  'article',
  'header',
  'footer',
  'figure',
  'figcaption',
  'dd',
  'dt',
]);

/** Plain text: block elements become single line breaks, spaces collapse, scripts vanish. */
export function xhtmlToText(root: ItemElement): string {
  const parts: string[] = [];
  walk(root, parts, false);
  return parts
    .join('')
    .split('\n')
    .map((line) => line.replace(/[ \t\r\f\v]+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}

function walk(element: ItemElement, parts: string[], pre: boolean): void {
  const name = element.name.toLowerCase();
  if (DROPPED.has(name)) return;
  const block = BLOCK.has(name);
  const inPre = pre || name === 'pre';
  if (block) parts.push('\n');
  for (const child of element.children) {
    if (typeof child === 'string') parts.push(inPre ? child : child.replace(/\s+/g, ' '));
    else walk(child, parts, inPre);
  }
  if (block) parts.push('\n');
}

/**
 * A copy without `<script>`-like elements, `on*` attributes and `javascript:`/`data:`/
 * `vbscript:` URLs in `href`/`src`.
 */
export function filterXhtml(element: ItemElement): ItemElement {
  const attrs: Record<string, string> = {};
  for (const [key, value] of Object.entries(element.attrs)) {
    const lower = key.toLowerCase();
    if (lower.startsWith('on')) continue;
    if (
      (lower === 'href' || lower === 'src' || lower.endsWith(':href')) &&
      /^\s*(javascript|vbscript|data):/i.test(value)
    ) {
      continue;
    }
    attrs[key] = value;
  }
  const children = element.children
    .filter((c) => typeof c === 'string' || !DROPPED.has(c.name.toLowerCase()))
    .map((c) => (typeof c === 'string' ? c : filterXhtml(c)));
  return { name: element.name, ns: element.ns, attrs, children };
}

/** Plain text from an HTML string (Atom `type="html"`): tags stripped, entities decoded. */
export function htmlToText(html: string): string {
  const withoutActive = html.replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, ' ');
  const broken = withoutActive.replace(
    /<(br|\/p|\/div|\/li|\/h[1-6]|\/blockquote)\b[^>]*>/gi,
    '\n',
  );
  const stripped = broken.replace(/<[^>]*>/g, '');
  return decodeEntities(stripped)
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}

const NAMED: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  nbsp: '\u00a0',
};

function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (match, body: string) => {
    if (body.startsWith('#')) {
      const code =
        body[1] === 'x' || body[1] === 'X'
          ? Number.parseInt(body.slice(2), 16)
          : Number.parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
    }
    return NAMED[body.toLowerCase()] ?? match;
  });
}
