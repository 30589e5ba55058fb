import { rootCertificates } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { secureContextFor } from './tls-contexts.js';
import { createTlsSessionCache, tlsSessionKey } from './tls-session-cache.js';

const target = { host: '127.0.0.1', port: 5222, servername: 'example.org', ca: 'PEM-A' };

describe('TLS session cache', () => {
  it('keeps the latest ticket per server and trust settings', () => {
    const cache = createTlsSessionCache();
    cache.set(target, Buffer.from('first'));
    cache.set(target, Buffer.from('second'));
    expect(cache.size).toBe(1);
    expect(cache.get(target)).toEqual(Buffer.from('second'));
    expect(cache.get({ ...target })).toEqual(Buffer.from('second'));
  });

  it('never hands a ticket to another place, name or trust store', () => {
    const cache = createTlsSessionCache();
    cache.set(target, Buffer.from('t'));
    expect(cache.get({ ...target, port: 5223 })).toBeUndefined();
    expect(cache.get({ ...target, host: '127.0.0.2' })).toBeUndefined();
    expect(cache.get({ ...target, servername: 'other.org' })).toBeUndefined();
    expect(cache.get({ ...target, ca: 'PEM-B' })).toBeUndefined();
    expect(cache.get({ ...target, ca: undefined })).toBeUndefined();
    expect(cache.get({ ...target, rejectUnauthorized: false })).toBeUndefined();
    // Verification on is the default: the same key either way.
    expect(tlsSessionKey({ ...target, rejectUnauthorized: true })).toBe(tlsSessionKey(target));
  });

  it('forgets a ticket on delete and evicts the oldest server past maxEntries', () => {
    const cache = createTlsSessionCache({ maxEntries: 2 });
    cache.set({ ...target, port: 1 }, Buffer.from('1'));
    cache.set({ ...target, port: 2 }, Buffer.from('2'));
    cache.set({ ...target, port: 3 }, Buffer.from('3'));
    expect(cache.size).toBe(2);
    expect(cache.get({ ...target, port: 1 })).toBeUndefined();
    cache.delete({ ...target, port: 3 });
    expect(cache.get({ ...target, port: 3 })).toBeUndefined();
    expect(cache.get({ ...target, port: 2 })).toEqual(Buffer.from('2'));
  });
});

describe('secure contexts', () => {
  it('shares one context per trust store and builds another for another CA', () => {
    const [a, b] = rootCertificates as [string, string];
    expect(secureContextFor(undefined)).toBe(secureContextFor(undefined));
    expect(secureContextFor(a)).toBe(secureContextFor(`${a}`));
    expect(secureContextFor(a)).not.toBe(secureContextFor(b));
    expect(secureContextFor(a)).not.toBe(secureContextFor(undefined));
    const list = [a, b];
    expect(secureContextFor(list)).toBe(secureContextFor(list));
  });
});
