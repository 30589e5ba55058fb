/**
 * Where a client connects when its profile names no host: DNS SRV (RFC 6120 §3.2.1) for
 * `_xmpp-client._tcp.DOMAIN` (STARTTLS) and `_xmpps-client._tcp.DOMAIN` (XEP-0368, TLS from the
 * first byte), ordered as RFC 2782 says: lowest priority first, and inside one priority a
 * weighted random draw; at equal priority direct TLS goes first (XEP-0368 §3). A service record
 * whose single target is `.` means "not offered here" (RFC 2782). Without any record the client
 * falls back to the domain itself on port 5222 (RFC 6120 §3.2.2).
 *
 * Certificates are still checked against the domain, never the SRV target (RFC 6125 §6.2.1).
 * The resolver is node:dns `Resolver`, pointed at chosen servers when the configuration names
 * some (tests use a DNS stub on 127.0.0.1).
 */
import { Resolver } from 'node:dns/promises';

/** One place to try, in order. */
export interface ServerTarget {
  readonly host: string;
  readonly port: number;
  /** TLS from the first byte (XEP-0368) instead of STARTTLS. */
  readonly directTls: boolean;
}

/** The part of node:dns's `Resolver` discovery uses. */
export interface SrvResolver {
  resolveSrv(
    name: string,
  ): Promise<{ name: string; port: number; priority: number; weight: number }[]>;
}

/** A node:dns resolver; `servers` (`host` or `host:port`) replace the system's when given. */
export function createDnsResolver(servers?: readonly string[]): SrvResolver {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (servers !== undefined && servers.length > 0) resolver.setServers([...servers]);
  return resolver;
}

interface SrvRecord {
  readonly name: string;
  readonly port: number;
  readonly priority: number;
  readonly weight: number;
}

/**
 * RFC 2782 ordering of one service's records: ascending priority; inside a priority, records of
 * weight 0 first, then repeatedly draw one with probability proportional to its weight.
 */
export function orderSrv<T extends SrvRecord>(records: readonly T[], random: () => number): T[] {
  const byPriority = new Map<number, T[]>();
  for (const record of records) {
    const group = byPriority.get(record.priority) ?? [];
    group.push(record);
    byPriority.set(record.priority, group);
  }
  const ordered: T[] = [];
  for (const priority of [...byPriority.keys()].sort((a, b) => a - b)) {
    const pool = [...(byPriority.get(priority) ?? [])].sort((a, b) => a.weight - b.weight);
    while (pool.length > 0) {
      const total = pool.reduce((sum, r) => sum + r.weight, 0);
      const draw = random() * total;
      let running = 0;
      let index = pool.findIndex((r) => {
        running += r.weight;
        return r.weight > 0 && running > draw;
      });
      if (index < 0) index = 0; // all weights 0 (or a draw at the very end): take the first
      ordered.push(pool[index] as T);
      pool.splice(index, 1);
    }
  }
  return ordered;
}

/** Looks up one service; no record, no domain or "." as the only target: none. */
async function lookup(resolver: SrvResolver, name: string): Promise<SrvRecord[]> {
  let records: SrvRecord[];
  try {
    records = await resolver.resolveSrv(name);
  } catch {
    return []; // ENOTFOUND, ENODATA, a timeout: the service is not announced
  }
  if (records.length === 1 && (records[0]?.name === '' || records[0]?.name === '.')) return [];
  return records.filter((r) => r.name !== '' && r.name !== '.');
}

/**
 * The targets to try in order for `domain`.
 *
 * @example
 * const targets = await discoverServers('example.org', { resolver: createDnsResolver() });
 * // [{ host: 'xmpp.example.org', port: 5223, directTls: true }, { host: …, port: 5222, … }]
 */
export async function discoverServers(
  domain: string,
  deps: { readonly resolver: SrvResolver; readonly random?: () => number },
): Promise<ServerTarget[]> {
  const random = deps.random ?? Math.random;
  const [direct, starttls] = await Promise.all([
    lookup(deps.resolver, `_xmpps-client._tcp.${domain}`),
    lookup(deps.resolver, `_xmpp-client._tcp.${domain}`),
  ]);
  if (direct.length === 0 && starttls.length === 0)
    return [{ host: domain, port: 5222, directTls: false }];
  const tagged = [
    ...direct.map((r) => ({ ...r, directTls: true })),
    ...starttls.map((r) => ({ ...r, directTls: false })),
  ];
  const priorities = [...new Set(tagged.map((r) => r.priority))].sort((a, b) => a - b);
  const targets: ServerTarget[] = [];
  for (const priority of priorities) {
    // Equal priority: direct TLS first, each service in its RFC 2782 order.
    for (const directTls of [true, false]) {
      const group = tagged.filter((r) => r.priority === priority && r.directTls === directTls);
      for (const r of orderSrv(group, random))
        targets.push({ host: r.name.replace(/\.$/, ''), port: r.port, directTls });
    }
  }
  return targets;
}
