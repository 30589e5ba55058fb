import { describe, expect, it } from 'vitest';
import { toTsQuery } from './pg-full-text.js';

describe('toTsQuery', () => {
  it('maps words, AND, OR, NOT, phrases, prefixes and parentheses', () => {
    expect(toTsQuery('hello world')).toBe("'hello' & 'world'");
    expect(toTsQuery('Hello AND World')).toBe("'hello' & 'world'");
    expect(toTsQuery('hello OR bye there')).toBe("'hello' | 'bye' & 'there'");
    expect(toTsQuery('"hello world" bye*')).toBe("'hello' <-> 'world' & 'bye':*");
    expect(toTsQuery('hello NOT world')).toBe("'hello' & ! 'world'");
    expect(toTsQuery('(a OR b) c')).toBe("( 'a' | 'b' ) & 'c'");
    expect(toTsQuery('a NOT (b OR c)')).toBe("'a' & ! ( 'b' | 'c' )");
    expect(toTsQuery('e-mail')).toBe("('e' <-> 'mail')");
  });

  it('quotes can never reach the tsquery text unquoted', () => {
    expect(toTsQuery("it's")).toBe("('it' <-> 's')");
    expect(toTsQuery("x'' | !y")).toBe("'x' & 'y'");
    expect(() => toTsQuery("x') | !y")).toThrow(
      expect.objectContaining({ code: 'storage.bad-argument' }),
    );
  });

  it('rejects malformed queries with bad-argument', () => {
    for (const bad of ['"open', 'OR a', 'a OR', '(a', 'a)', '()', 'a NEAR b', '', '***', 'NOT a']) {
      expect(() => toTsQuery(bad)).toThrow(
        expect.objectContaining({ code: 'storage.bad-argument' }),
      );
    }
  });
});
