// biome-ignore lint/suspicious/noTsIgnore: @xmpp/jid has no types; @ts-expect-error would break once someone adds them.
// @ts-ignore
import * as xmppJid from '@xmpp/jid';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { bareJid, domainOf, isValidJid, normalizeJid, parseJid } from './jid.js';

describe('JID helpers', () => {
  it('parses, normalises and takes the bare JID', () => {
    expect(parseJid('Juliet@Capulet.LIT/Balcony')).toEqual({
      local: 'juliet',
      domain: 'capulet.lit',
      resource: 'Balcony',
    });
    expect(normalizeJid('Juliet@Capulet.LIT/Balcony')).toBe('juliet@capulet.lit/Balcony');
    expect(bareJid('juliet@capulet.lit/balcony/with/slashes')).toBe('juliet@capulet.lit');
    expect(domainOf('component.capulet.lit')).toBe('component.capulet.lit');
    expect(normalizeJid('capulet.lit/r e s')).toBe('capulet.lit/r e s');
    expect(normalizeJid('[::1]')).toBe('[::1]');
  });

  it.each([
    '',
    '@capulet.lit',
    'juliet@',
    'juliet@capulet.lit/',
    'jul iet@capulet.lit',
    'a@b@capulet.lit',
    'juliet@capulet..lit',
    'juliet@capulet.lit:5222',
    'ju"liet@capulet.lit',
    'back\\slash@capulet.lit',
    'juliet@[zz]',
    'juliet@capulet.lit/\u0001',
    `${'x'.repeat(1024)}@capulet.lit`,
  ])('rejects %j with jid.invalid', (input) => {
    expect(isValidJid(input)).toBe(false);
    let error: unknown;
    try {
      parseJid(input);
    } catch (e) {
      error = e;
    }
    expect(isAviaryError(error, 'jid.invalid')).toBe(true);
    expect((error as { details: { jid: string } }).details.jid).toBe(input);
  });

  it('agrees with @xmpp/jid on every JID it accepts', () => {
    const reference = xmppJid as unknown as {
      parse(s: string): { local: string; domain: string; resource: string };
    };
    const unit = fc.constantFrom(
      'a',
      'B',
      'é',
      '@',
      '/',
      '.',
      '\\',
      '2',
      '0',
      'f',
      ' ',
      '"',
      ':',
      '[',
      ']',
    );
    let accepted = 0;
    fc.assert(
      fc.property(fc.string({ unit, minLength: 1, maxLength: 14 }), (input) => {
        if (!isValidJid(input)) return;
        accepted++;
        const ours = parseJid(input);
        const theirs = reference.parse(input);
        expect(ours).toEqual({
          local: theirs.local,
          domain: theirs.domain,
          resource: theirs.resource,
        });
      }),
      { numRuns: 3_000 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('hands out one frozen result per JID text and never caches invalid input', () => {
    const first = parseJid('Romeo@Montague.lit/Orchard');
    expect(parseJid('Romeo@Montague.lit/Orchard')).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(parseJid('romeo@montague.lit/Orchard')).toEqual(first);
    for (let i = 0; i < 3; i++) {
      expect(() => parseJid('romeo@@montague.lit')).toThrow();
      expect(isValidJid('romeo@@montague.lit')).toBe(false);
    }
  });

  it('keeps answering correctly past the cache bound', () => {
    for (let i = 0; i < 10_000; i++) {
      expect(parseJid(`User${i}@Host${i % 7}.test/r${i}`)).toEqual({
        local: `user${i}`,
        domain: `host${i % 7}.test`,
        resource: `r${i}`,
      });
    }
    expect(bareJid('User1@Host1.test/r1')).toBe('user1@host1.test');
  });
});
