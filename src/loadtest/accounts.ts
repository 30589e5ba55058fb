/**
 * Where load-test accounts come from: a name pattern (`user{n}` / `pw{n}`, n = first…first+count-1)
 * or a CSV file of `username,password` lines (a header line and `#` comments are skipped;
 * a username may be a bare JID of the target domain).
 */
import { readFileSync } from 'node:fs';
import { AviaryError } from '../errors.js';

/** One account used by the harness. */
export interface LoadAccount {
  readonly index: number;
  readonly username: string;
  readonly password: string;
}

export type AccountSource =
  | {
      readonly kind: 'pattern';
      /** Localpart pattern; `{n}` is replaced by the account number. */
      readonly username: string;
      readonly password: string;
      readonly count: number;
      readonly first?: number;
    }
  | { readonly kind: 'csv'; readonly file: string }
  | { readonly kind: 'list'; readonly accounts: readonly Omit<LoadAccount, 'index'>[] };

function expand(pattern: string, n: number): string {
  return pattern.replaceAll('{n}', String(n));
}

/**
 * Parses CSV text (`username,password`, optional header, `#` comments, optional quotes).
 *
 * @example parseAccountsCsv('username,password\nalice,pw1\n', 'example.org')
 */
export function parseAccountsCsv(text: string, domain: string): LoadAccount[] {
  const accounts: LoadAccount[] = [];
  const unquote = (s: string) =>
    s
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .replaceAll('""', '"');
  for (const [lineNo, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const comma = line.indexOf(',');
    if (comma < 0)
      throw new AviaryError(
        'loadtest.bad-accounts',
        `line ${lineNo + 1}: expected username,password`,
      );
    let username = unquote(line.slice(0, comma));
    const password = unquote(line.slice(comma + 1));
    if (accounts.length === 0 && username.toLowerCase() === 'username' && password === 'password')
      continue;
    const at = username.indexOf('@');
    if (at >= 0) {
      if (username.slice(at + 1).toLowerCase() !== domain.toLowerCase())
        throw new AviaryError(
          'loadtest.bad-accounts',
          `line ${lineNo + 1}: ${username} is not on ${domain}`,
        );
      username = username.slice(0, at);
    }
    if (username === '')
      throw new AviaryError('loadtest.bad-accounts', `line ${lineNo + 1}: empty username`);
    accounts.push({ index: accounts.length, username, password });
  }
  return accounts;
}

/** Materialises the account list of a source. */
export function resolveAccounts(source: AccountSource, domain: string): LoadAccount[] {
  switch (source.kind) {
    case 'pattern': {
      if (!source.username.includes('{n}'))
        throw new AviaryError('loadtest.bad-accounts', 'the username pattern needs {n}');
      const first = source.first ?? 1;
      return Array.from({ length: source.count }, (_, i) => ({
        index: i,
        username: expand(source.username, first + i),
        password: expand(source.password, first + i),
      }));
    }
    case 'csv':
      return parseAccountsCsv(readFileSync(source.file, 'utf8'), domain);
    case 'list':
      return source.accounts.map((a, index) => ({ ...a, index }));
  }
}
