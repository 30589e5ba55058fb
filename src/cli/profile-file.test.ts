import { describe, expect, it } from 'vitest';
import {
  exportLine,
  formatOfPath,
  parseCsvRecords,
  parseProfileFile,
  profileRequestOfRow,
} from './profile-file.js';

describe('profile files', () => {
  it('reads RFC 4180 CSV: quoted commas, doubled quotes, line breaks in quotes, CRLF', () => {
    const text = 'name,jid\r\n"a,b","say ""hi"""\r\n"multi\nline",x@y\nlast,z@w';
    expect(parseCsvRecords(text)).toEqual([
      { line: 1, fields: ['name', 'jid'] },
      { line: 2, fields: ['a,b', 'say "hi"'] },
      { line: 3, fields: ['multi\nline', 'x@y'] },
      { line: 5, fields: ['last', 'z@w'] },
    ]);
  });

  it('reports a CSV row with the wrong field count by its line and keeps the others', () => {
    const { rows, problems } = parseProfileFile(
      'name,jid,password\na,a@x,p\nb,b@x\n\nc,c@x,p\n',
      'csv',
    );
    expect(rows.map((r) => [r.line, r.fields.name])).toEqual([
      [2, 'a'],
      [5, 'c'],
    ]);
    expect(problems).toEqual([{ line: 3, reason: '2 fields where the header has 3' }]);
  });

  it('reads JSON lines and reports bad lines by number', () => {
    const { rows, problems } = parseProfileFile(
      '{"name":"a"}\n[1]\n{oops\n\n{"name":"b"}\n',
      'jsonl',
    );
    expect(rows.map((r) => [r.line, r.fields.name])).toEqual([
      [1, 'a'],
      [5, 'b'],
    ]);
    expect(problems.map((p) => p.line)).toEqual([2, 3]);
    expect(problems[0]?.reason).toBe('not a JSON object');
    expect(problems[1]?.reason).toMatch(/^invalid JSON/);
  });

  it('turns a row into a profile.add request: aliases, numbers, booleans, tls off', () => {
    const request = profileRequestOfRow(
      {
        name: 'a',
        jid: 'a@x',
        password: 'p',
        server: '::1',
        port: '5223',
        tls: 'off',
        autoconnect: 'no',
        verify_tls: 'true',
      },
      {},
      undefined,
    );
    expect(request).toEqual({
      name: 'a',
      jid: 'a@x',
      password: 'p',
      serverHost: '::1',
      serverPort: 5223,
      tls: 'disabled',
      autoconnect: false,
      verifyTls: true,
    });
  });

  it('takes the password from the row, its password_env variable, or the default variable', () => {
    const env = { ROW_PW: 'from-row-var', ALL_PW: 'from-default' };
    expect(
      profileRequestOfRow({ name: 'a', jid: 'a@x', password_env: 'ROW_PW' }, env, 'ALL_PW')
        .password,
    ).toBe('from-row-var');
    expect(profileRequestOfRow({ name: 'a', jid: 'a@x' }, env, 'ALL_PW').password).toBe(
      'from-default',
    );
    expect(
      profileRequestOfRow({ name: 'a', jid: 'a@x', password: 'own' }, env, 'ALL_PW').password,
    ).toBe('own');
    expect(() => profileRequestOfRow({ name: 'a', jid: 'a@x' }, env, undefined)).toThrow(
      /no password/,
    );
    expect(() =>
      profileRequestOfRow({ name: 'a', jid: 'a@x', password_env: 'UNSET' }, env, undefined),
    ).toThrow(/UNSET .* empty or unset/);
    expect(() =>
      profileRequestOfRow(
        { name: 'a', jid: 'a@x', password: 'p', password_env: 'ROW_PW' },
        env,
        undefined,
      ),
    ).toThrow(/either password or password_env/);
  });

  it('refuses unknown columns and bad numbers or booleans with the reason', () => {
    expect(() =>
      profileRequestOfRow({ name: 'a', colour: 'red', password: 'p' }, {}, undefined),
    ).toThrow(/unknown column "colour"/);
    expect(() =>
      profileRequestOfRow({ name: 'a', port: 'abc', password: 'p' }, {}, undefined),
    ).toThrow(/port must be a number/);
    expect(() =>
      profileRequestOfRow({ name: 'a', autoconnect: 'maybe', password: 'p' }, {}, undefined),
    ).toThrow(/autoconnect must be true or false/);
  });

  it('writes export lines that the import reads back to the same requests', () => {
    const profile = {
      name: 'a',
      jid: 'a@x',
      serverHost: '127.0.0.1',
      serverPort: 5222,
      tls: 'disabled',
      autoconnect: false,
      password: 'p,"q"',
    };
    for (const format of ['csv', 'jsonl'] as const) {
      const header = format === 'csv' ? 'name,jid,server,port,tls,autoconnect,password\n' : '';
      const { rows, problems } = parseProfileFile(
        `${header}${exportLine(profile, format)}\n`,
        format,
      );
      expect(problems).toEqual([]);
      expect(profileRequestOfRow(rows[0]?.fields ?? {}, {}, undefined)).toEqual({
        name: 'a',
        jid: 'a@x',
        serverHost: '127.0.0.1',
        serverPort: 5222,
        tls: 'disabled',
        autoconnect: false,
        password: 'p,"q"',
      });
    }
  });

  it('tells the format by extension', () => {
    expect(formatOfPath('x.CSV')).toBe('csv');
    expect(formatOfPath('x.jsonl')).toBe('jsonl');
    expect(formatOfPath('x.ndjson')).toBe('jsonl');
    expect(formatOfPath('x.txt')).toBeUndefined();
  });
});
