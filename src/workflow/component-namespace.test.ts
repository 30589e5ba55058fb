import { describe, expect, it } from 'vitest';
import { normalizeComponentNamespace } from './component-namespace.js';
import { parseXml } from './xml.js';

describe('normalizeComponentNamespace', () => {
  it('moves jabber:component:accept to jabber:client recursively and leaves foreign namespaces', () => {
    const input = parseXml(
      '<message xmlns="jabber:component:accept" to="a.lit"><body>x</body>' +
        '<x xmlns="jabber:x:oob"><url>u</url></x>' +
        '<wrap xmlns="urn:foo"><inner xmlns="jabber:component:accept"/></wrap>' +
        '<p:thing xmlns:p="jabber:component:accept"/></message>',
    );
    const before = input.toString();
    const out = normalizeComponentNamespace(input);
    expect(out.toString()).toBe(
      '<message xmlns="jabber:client" to="a.lit"><body>x</body>' +
        '<x xmlns="jabber:x:oob"><url>u</url></x>' +
        '<wrap xmlns="urn:foo"><inner xmlns="jabber:client"/></wrap>' +
        '<p:thing xmlns:p="jabber:client"/></message>',
    );
    expect(input.toString()).toBe(before);
  });

  it('makes a stanza that inherits the namespace from its stream self-contained', () => {
    const stream = parseXml(
      '<stream:stream xmlns:stream="http://etherx.jabber.org/streams" xmlns="jabber:component:accept"><message><body>x</body></message></stream:stream>',
    );
    const stanza = stream.children[0];
    if (typeof stanza === 'string' || stanza === undefined) throw new Error('no stanza');
    expect(normalizeComponentNamespace(stanza).toString()).toBe(
      '<message xmlns:stream="http://etherx.jabber.org/streams" xmlns="jabber:client"><body>x</body></message>',
    );
  });

  it('returns the same element when there is nothing to change', () => {
    const stanza = parseXml('<message xmlns="jabber:client"><x xmlns="urn:foo"/></message>');
    expect(normalizeComponentNamespace(stanza)).toBe(stanza);
  });
});
