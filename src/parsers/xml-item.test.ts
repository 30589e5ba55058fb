import { describe, expect, it } from 'vitest';
import { parseXmlItem, XmlItemError } from './xml-item.js';
import { serializeXml, textContent } from './xml-query.js';

describe('parseXmlItem', () => {
  it('resolves default and prefixed namespaces per element', () => {
    const root = parseXmlItem(
      '<a xmlns="urn:a" xmlns:b="urn:b"><b:c><d/></b:c><e xmlns="urn:e"/></a>',
    );
    expect(root.ns).toBe('urn:a');
    const c = root.children[0];
    expect(typeof c === 'object' && [c.name, c.ns]).toEqual(['c', 'urn:b']);
    const d = typeof c === 'object' ? c.children[0] : undefined;
    expect(typeof d === 'object' && d.ns).toBe('urn:a');
    const e = root.children[1];
    expect(typeof e === 'object' && e.ns).toBe('urn:e');
  });

  it('keeps text after comments, processing instructions and CDATA', () => {
    const root = parseXmlItem('<a>x<!-- c -->y<?pi z?>z<![CDATA[<&>]]>w</a>');
    expect(textContent(root)).toBe('xyz<&>w');
  });

  it('decodes the predefined and numeric entities', () => {
    expect(textContent(parseXmlItem('<a>&lt;&amp;&#233;&#x1F600;</a>'))).toBe('<&é😀');
  });

  it.each([
    ['<a><b></a></b>', /does not match/],
    ['<a><b>', /unclosed/],
    ['</a>', /unexpected closing|no root/],
    ['<a/><b/>', /more than one root/],
    ['<a/>tail', /text outside/],
    ['<!DOCTYPE a><a/>', /DOCTYPE/],
    ['<!ENTITY x "y"><a/>', /not allowed/],
    ['<a>&bogus;</a>', /Illegal XML entity/],
    ['<a>&#0;</a>', /Illegal XML character/],
    ['<p:a/>', /undeclared namespace prefix/],
    ['<a><!-- open', /unterminated comment/],
    ['<a><![CDATA[x</a>', /unterminated CDATA/],
    ['', /no root/],
  ])('rejects %s', (xml, message) => {
    expect(() => parseXmlItem(xml)).toThrow(XmlItemError);
    expect(() => parseXmlItem(xml)).toThrow(message);
  });

  it('refuses payloads over the size limit', () => {
    expect(() => parseXmlItem(`<a>${'x'.repeat(100)}</a>`, 50)).toThrow(/over the 50 limit/);
  });

  it('produces plain data that survives JSON and round-trips through serializeXml', () => {
    const xml = '<a xmlns="urn:a" k="&quot;v&quot;"><b>1 &lt; 2</b><c xmlns="urn:c"/></a>';
    const root = parseXmlItem(xml);
    expect(JSON.parse(JSON.stringify(root))).toEqual(root);
    expect(serializeXml(root)).toBe(xml);
    expect(parseXmlItem(serializeXml(root))).toEqual(root);
  });
});
