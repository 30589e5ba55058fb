import { describe, expect, it } from 'vitest';
import { buildRsmSet, parseRsmSet } from './rsm.js';
import { parseXml } from './xml.js';

describe('RSM (XEP-0059)', () => {
  it('builds max/after, before (empty = last page) and index', () => {
    expect(buildRsmSet({ max: 10, after: 'peterpan@neverland.lit' }).toString()).toBe(
      '<set xmlns="http://jabber.org/protocol/rsm"><max>10</max><after>peterpan@neverland.lit</after></set>',
    );
    expect(buildRsmSet({ max: 10, before: '' }).toString()).toBe(
      '<set xmlns="http://jabber.org/protocol/rsm"><max>10</max><before/></set>',
    );
    expect(buildRsmSet({ max: 10, before: 'k' }).toString()).toContain('<before>k</before>');
    expect(buildRsmSet({ max: 10, index: 371 }).toString()).toBe(
      '<set xmlns="http://jabber.org/protocol/rsm"><max>10</max><index>371</index></set>',
    );
    expect(buildRsmSet({ max: 0 }).toString()).toContain('<max>0</max>');
  });

  it('parses first (with index), last and count — XEP-0059 §2.1 Example 2', () => {
    const query = parseXml(`<query xmlns='jabber:iq:search'>
      <set xmlns='http://jabber.org/protocol/rsm'>
        <first index='0'>stpeter@jabber.org</first>
        <last>peterpan@neverland.lit</last>
        <count>800</count>
      </set></query>`);
    expect(parseRsmSet(query)).toEqual({
      first: 'stpeter@jabber.org',
      firstIndex: 0,
      last: 'peterpan@neverland.lit',
      count: 800,
    });
  });

  it('parses a count-only answer and ignores a malformed count', () => {
    expect(
      parseRsmSet(
        parseXml(`<p><set xmlns='http://jabber.org/protocol/rsm'><count>5</count></set></p>`),
      ),
    ).toEqual({ count: 5, first: undefined, firstIndex: undefined, last: undefined });
    expect(
      parseRsmSet(
        parseXml(`<p><set xmlns='http://jabber.org/protocol/rsm'><count>-1</count></set></p>`),
      )?.count,
    ).toBeUndefined();
  });

  it('returns undefined without a <set/> in the RSM namespace', () => {
    expect(parseRsmSet(parseXml('<p><set/></p>'))).toBeUndefined();
    expect(parseRsmSet(undefined)).toBeUndefined();
  });
});
