import { describe, expect, it } from 'vitest';
import { AviaryError } from '../errors.js';
import { parseAccountsCsv, resolveAccounts } from './accounts.js';

describe('load-test accounts', () => {
  it('expands a name pattern from the first number', () => {
    const accounts = resolveAccounts(
      { kind: 'pattern', username: 'user{n}', password: 'pw-{n}-{n}', count: 3, first: 5 },
      'x.test',
    );
    expect(accounts).toEqual([
      { index: 0, username: 'user5', password: 'pw-5-5' },
      { index: 1, username: 'user6', password: 'pw-6-6' },
      { index: 2, username: 'user7', password: 'pw-7-7' },
    ]);
  });

  it('rejects a pattern without {n}', () => {
    expect(() =>
      resolveAccounts({ kind: 'pattern', username: 'user', password: 'p', count: 2 }, 'x.test'),
    ).toThrow(AviaryError);
  });

  it('reads CSV with a header, comments, quotes, bare JIDs and commas in passwords', () => {
    const csv = 'username,password\n# comment\nalice,pw1\n"bob@x.test","p,w2"\n\ncarol@X.TEST,3\n';
    expect(parseAccountsCsv(csv, 'x.test')).toEqual([
      { index: 0, username: 'alice', password: 'pw1' },
      { index: 1, username: 'bob', password: 'p,w2' },
      { index: 2, username: 'carol', password: '3' },
    ]);
  });

  it('refuses accounts of another domain and lines without a comma', () => {
    expect(() => parseAccountsCsv('eve@other.test,pw\n', 'x.test')).toThrow(/not on x.test/);
    expect(() => parseAccountsCsv('alice\n', 'x.test')).toThrow(/line 1/);
  });
});
