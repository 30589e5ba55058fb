/**
 * Checks one XML reference (`&name;` or `&#n;` / `&#xh;`) as XMPP allows it. RFC 6120 §11.1
 * forbids every entity reference but the five predefined ones (`restricted-xml`); a character
 * reference must name a legal XML character (XML 1.0 §2.2 `Char`, else `not-well-formed`).
 * The XML parser throws on what this refuses, so the stream guard checks first.
 */

/** The stream error a bad reference calls for (RFC 6120 §4.9.3). */
export interface ReferenceProblem {
  readonly condition: 'restricted-xml' | 'not-well-formed';
  readonly text: string;
}

/** Longest reference body we accept (`#x0010FFFF` with leading zeros is still fine). */
export const MAX_REFERENCE_LENGTH = 32;

const PREDEFINED = new Set(['amp', 'lt', 'gt', 'quot', 'apos']);
const NAME = /^[A-Za-z_:][\w.:-]*$/;
const DECIMAL = /^#[0-9]+$/;
const HEX = /^#x[0-9A-Fa-f]+$/;

/** XML 1.0 §2.2: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]. */
export function isXmlChar(code: number): boolean {
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    (code >= 0x10000 && code <= 0x10ffff)
  );
}

/**
 * `body` is what stands between `&` and `;`. Returns undefined when the reference is allowed.
 *
 * @example
 * checkReference('amp');   // undefined
 * checkReference('#0');    // { condition: 'not-well-formed', … }
 * checkReference('foo');   // { condition: 'restricted-xml', … }
 */
export function checkReference(body: string): ReferenceProblem | undefined {
  if (PREDEFINED.has(body)) return undefined;
  if (DECIMAL.test(body) || HEX.test(body)) {
    const code = body[1] === 'x' ? Number.parseInt(body.slice(2), 16) : Number(body.slice(1));
    if (isXmlChar(code)) return undefined;
    return { condition: 'not-well-formed', text: `&${body}; is not a legal XML character` };
  }
  if (NAME.test(body))
    return { condition: 'restricted-xml', text: `entity reference &${body}; is not allowed` };
  return { condition: 'not-well-formed', text: `malformed reference &${body.slice(0, 40)}` };
}
