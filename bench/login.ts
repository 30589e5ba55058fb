/**
 * `npm run bench -- login [--profiles 1000] [--stock 30] [--tls-sample 200] [--concurrency 100]
 *   [--rounds 2] [--handshakes 300]`
 *
 * Logins/s and client CPU per login (whole process: the main thread and libuv's thread pool,
 * where PBKDF2 runs) with SCRAM-SHA-1 against one Prosody, rows in the same run:
 * - plain text on loopback, SCRAM keys computed (a profile's first login: PBKDF2 with the
 *   server's iteration count) and cached (every later login of the process: RFC 5802 §5.1);
 * - STARTTLS with verified certificates, without (baseline: every handshake full) and with TLS
 *   session resumption across profiles, `--rounds` times each, alternating, medians reported;
 * - the raw cost of a bare verified TLS handshake to the same Prosody (direct TLS port), full
 *   and resumed, with nothing of XMPP on top;
 * - the stock `@xmpp/client` 0.14 (STARTTLS, unverified: it cannot be given our test CA);
 * then RSS and heap per idle connected profile with all `--profiles` online.
 */
import { execSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect as tlsConnect } from 'node:tls';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { client as stockClient } from '@xmpp/client';
import { systemClock } from '../src/actors/clock.js';
import { type ClientConnection, createClientConnection } from '../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../src/xmpp/scram.js';
import { secureContextFor } from '../src/xmpp/tls-contexts.js';
import { createTlsSessionCache, type TlsSessionCache } from '../src/xmpp/tls-session-cache.js';
import { freePort } from '../test/helpers/ports.js';
import { startProsody } from '../test/helpers/prosody.js';
import { type BenchRow, median, publish } from './report.js';

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
      'options: --profiles N (1000) --stock N (30) --tls-sample N (200) --concurrency N (100)\n' +
        '         --rounds N (2: STARTTLS rows, alternating) --handshakes N (300: bare TLS rows)\n',
    );
    return;
  }
  const profiles = option(args, 'profiles', 1000);
  const stockCount = option(args, 'stock', 30);
  const tlsSample = option(args, 'tls-sample', 200);
  const concurrency = option(args, 'concurrency', 100);
  const rounds = Math.max(1, option(args, 'rounds', 2));
  const handshakes = option(args, 'handshakes', 300);
  const total = profiles + stockCount + tlsSample;
  const users = Array.from({ length: total }, (_, i) => ({ username: `u${i}`, password: `p${i}` }));
  const directTlsPort = await freePort();
  const prosody = await startProsody({
    users,
    logLevel: 'warn',
    // Prosody turns tickets off by default; resumption needs a server that issues them.
    tlsSessionTickets: true,
    // A direct TLS port (XEP-0368) for the bare handshake rows; c2s stays STARTTLS.
    directTlsPorts: [directTlsPort],
  });
  const rows: BenchRow[] = [];
  const held: ClientConnection[] = [];
  try {
    // One SCRAM key cache for the process, as the runtime has (filled by the warm-up).
    const sharedKeys = createSaltedPasswordCache();
    const make = (
      i: number,
      tls: 'off' | 'required',
      keys = sharedKeys,
      sessions?: TlsSessionCache,
    ) =>
      createClientConnection({
        jid: `u${i}@${prosody.domain}`,
        password: `p${i}`,
        server: { host: '127.0.0.1', port: prosody.c2sPort },
        tls,
        tlsOptions: { ca: prosody.caCertPem },
        mechanisms: ['SCRAM-SHA-1'],
        saltedPasswordCache: keys,
        ...(sessions === undefined ? {} : { tlsSessionCache: sessions }),
        clock: systemClock,
        timeoutMs: 30_000,
      });

    // Warm Prosody (internal_hashed converts each stored password on its first login) and the
    // shared SCRAM key cache.
    const warm = async (indexes: number[]) =>
      pool(indexes, concurrency, async (i) => {
        const c = make(i, 'off');
        await c.connect();
        await c.disconnect();
      });
    let tlsResumedLogins = 0;
    const loginAndLeave =
      (tls: 'off' | 'required', keys?: typeof sharedKeys, sessions?: TlsSessionCache) =>
      async (i: number) => {
        const c = make(i, tls, keys, sessions);
        await c.connect();
        if (c.tlsResumed) tlsResumedLogins++;
        await c.disconnect();
      };
    const phase = (name: string) =>
      process.stderr.write(`[login] ${name} at ${(performance.now() / 1000).toFixed(1)} s\n`);
    phase('warming Prosody');
    await warm(users.map((_, i) => i));
    phase('aviary plain, SCRAM keys computed');
    const coldSample = users.slice(0, Math.min(profiles, tlsSample)).map((_, i) => i);
    const cold = await measure(coldSample.length, () =>
      pool(coldSample, concurrency, async (i) =>
        loginAndLeave('off', createSaltedPasswordCache())(i),
      ),
    );
    rows.push({
      client: 'aviary',
      transport: 'plain (loopback)',
      mechanism: 'SCRAM-SHA-1',
      case: 'SCRAM keys computed (first login, PBKDF2)',
      ...cold,
    });
    phase('aviary plain, SCRAM keys cached');

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
      case: 'SCRAM keys cached (later logins), held online',
      ...aviary,
    });
    await new Promise((r) => setTimeout(r, 1000));
    collectGarbage();
    const mem1 = process.memoryUsage();

    phase('aviary STARTTLS');
    const tlsIdx = users.slice(profiles + stockCount).map((_, i) => profiles + stockCount + i);
    type Measured = Awaited<ReturnType<typeof measure>>;
    const fullRuns: Measured[] = [];
    const resumedRuns: Measured[] = [];
    const resumedCounts: number[] = [];
    for (let round = 0; round < rounds; round++) {
      fullRuns.push(
        await measure(tlsIdx.length, () => pool(tlsIdx, concurrency, loginAndLeave('required'))),
      );
      // The runtime keeps one cache for the process; prime it with one login, as any earlier
      // login to the server would have.
      const sessions = createTlsSessionCache();
      tlsResumedLogins = 0;
      await loginAndLeave('required', sharedKeys, sessions)(tlsIdx[0] as number);
      resumedRuns.push(
        await measure(tlsIdx.length, () =>
          pool(tlsIdx, concurrency, loginAndLeave('required', sharedKeys, sessions)),
        ),
      );
      resumedCounts.push(tlsResumedLogins);
    }
    const medianRow = (runs: readonly Measured[]) => ({
      logins: runs[0]?.logins ?? 0,
      wall_s: median(runs.map((r) => r.wall_s)),
      logins_per_s: median(runs.map((r) => r.logins_per_s)),
      cpu_ms_per_login: median(runs.map((r) => r.cpu_ms_per_login)),
      runs: runs.length,
    });
    const aviaryTlsFull = medianRow(fullRuns);
    const aviaryTls = medianRow(resumedRuns);
    rows.push({
      client: 'aviary',
      transport: 'STARTTLS (verified)',
      mechanism: 'SCRAM-SHA-1',
      case: 'baseline: no TLS resumption, SCRAM keys cached',
      ...aviaryTlsFull,
    });
    rows.push({
      client: 'aviary',
      transport: 'STARTTLS (verified)',
      mechanism: 'SCRAM-SHA-1',
      case: 'TLS resumption across profiles, SCRAM keys cached',
      ...aviaryTls,
      sessions_reused: median(resumedCounts),
    });

    phase('bare TLS handshakes');
    let reused = 0;
    // `contextPerConnection`: what tls.connect did before one SecureContext per trust store
    // (given `ca`, it builds a new context for every connection).
    const handshake =
      (sessions?: TlsSessionCache, contextPerConnection = false) =>
      async () => {
        const target = {
          host: '127.0.0.1',
          port: directTlsPort,
          servername: prosody.domain,
          ca: prosody.caCertPem,
        };
        const session = sessions?.get(target);
        await new Promise<void>((resolve, reject) => {
          const socket = tlsConnect({
            host: target.host,
            port: target.port,
            servername: target.servername,
            ...(contextPerConnection
              ? { ca: target.ca }
              : { secureContext: secureContextFor(target.ca) }),
            ALPNProtocols: ['xmpp-client'],
            rejectUnauthorized: true,
            ...(session === undefined ? {} : { session }),
          });
          socket.on('session', (ticket: Buffer) => sessions?.set(target, ticket));
          socket.once('error', reject);
          socket.once('secureConnect', () => {
            if (socket.isSessionReused()) reused++;
            // TLS 1.3 tickets follow the handshake: wait for one before closing when resuming.
            if (sessions === undefined || socket.isSessionReused()) {
              socket.destroy();
              resolve();
            } else
              socket.once('session', () =>
                setImmediate(() => {
                  socket.destroy();
                  resolve();
                }),
              );
          });
        });
      };
    const handshakeIdx = Array.from({ length: handshakes }, (_, i) => i);
    const bareFull = await measure(handshakes, () => pool(handshakeIdx, concurrency, handshake()));
    const reusedInFull = reused;
    const bareFullOwnContext = await measure(handshakes, () =>
      pool(handshakeIdx, concurrency, handshake(undefined, true)),
    );
    const bareSessions = createTlsSessionCache();
    await handshake(bareSessions)();
    reused = 0;
    const bareResumed = await measure(handshakes, () =>
      pool(handshakeIdx, concurrency, handshake(bareSessions)),
    );
    const reusedInResumed = reused;
    rows.push({
      client: 'node:tls',
      transport: 'bare TLS handshake (verified)',
      mechanism: '-',
      case: 'full handshake',
      ...bareFull,
      sessions_reused: reusedInFull,
    });
    rows.push({
      client: 'node:tls',
      transport: 'bare TLS handshake (verified)',
      mechanism: '-',
      case: 'full handshake, new SecureContext each (before)',
      ...bareFullOwnContext,
    });
    rows.push({
      client: 'node:tls',
      transport: 'bare TLS handshake (verified)',
      mechanism: '-',
      case: 'resumed (session ticket)',
      ...bareResumed,
      sessions_reused: reusedInResumed,
    });

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
      case: 'stock',
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
        cpu_per_login_ratio_plain_cached_over_computed:
          aviary.cpu_ms_per_login / cold.cpu_ms_per_login,
        cpu_per_login_ratio_tls_resumed_over_full:
          aviaryTls.cpu_ms_per_login / aviaryTlsFull.cpu_ms_per_login,
        cpu_ms_tls_overhead_full: aviaryTlsFull.cpu_ms_per_login - aviary.cpu_ms_per_login,
        cpu_ms_tls_overhead_resumed: aviaryTls.cpu_ms_per_login - aviary.cpu_ms_per_login,
        load_average: readFileSync('/proc/loadavg', 'utf8').trim(),
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
