import { describe, expect, it } from 'vitest';
import { checkReference, isXmlChar } from './xml-references.js';

describe('checkReference', () => {
  it('allows the five predefined entities and references to legal characters', () => {
    for (const body of [
      'amp',
      'lt',
      'gt',
      'quot',
      'apos',
      '#9',
      '#10',
      '#13',
      '#32',
      '#x1F600',
      '#xFFFD',
      '#x10FFFF',
      '#x000041',
    ])
      expect(checkReference(body), body).toBeUndefined();
  });

  it('refuses references to characters XML forbids (not-well-formed)', () => {
    for (const body of [
      '#0',
      '#x0',
      '#8',
      '#xB',
      '#xD800',
      '#xDFFF',
      '#xFFFE',
      '#xFFFF',
      '#x110000',
      '#99999999999',
    ])
      expect(checkReference(body)?.condition, body).toBe('not-well-formed');
  });

  it('refuses any other entity reference (restricted-xml, RFC 6120 §11.1)', () => {
    expect(checkReference('foo')).toEqual({
      condition: 'restricted-xml',
      text: 'entity reference &foo; is not allowed',
    });
    expect(checkReference('AMP')?.condition).toBe('restricted-xml');
    expect(checkReference('xxe:a.b-c')?.condition).toBe('restricted-xml');
  });

  it('refuses malformed references', () => {
    for (const body of ['', '#', '#x', '#xG', '#-1', '#1.5', '1abc', 'a b'])
      expect(checkReference(body)?.condition, body).toBe('not-well-formed');
  });

  it('isXmlChar follows XML 1.0 §2.2', () => {
    expect(
      [0x8, 0x9, 0xa, 0xd, 0x1f, 0x20, 0xd7ff, 0xd800, 0xe000, 0xfffe, 0x10000, 0x110000].map(
        isXmlChar,
      ),
    ).toEqual([false, true, true, true, false, true, true, false, true, false, true, false]);
  });
});
