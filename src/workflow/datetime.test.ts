import { describe, expect, it } from 'vitest';
import { parseXmppDateTime } from './datetime.js';

describe('parseXmppDateTime (XEP-0082)', () => {
  it('parses UTC, fractions and offsets', () => {
    expect(parseXmppDateTime('2002-09-10T23:08:25Z')).toBe(Date.UTC(2002, 8, 10, 23, 8, 25));
    expect(parseXmppDateTime('2002-09-10T23:08:25.123456Z')).toBe(
      Date.UTC(2002, 8, 10, 23, 8, 25, 123),
    );
    expect(parseXmppDateTime('2002-09-10T23:08:25.5Z')).toBe(Date.UTC(2002, 8, 10, 23, 8, 25, 500));
    expect(parseXmppDateTime('1969-07-21T02:56:15-05:30')).toBe(Date.UTC(1969, 6, 21, 8, 26, 15));
    expect(parseXmppDateTime('2024-02-29T00:00:00+01:00')).toBe(Date.UTC(2024, 1, 28, 23));
    const year50 = parseXmppDateTime('0050-01-01T00:00:00Z');
    expect(year50).toBeDefined();
    expect(new Date(year50!).toISOString()).toBe('0050-01-01T00:00:00.000Z');
  });

  it.each([
    '2002-09-10T23:08:25', // no zone
    '2002-09-10',
    '2002-09-10 23:08:25Z',
    '2002-13-10T23:08:25Z',
    '2002-04-31T23:08:25Z',
    '2023-02-29T00:00:00Z',
    '2002-09-10T24:00:00Z',
    '2002-09-10T23:60:00Z',
    '2002-09-10T23:08:25+24:00',
    '2002-09-10T23:08:25.Z',
    'Tue, 10 Sep 2002 23:08:25 GMT',
    '',
  ])('rejects %j', (text) => {
    expect(parseXmppDateTime(text)).toBeUndefined();
  });
});
