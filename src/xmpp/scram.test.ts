import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { type AviaryMechanism, pickMechanism } from './sasl-mechanisms.js';
import { createSaltedPasswordCache, deriveScramKeys, ScramSession } from './scram.js';

const credentials = { username: 'user', password: 'pencil' };

describe('SCRAM-SHA-1 (RFC 5802 §5 test vector)', () => {
  const serverFirst = 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096';

  it('produces the client messages of the RFC and accepts its server signature', async () => {
    const s = new ScramSession({
      hash: 'sha1',
      credentials,
      clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
    });
    expect(s.clientFirst()).toBe('n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL');
    expect(await s.clientFinal(serverFirst)).toBe(
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    );
    expect(() => s.verifyServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')).not.toThrow();
  });

  it('rejects a wrong server signature as xmpp.auth-failed', async () => {
    const s = new ScramSession({
      hash: 'sha1',
      credentials,
      clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
    });
    s.clientFirst();
    await s.clientFinal(serverFirst);
    let caught: unknown;
    try {
      s.verifyServerFinal('v=AAF9pqV8S7suAoZWja4dJRkFsKQ=');
    } catch (e) {
      caught = e;
    }
    expect(isAviaryError(caught, 'xmpp.auth-failed')).toBe(true);
    expect(() => s.verifyServerFinal('e=invalid-proof')).toThrow(/invalid-proof/);
  });

  it('refuses a server nonce that does not extend the client nonce', async () => {
    const s = new ScramSession({ hash: 'sha1', credentials, clientNonce: 'abc' });
    s.clientFirst();
    await expect(s.clientFinal('r=xyzdef,s=QSXCR+Q6sek8bf92,i=4096')).rejects.toThrow(/nonce/);
  });
});

describe('SCRAM-SHA-256 (RFC 7677 §3 test vector)', () => {
  it('produces the client messages of the RFC and accepts its server signature', async () => {
    const s = new ScramSession({
      hash: 'sha256',
      credentials,
      clientNonce: 'rOprNGfwEbeRWgbNEkqO',
    });
    expect(s.clientFirst()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const serverFirst =
      'r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096';
    expect(await s.clientFinal(serverFirst)).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    expect(() =>
      s.verifyServerFinal('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4='),
    ).not.toThrow();
  });
});

describe('salted password cache', () => {
  it('is filled once per salt/iterations and misses for another password', async () => {
    const cache = createSaltedPasswordCache();
    const serverFirst = 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096';
    const run = async (password: string) => {
      const s = new ScramSession({
        hash: 'sha1',
        credentials: { username: 'user', password },
        cache,
        clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
      });
      s.clientFirst();
      return s.clientFinal(serverFirst);
    };
    const first = await run('pencil');
    expect(cache.size).toBe(1);
    expect(await run('pencil')).toBe(first);
    expect(cache.size).toBe(1);
    expect(await run('other')).not.toBe(first);
  });

  it('evicts the oldest entry past maxEntries', () => {
    const cache = createSaltedPasswordCache({ maxEntries: 2 });
    const keys = (n: number) => ({
      clientKey: Buffer.from([n, 1]),
      storedKey: Buffer.from([n, 2]),
      serverKey: Buffer.from([n, 3]),
    });
    cache.set('a', 'p', keys(1));
    cache.set('b', 'p', keys(2));
    cache.set('c', 'p', keys(3));
    expect(cache.size).toBe(2);
    expect(cache.get('a', 'p')).toBeUndefined();
    expect(cache.get('c', 'p')).toEqual(keys(3));
    expect(cache.get('c', 'other password')).toBeUndefined();
  });
});

describe('mechanism choice', () => {
  it('prefers SCRAM-SHA-256 > SCRAM-SHA-1 > PLAIN and gates PLAIN', () => {
    const pick = (offered: string[], options: Parameters<typeof pickMechanism>[1]) =>
      pickMechanism(offered, options)?.name;
    const withPlain = { allowPlain: true };
    expect(pick(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'], withPlain)).toBe('SCRAM-SHA-256');
    expect(pick(['PLAIN', 'SCRAM-SHA-1'], withPlain)).toBe('SCRAM-SHA-1');
    expect(pick(['PLAIN'], withPlain)).toBe('PLAIN');
    expect(pick(['PLAIN'], { allowPlain: false })).toBeUndefined();
    expect(
      pick(['SCRAM-SHA-256', 'SCRAM-SHA-1'], { allowPlain: true, allowed: ['SCRAM-SHA-1'] }),
    ).toBe('SCRAM-SHA-1');
  });

  it('runs a SCRAM-SHA-1 exchange through the mechanism interface', async () => {
    const mech = pickMechanism(['SCRAM-SHA-1'], { allowPlain: false }) as AviaryMechanism;
    const first = await mech.response(credentials);
    expect(first).toMatch(/^n,,n=user,r=/);
    const nonce = first.split('r=')[1];
    mech.challenge(`r=${nonce}srv,s=QSXCR+Q6sek8bf92,i=4096`);
    expect(await mech.response(credentials)).toMatch(/^c=biws,r=.*srv,p=/);
    expect(() => mech.verifyFinal('v=AAAA')).toThrow(/signature/);
  });
});

describe('cached SCRAM keys', () => {
  const serverFirst = 'r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096';
  const session = (cache: ReturnType<typeof createSaltedPasswordCache>) => {
    const s = new ScramSession({
      hash: 'sha1',
      credentials,
      cache,
      clientNonce: 'fyko+d2lbbFgONRv9qkxdawL',
    });
    s.clientFirst();
    return s;
  };

  it('are used instead of PBKDF2 on a hit (keys of another password give another proof)', async () => {
    const cache = createSaltedPasswordCache();
    await session(cache).clientFinal(serverFirst);
    expect(cache.size).toBe(1);
    // Replace the entry's keys under the same key and password: the proof must follow them,
    // which shows the cache, not PBKDF2, produced it.
    const key = `sha1\0user\0QSXCR+Q6sek8bf92\x004096`;
    const fake = deriveScramKeys('sha1', Buffer.alloc(20, 7));
    cache.set(key, 'pencil', fake);
    const proof = await session(cache).clientFinal(serverFirst);
    expect(proof).not.toBe(
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    );
    expect(cache.get(key, 'pencil')).toEqual(fake);
  });

  it('give the RFC 5802 proof and accept its server signature on a hit', async () => {
    const cache = createSaltedPasswordCache();
    await session(cache).clientFinal(serverFirst);
    const s = session(cache);
    expect(await s.clientFinal(serverFirst)).toBe(
      'c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=',
    );
    expect(() => s.verifyServerFinal('v=rmF9pqV8S7suAoZWja4dJRkFsKQ=')).not.toThrow();
  });
});

describe('pickMechanism', () => {
  it('follows the preference order, the allowed list and the PLAIN rule', () => {
    expect(
      pickMechanism(['PLAIN', 'SCRAM-SHA-1', 'SCRAM-SHA-256'], { allowPlain: true })?.name,
    ).toBe('SCRAM-SHA-256');
    expect(
      pickMechanism(['SCRAM-SHA-1', 'SCRAM-SHA-256'], {
        allowPlain: false,
        allowed: ['SCRAM-SHA-1'],
      })?.name,
    ).toBe('SCRAM-SHA-1');
    expect(pickMechanism(['PLAIN'], { allowPlain: false })).toBeNull();
    expect(pickMechanism(['PLAIN'], { allowPlain: true })?.name).toBe('PLAIN');
    expect(pickMechanism(['DIGEST-MD5'], { allowPlain: true })).toBeNull();
  });
});
