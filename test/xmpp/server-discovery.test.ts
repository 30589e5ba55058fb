/**
 * Server discovery against Prosody through a DNS stub on 127.0.0.1 (never a real DNS server):
 * SRV `_xmpp-client._tcp` (RFC 6120 §3.2.1) in priority order past a dead first target, SRV
 * `_xmpps-client._tcp` direct TLS (XEP-0368) preferred at equal priority, with the certificate
 * checked for the domain, and a runtime profile without a host finding its server the same way.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/actors/clock.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { createClientConnection } from '../../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import { createDnsResolver } from '../../src/xmpp/server-discovery.js';
import { type DnsStub, type DnsStubRecords, startDnsStub } from '../helpers/dns-stub.js';
import { freePort } from '../helpers/ports.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { startTestRuntime } from '../helpers/runtime.js';
import { makeTestCertificates } from '../helpers/tls-certs.js';

const user = { username: 'srvuser', password: 'srv-user-secret' };
let prosody: ProsodyFixture;
let directTlsPort: number;
const stubs: DnsStub[] = [];

beforeAll(async () => {
  directTlsPort = await freePort();
  prosody = await startProsody({
    users: [user],
    directTlsPorts: [directTlsPort],
  });
}, 60_000);
afterAll(async () => {
  for (const stub of stubs) await stub.stop();
  await prosody?.stop();
});

async function stub(records: DnsStubRecords): Promise<DnsStub> {
  const dns = await startDnsStub(records);
  stubs.push(dns);
  return dns;
}

async function connectThrough(dns: DnsStub, ca = prosody.caCertPem) {
  const connection = createClientConnection({
    jid: `${user.username}@${prosody.domain}`,
    password: user.password,
    tls: 'required',
    tlsOptions: { ca },
    saltedPasswordCache: createSaltedPasswordCache(),
    clock: systemClock,
    discovery: { resolver: createDnsResolver([`127.0.0.1:${dns.port}`]), random: () => 0 },
    streamManagement: false,
  });
  const statuses: string[] = [];
  connection.onStatus((status) => statuses.push(status));
  await connection.connect();
  return { connection, statuses };
}

describe('server discovery through DNS SRV', () => {
  it('tries _xmpp-client._tcp targets in priority order and uses STARTTLS', async () => {
    const deadPort = await freePort();
    const dns = await stub({
      srv: {
        [`_xmpp-client._tcp.${prosody.domain}`]: [
          { priority: 20, weight: 0, port: prosody.c2sPort, target: '127.0.0.1' },
          { priority: 10, weight: 5, port: deadPort, target: '127.0.0.1' },
        ],
      },
    });
    const { connection, statuses } = await connectThrough(dns);
    expect(connection.status).toBe('online');
    expect(statuses).toEqual(['connecting', 'securing', 'authenticating', 'binding', 'online']);
    expect(dns.questions).toEqual(
      expect.arrayContaining([
        `SRV _xmpp-client._tcp.${prosody.domain}`,
        `SRV _xmpps-client._tcp.${prosody.domain}`,
      ]),
    );
    await connection.disconnect();
  });

  it('prefers _xmpps-client._tcp direct TLS at equal priority (no STARTTLS step)', async () => {
    const dns = await stub({
      srv: {
        [`_xmpp-client._tcp.${prosody.domain}`]: [
          { priority: 5, weight: 0, port: prosody.c2sPort, target: '127.0.0.1' },
        ],
        [`_xmpps-client._tcp.${prosody.domain}`]: [
          { priority: 5, weight: 0, port: directTlsPort, target: '127.0.0.1' },
        ],
      },
    });
    const { connection, statuses } = await connectThrough(dns);
    expect(statuses).toEqual(['connecting', 'authenticating', 'binding', 'online']);
    expect(connection.mechanism).toMatch(/^SCRAM-/);
    await connection.disconnect();
  });

  it('direct TLS checks the certificate for the domain: an unknown CA is refused', async () => {
    const dns = await stub({
      srv: {
        [`_xmpps-client._tcp.${prosody.domain}`]: [
          { priority: 0, weight: 0, port: directTlsPort, target: '127.0.0.1' },
        ],
      },
    });
    const otherCa = makeTestCertificates(mkdtempSync(join(tmpdir(), 'aviary-other-ca-')), [
      'other.test',
    ]).caCertPem;
    await expect(connectThrough(dns, otherCa)).rejects.toMatchObject({ code: 'xmpp.tls-failed' });
  });

  it('a runtime profile without a host finds its server with the configured DNS servers', async () => {
    const dns = await stub({
      srv: {
        [`_xmpp-client._tcp.${prosody.domain}`]: [
          { priority: 0, weight: 0, port: prosody.c2sPort, target: '127.0.0.1' },
        ],
      },
    });
    let runtime: Aviary | undefined;
    try {
      runtime = await startTestRuntime(prosody, {
        config: { xmpp: { dnsServers: [`127.0.0.1:${dns.port}`] } },
      });
      await runtime.addProfile({
        name: 'discovered',
        jid: `${user.username}@${prosody.domain}`,
        password: user.password,
        tls: 'required',
      });
      const status = await runtime.waitForState('discovered', 'online');
      expect(status.jid).toMatch(new RegExp(`^${user.username}@${prosody.domain}/`));
    } finally {
      await runtime?.stop();
    }
  });
});
