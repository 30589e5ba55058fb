import { describe, expect, it } from 'vitest';
import { AviaryError } from '../../errors.js';
import { isConnectionLoss, unavailable } from './pg-errors.js';
import { isPostgresUrl, redactUrl } from './pg-url.js';

describe('PostgreSQL URLs and errors', () => {
  it('recognises postgres:// and postgresql:// only', () => {
    expect(isPostgresUrl('postgres://a@b/c')).toBe(true);
    expect(isPostgresUrl('postgresql://a@b/c')).toBe(true);
    expect(isPostgresUrl('mysql://a@b/c')).toBe(false);
    expect(isPostgresUrl(undefined)).toBe(false);
  });

  it('redacts the password wherever it is', () => {
    expect(redactUrl('postgres://aviary:s3cret@db:5432/aviary')).toBe(
      'postgres://aviary:***@db:5432/aviary',
    );
    expect(redactUrl('postgres://db/aviary?user=a&password=s3cret')).not.toMatch(/s3cret/);
    expect(redactUrl('postgres://aviary@db/aviary')).toBe('postgres://aviary@db/aviary');
    expect(redactUrl('postgres://u:p%40ss@[::1/x')).not.toMatch(/p%40ss/);
  });

  it('tells a lost connection from a rejected statement', () => {
    const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });
    expect(isConnectionLoss(withCode('57P01', 'terminating connection'))).toBe(true);
    expect(isConnectionLoss(withCode('08006'))).toBe(true);
    expect(isConnectionLoss(withCode('ECONNREFUSED'))).toBe(true);
    expect(isConnectionLoss(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLoss(withCode('23505', 'duplicate key'))).toBe(false);
    expect(isConnectionLoss(withCode('42601', 'syntax error'))).toBe(false);
  });

  it('keeps a request failure already typed storage.unavailable a connection loss, wrapped once', () => {
    const starting = Object.assign(new Error('the database system is starting up'), {
      code: '57P03',
    });
    const typed = unavailable(starting);
    expect(typed.code).toBe('storage.unavailable');
    expect(isConnectionLoss(typed)).toBe(true);
    expect(unavailable(typed)).toBe(typed);
    expect(isConnectionLoss(new AviaryError('storage.bad-argument', 'x'))).toBe(false);
  });
});
