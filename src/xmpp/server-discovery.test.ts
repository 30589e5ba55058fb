import { describe, expect, it } from 'vitest';
import { discoverServers, orderSrv, type SrvResolver } from './server-discovery.js';

type Record_ = { name: string; port: number; priority: number; weight: number };

function resolver(table: Record<string, Record_[]>): SrvResolver & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    async resolveSrv(name) {
      asked.push(name);
      const records = table[name];
      if (records === undefined)
        throw Object.assign(new Error(`querySrv ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      return records;
    },
  };
}

const srv = (name: string, port: number, priority: number, weight: number): Record_ => ({
  name,
  port,
  priority,
  weight,
});

describe('RFC 2782 ordering', () => {
  it('sorts by priority, then draws by weight (a draw past the first weight picks the second)', () => {
    const records = [srv('c', 3, 20, 0), srv('a', 1, 10, 1), srv('b', 2, 10, 3)];
    // Total weight 4: a draw of 0.5 × 4 = 2 falls in b's share (1..4).
    expect(orderSrv(records, () => 0.5).map((r) => r.name)).toEqual(['b', 'a', 'c']);
    // A draw of 0 falls in a's share (0..1).
    expect(orderSrv(records, () => 0).map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });

  it('keeps every record once whatever the draws', () => {
    const records = Array.from({ length: 20 }, (_, i) => srv(`h${i}`, i, i % 3, i % 4));
    let seed = 7;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const ordered = orderSrv(records, random);
    expect(ordered.map((r) => r.name).sort()).toEqual(records.map((r) => r.name).sort());
    expect(ordered.map((r) => r.priority)).toEqual([...ordered.map((r) => r.priority)].sort());
  });
});

describe('discoverServers', () => {
  it('merges both services: lower priority first, direct TLS first at equal priority', async () => {
    const dns = resolver({
      '_xmpp-client._tcp.example.org': [
        srv('a.example.org.', 5222, 10, 0),
        srv('b.example.org', 5222, 5, 0),
      ],
      '_xmpps-client._tcp.example.org': [srv('c.example.org', 5223, 10, 0)],
    });
    expect(await discoverServers('example.org', { resolver: dns, random: () => 0 })).toEqual([
      { host: 'b.example.org', port: 5222, directTls: false },
      { host: 'c.example.org', port: 5223, directTls: true },
      { host: 'a.example.org', port: 5222, directTls: false },
    ]);
    expect(dns.asked.sort()).toEqual([
      '_xmpp-client._tcp.example.org',
      '_xmpps-client._tcp.example.org',
    ]);
  });

  it('falls back to the domain on 5222 without records, and honours "." (service not offered)', async () => {
    expect(await discoverServers('example.org', { resolver: resolver({}) })).toEqual([
      { host: 'example.org', port: 5222, directTls: false },
    ]);
    const dotted = resolver({
      '_xmpps-client._tcp.example.org': [srv('.', 0, 0, 0)],
      '_xmpp-client._tcp.example.org': [srv('x.example.org', 5299, 0, 0)],
    });
    expect(await discoverServers('example.org', { resolver: dotted })).toEqual([
      { host: 'x.example.org', port: 5299, directTls: false },
    ]);
  });
});
