import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMicroblog } from './microblog.js';
import { type ItemElement, parseXmlItem, XmlItemError } from './xml-item.js';
import { serializeXml } from './xml-query.js';

const xmlish = fc
  .array(
    fc.constantFrom(
      '<',
      '>',
      '/',
      '</',
      '/>',
      '<a>',
      '</a>',
      '<b x="1">',
      '</b>',
      '<entry xmlns="http://www.w3.org/2005/Atom">',
      '</entry>',
      '<!--',
      '-->',
      '<![CDATA[',
      ']]>',
      '<?',
      '?>',
      '<!DOCTYPE',
      '&amp;',
      '&lt;',
      '&',
      ';',
      '&#',
      'x',
      ' ',
      '"',
      "'",
      '=',
      ':',
      'p:',
      'xmlns:p="urn:p"',
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

const name = fc.constantFrom('a', 'b', 'div', 'entry', 'p');
const xmlChar = (c: string): boolean => {
  const n = c.codePointAt(0) ?? 0;
  return (
    n === 9 ||
    n === 10 ||
    n === 13 ||
    (n >= 0x20 && n < 0xd800) ||
    (n >= 0xe000 && n < 0xfffe) ||
    n >= 0x10000
  );
};
const text = fc.string({ maxLength: 12, unit: 'grapheme' }).filter((s) => [...s].every(xmlChar));
const tree: fc.Arbitrary<ItemElement> = fc.letrec<{ element: ItemElement }>((tie) => ({
  element: fc.record({
    name,
    ns: fc.constantFrom('urn:a', 'urn:b', 'http://www.w3.org/1999/xhtml'),
    attrs: fc.dictionary(fc.constantFrom('k', 'id', 'href'), text, { maxKeys: 2 }),
    children: fc
      .array(fc.oneof({ depthSize: 'small' }, text, tie('element')), { maxLength: 4 })
      .map((children) =>
        // Adjacent text merges when parsed and empty text vanishes: normalise the same way.
        children.reduce<(string | ItemElement)[]>((acc, child) => {
          const last = acc[acc.length - 1];
          if (typeof child === 'string' && child === '') return acc;
          if (typeof child === 'string' && typeof last === 'string')
            acc[acc.length - 1] = last + child;
          else acc.push(child);
          return acc;
        }, []),
      ),
  }),
})).element;

describe('parseXmlItem (property)', () => {
  it('either returns an element or throws XmlItemError, for any XML-ish text', () => {
    fc.assert(
      fc.property(xmlish, (xml) => {
        try {
          const root = parseXmlItem(xml);
          expect(typeof root.name).toBe('string');
        } catch (error) {
          expect(error).toBeInstanceOf(XmlItemError);
        }
        try {
          parseMicroblog(xml);
        } catch (error) {
          expect(error).toBeInstanceOf(XmlItemError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('parses back what serializeXml writes', () => {
    fc.assert(
      fc.property(tree, (element) => {
        expect(parseXmlItem(serializeXml(element))).toEqual(element);
      }),
      { numRuns: 500 },
    );
  });
});
