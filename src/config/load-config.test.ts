import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { isLoopbackHost } from './config-schema.js';
import { environmentOverrides, loadConfig } from './load-config.js';

describe('configuration', () => {
  it('works with no file at all', () => {
    const config = loadConfig({ env: {} });
    expect(config.dataDir).toBe('./data');
    expect(config.api.host).toBe('127.0.0.1');
    expect(config.api.port).toBe(0);
  });

  it('layers file, environment and explicit overrides in that order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviary-config-'));
    const file = join(dir, 'aviary.json');
    writeFileSync(
      file,
      JSON.stringify({ api: { port: 7000 }, log: { level: 'debug' }, xmpp: { loginRate: 10 } }),
    );
    const config = loadConfig({
      file,
      env: { AVIARY_API_PORT: '7001', AVIARY_XMPP_LOGIN_RATE: '20', AVIARY_DATA_DIR: '/tmp/x' },
      overrides: { api: { port: 7002 } },
    });
    expect(config.api.port).toBe(7002);
    expect(config.log.level).toBe('debug');
    expect(config.xmpp.loginRate).toBe(20);
    expect(config.dataDir).toBe('/tmp/x');
  });

  it('names the bad key in errors', () => {
    const attempt = (input: object) => {
      try {
        loadConfig({ env: {}, overrides: input as never });
        return undefined;
      } catch (error) {
        return error;
      }
    };
    const wrongType = attempt({ api: { port: 'eighty' } });
    expect(isAviaryError(wrongType, 'config.invalid')).toBe(true);
    expect((wrongType as Error).message).toContain('api.port');
    const unknownKey = attempt({ xmpp: { loginRat: 3 } });
    expect((unknownKey as Error).message).toContain('xmpp.loginRat: unknown key');
    const outOfRange = attempt({ api: { port: 70000 } });
    expect((outOfRange as Error).message).toContain('api.port');
  });

  it('reports unreadable and malformed files clearly', () => {
    expect(() => loadConfig({ file: '/nonexistent/aviary.json', env: {} })).toThrow(/cannot read/);
    const dir = mkdtempSync(join(tmpdir(), 'aviary-config-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, '{ "api": ');
    expect(() => loadConfig({ file, env: {} })).toThrow(/not valid JSON/);
  });

  it('maps AVIARY_ variables to nested keys', () => {
    expect(
      environmentOverrides({
        AVIARY_LOG_LEVEL: 'warn',
        AVIARY_STORAGE_MAILBOX_CAPACITY: '5',
        HOME: '/',
      }),
    ).toEqual({
      log: { level: 'warn' },
      storage: { mailboxCapacity: 5 },
    });
  });

  it('refuses a non-loopback api.host unless api.allowRemote is true, naming the key', () => {
    let refused: unknown;
    try {
      loadConfig({ env: { AVIARY_API_HOST: '0.0.0.0' } });
    } catch (error) {
      refused = error;
    }
    expect(isAviaryError(refused, 'config.invalid')).toBe(true);
    expect((refused as Error).message).toMatch(/api\.host: is not a loopback address.*allowRemote/);
    const allowed = loadConfig({
      env: { AVIARY_API_HOST: '0.0.0.0', AVIARY_API_ALLOW_REMOTE: 'true' },
    });
    expect(allowed.api.host).toBe('0.0.0.0');
    expect(allowed.api.allowRemote).toBe(true);
    expect(loadConfig({ overrides: { api: { host: '::1' } } }).api.host).toBe('::1');
  });

  it('knows loopback hosts from the others', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '128.0.0.1',
      'example.org',
      '127.0.0.1.nip.io',
    ])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});
