/**
 * `npm run bench -- login [--profiles 1000] [--stock 30] [--tls-sample 200] [--concurrency 100]`
 *
 * Logins/s and client CPU per login with SCRAM-SHA-1 through Aviary's connection versus the
 * stock `@xmpp/client` 0.14 (same Prosody, same run; plain text on loopback for both so
 * only SASL and stream handling differ), Aviary over STARTTLS with verified certificates on a
 * sample (the stock client always uses STARTTLS, unverified here, so its ratio is against that row), then RSS and heap per idle connected profile with all `--profiles` online.
 */
import { execSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { client as stockClient } from '@xmpp/client';
import { systemClock } from '../src/actors/clock.js';
import { type ClientConnection, createClientConnection } from '../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../src/xmpp/scram.js';
import { startProsody } from '../test/helpers/prosody.js';
import { type BenchRow, publish } from './report.js';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} needs a number`);
  return value;
}

function collectGarbage(): void {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
  gc?.();
}

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

async function measure(count: number, body: () => Promise<void>) {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await body();
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return {
    logins: count,
    wall_s: wallMs / 1000,
    logins_per_s: (count * 1000) / wallMs,
    cpu_ms_per_login: cpuMs / count,
  };
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'options: --profiles N (1000) --stock N (30) --tls-sample N (200) --concurrency N (100)\n',
    );
    return;
  }
  const profiles = option(args, 'profiles', 1000);
  const stockCount = option(args, 'stock', 30);
  const tlsSample = option(args, 'tls-sample', 200);
  const concurrency = option(args, 'concurrency', 100);
  const total = profiles + stockCount + tlsSample;
  const users = Array.from({ length: total }, (_, i) => ({ username: `u${i}`, password: `p${i}` }));
  const prosody = await startProsody({ users, logLevel: 'warn' });
  const rows: BenchRow[] = [];
  const held: ClientConnection[] = [];
  try {
    const make = (i: number, tls: 'off' | 'required') =>
      createClientConnection({
        jid: `u${i}@${prosody.domain}`,
        password: `p${i}`,
        server: { host: '127.0.0.1', port: prosody.c2sPort },
        tls,
        tlsOptions: { ca: prosody.caCertPem },
        mechanisms: ['SCRAM-SHA-1'],
        saltedPasswordCache: createSaltedPasswordCache(),
        clock: systemClock,
        timeoutMs: 30_000,
      });

    // Warm Prosody (internal_hashed converts each stored password on its first login).
    const warm = async (indexes: number[]) =>
      pool(indexes, concurrency, async (i) => {
        const c = make(i, 'off');
        await c.connect();
        await c.disconnect();
      });
    const phase = (name: string) =>
      process.stderr.write(`[login] ${name} at ${(performance.now() / 1000).toFixed(1)} s\n`);
    phase('warming Prosody');
    await warm(users.map((_, i) => i));
    phase('aviary plain');

    collectGarbage();
    const mem0 = process.memoryUsage();
    const aviary = await measure(profiles, () =>
      pool(
        users.slice(0, profiles).map((_, i) => i),
        concurrency,
        async (i) => {
          const c = make(i, 'off');
          await c.connect();
          held.push(c);
        },
      ),
    );
    rows.push({
      client: 'aviary',
      transport: 'plain (loopback)',
      mechanism: 'SCRAM-SHA-1',
      ...aviary,
    });
    await new Promise((r) => setTimeout(r, 1000));
    collectGarbage();
    const mem1 = process.memoryUsage();

    phase('aviary STARTTLS');
    const tlsIdx = users.slice(profiles + stockCount).map((_, i) => profiles + stockCount + i);
    const tlsHeld: ClientConnection[] = [];
    const aviaryTls = await measure(tlsIdx.length, () =>
      pool(tlsIdx, concurrency, async (i) => {
        const c = make(i, 'required');
        await c.connect();
        tlsHeld.push(c);
      }),
    );
    rows.push({
      client: 'aviary',
      transport: 'STARTTLS (verified)',
      mechanism: 'SCRAM-SHA-1',
      ...aviaryTls,
    });
    await Promise.all(tlsHeld.map((c) => c.disconnect()));

    phase('stock client');
    const stockIdx = users.slice(profiles, profiles + stockCount).map((_, i) => profiles + i);
    const stockHeld: Array<ReturnType<typeof stockClient>> = [];
    // The stock client negotiates STARTTLS whenever offered and cannot be given our test CA:
    // it runs with verification off (process-wide, restored right after), so compare it with
    // Aviary's STARTTLS row.
    const previousReject = process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
    const stock = await measure(stockIdx.length, () =>
      // Low concurrency: each stock login burns ~0.8 CPU-s, and its 2 s step timeouts fire
      // when many wait on one event loop.
      pool(stockIdx, 5, async (i) => {
        const x = stockClient({
          service: `xmpp://127.0.0.1:${prosody.c2sPort}`,
          domain: prosody.domain,
          username: `u${i}`,
          password: `p${i}`,
          timeout: 30_000,
        });
        x.on('error', () => {});
        await x.start();
        stockHeld.push(x);
      }),
    );
    if (previousReject === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
    else process.env.NODE_TLS_REJECT_UNAUTHORIZED = previousReject;
    rows.push({
      client: '@xmpp/client 0.14',
      transport: 'STARTTLS (unverified)',
      mechanism: 'SCRAM-SHA-1',
      ...stock,
    });
    await Promise.all(stockHeld.map((x) => x.stop().catch(() => undefined)));

    const online = held.filter((c) => c.status === 'online').length;
    let fdLimit = 'unknown';
    try {
      fdLimit = execSync('ulimit -n', { shell: '/bin/bash' }).toString().trim();
    } catch {}
    publish({
      name: 'login',
      rows,
      summary: {
        cpu_per_login_ratio_stock_over_aviary_tls:
          stock.cpu_ms_per_login / aviaryTls.cpu_ms_per_login,
        logins_per_s_ratio_aviary_tls_over_stock: aviaryTls.logins_per_s / stock.logins_per_s,
        idle_profiles_online: online,
        rss_kb_per_idle_profile: (mem1.rss - mem0.rss) / 1024 / profiles,
        heap_kb_per_idle_profile: (mem1.heapUsed - mem0.heapUsed) / 1024 / profiles,
        fd_limit_ulimit_n: fdLimit,
        note: 'each connection is one fd; the hard fd limit cannot be raised from node (ulimit -n before 5k/10k runs)',
      },
    });
  } finally {
    await Promise.all(held.map((c) => c.disconnect().catch(() => undefined)));
    await prosody.stop();
  }
}
