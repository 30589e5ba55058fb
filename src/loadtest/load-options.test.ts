import { describe, expect, it } from 'vitest';
import { type LoadTestOptions, validateLoadOptions } from './load-options.js';
import { measuredRate } from './load-report.js';
import { createPeerSet } from './peer-set.js';
import { seededRandom } from './seeded-random.js';
import { assertLimits, readSystemLimits } from './system-limits.js';

const ok: LoadTestOptions = {
  target: { host: '127.0.0.1', port: 5222, domain: 'x.test' },
  accounts: { kind: 'pattern', username: 'u{n}', password: 'p', count: 2 },
  sessions: 2,
  loginRate: 10,
  durationMs: 1000,
  scenario: { name: 's', run: async () => {} },
};

describe('load options', () => {
  it('accepts loopback targets and refuses others unless allowRemote', () => {
    for (const host of ['127.0.0.1', '127.8.9.10', 'localhost', '::1'])
      expect(() => validateLoadOptions({ ...ok, target: { ...ok.target, host } })).not.toThrow();
    const remote = { ...ok, target: { ...ok.target, host: '10.0.0.1' } };
    expect(() => validateLoadOptions(remote)).toThrow(/--allow-remote/);
    expect(() => validateLoadOptions({ ...remote, allowRemote: true })).not.toThrow();
    expect(() => validateLoadOptions({ ...remote, allowRemote: true, tls: 'off' })).toThrow(
      /loopback/,
    );
  });

  it('checks rates, ramps and source addresses', () => {
    expect(() => validateLoadOptions({ ...ok, loginRate: 0 })).toThrow(/loginRate/);
    expect(() => validateLoadOptions({ ...ok, rampUpMs: 800, rampDownMs: 300 })).toThrow(/ramp/);
    expect(() => validateLoadOptions({ ...ok, sourceAddresses: ['10.0.0.2'] })).toThrow(
      /127\.0\.0\.0\/8/,
    );
    expect(() => validateLoadOptions({ ...ok, sourceAddresses: ['127.0.0.2'] })).not.toThrow();
  });
});

describe('system limits', () => {
  const files = (soft: string, hard: string) => (path: string) =>
    path.endsWith('limits')
      ? `Limit Soft Limit Hard Limit Units\nMax open files            ${soft}                ${hard}                files\n`
      : '32768\t60999\n';

  it('reads /proc-style limits', () => {
    expect(readSystemLimits(files('1024', '4096'))).toEqual({
      openFiles: { soft: 1024, hard: 4096 },
      ephemeralPorts: 28232,
    });
  });

  it('says which ulimit to run, or that the hard limit must rise', () => {
    const low = readSystemLimits(files('1024', '65536'));
    expect(() => assertLimits(low, { connections: 5000, sourceAddresses: 1 })).toThrow(
      /ulimit -n 5256/,
    );
    const hard = readSystemLimits(files('1024', '2048'));
    expect(() => assertLimits(hard, { connections: 5000, sourceAddresses: 1 })).toThrow(
      /hard limit \(now 2048\)/,
    );
    const big = readSystemLimits(files('unlimited', 'unlimited'));
    expect(() => assertLimits(big, { connections: 5000, sourceAddresses: 1 })).not.toThrow();
    expect(() => assertLimits(big, { connections: 40_000, sourceAddresses: 1 })).toThrow(
      /source addresses/,
    );
    expect(() => assertLimits(big, { connections: 40_000, sourceAddresses: 2 })).not.toThrow();
  });
});

describe('helpers', () => {
  it('measures an evenly paced rate', () => {
    expect(measuredRate([0, 50, 100, 150, 200])).toBe(20);
    expect(measuredRate([5])).toBeNull();
  });

  it('picks random peers other than self and forgets removed ones', () => {
    const peers = createPeerSet();
    peers.add(0, 'a');
    expect(peers.random(0, Math.random)).toBeUndefined();
    peers.add(1, 'b');
    peers.add(2, 'c');
    peers.remove(1);
    const random = seededRandom(1);
    for (let i = 0; i < 50; i++) expect(peers.random(0, random)).toBe('c');
    expect(peers.online(1)).toBeUndefined();
    expect(peers.size).toBe(2);
  });

  it('seeded random repeats and stays in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    for (let i = 0; i < 100; i++) {
      const x = a();
      expect(x).toBe(b());
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });
});
