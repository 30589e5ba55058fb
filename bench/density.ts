/**
 * `npm run bench -- density [--profiles 5000] [--concurrency 50] [--idle-seconds 30]
 *   [--ping-seconds 20] [--source-addresses 32] [--restart]
 *   [--runtime [--login-rate 200] [--heap-snapshots DIR]]`
 *
 * `--runtime`: full Aviary profiles in one runtime instead of bare connections (see
 * `_density-runtime.ts`). Without it:
 * Many idle connected profiles in one process against a local ejabberd (test/helpers/ejabberd.ts):
 * every profile is one Aviary client connection (SCRAM-SHA-1 over plain loopback, keys cached
 * after the first login as in the runtime, no stream management: the fixture's ejabberd has
 * none) answering and sending XEP-0199 keepalive pings every `--ping-seconds`. Connections come
 * from `--source-addresses` addresses spread over 127.0.0.0/8, so the ephemeral port range of
 * one source address is no limit. Reported in the same run:
 * - the baseline: the process's RSS and heap with ejabberd up and no profile online;
 * - login rate on the way up (overall, and the slowest tenth of the ramp);
 * - RSS and heap per idle profile once all are online (after a full GC);
 * - event-loop delay (p50/p99/max) while they idle with keepalives;
 * - with `--restart`: the time until every profile is online again after ejabberd restarts
 *   (`ejabberdctl restart`), each profile retrying after a random delay of up to 2 s.
 *
 * File limits: each connection is a descriptor in this process and in ejabberd. When the soft
 * limit is too low the benchmark re-runs itself under `prlimit --nofile` (raising the hard limit
 * needs CAP_SYS_RESOURCE; without it prlimit says "Operation not permitted" and the run stops);
 * ejabberd, started from the raised process, inherits it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { systemClock } from '../src/actors/clock.js';
import { readSystemLimits } from '../src/loadtest/system-limits.js';
import { type ClientConnection, createClientConnection } from '../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../src/xmpp/scram.js';
import { startEjabberd } from '../test/helpers/ejabberd.js';
import { runtimeDensityRows } from './_density-runtime.js';
import { type BenchRow, percentile, publish, slowestTenthRate } from './report.js';

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

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function pool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) await fn(items[next++] as T);
    }),
  );
}

/** 127.0.0.1, 127.0.0.2, … spread over 127.0.0.0/8 (never .0 or .255 in the last octet). */
function sourceAddress(index: number, count: number): string {
  const k = index % count;
  return `127.${(k >> 16) & 255}.${(k >> 8) & 255}.${(k & 255) + 1 === 256 ? 254 : (k & 255) + 1}`;
}

const RAISED = 'AVIARY_DENSITY_LIMIT_RAISED';

/** Re-runs this benchmark under a higher descriptor limit; true when it did. */
function reRunWithFileLimit(args: string[], need: number): boolean {
  const soft = readSystemLimits().openFiles?.soft ?? Number.POSITIVE_INFINITY;
  if (soft >= need || process.env[RAISED] === '1') return false;
  process.stderr.write(`[density] soft fd limit ${soft} < ${need}: re-running under prlimit\n`);
  const result = spawnSync(
    'prlimit',
    [`--nofile=${need}:${need}`, process.execPath, process.argv[1] as string, 'density', ...args],
    { stdio: 'inherit', env: { ...process.env, [RAISED]: '1' } },
  );
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) process.exitCode = result.status ?? 1;
  return true;
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'usage: npm run bench -- density [--profiles N (5000)] [--concurrency N (50)]\n' +
        '    [--idle-seconds N (30)] [--ping-seconds N (20)] [--source-addresses N (32)]\n' +
        '    [--restart] [--runtime [--login-rate N (200)] [--heap-snapshots DIR]]\n' +
        '  --runtime     full Aviary profiles in one runtime (entity actors, plugins, storage)\n' +
        '                instead of bare client connections; --concurrency is then its login burst\n' +
        '  --heap-snapshots DIR  (with --runtime) V8 heap snapshots before the import and idle\n',
    );
    return;
  }
  const profiles = option(args, 'profiles', 5000);
  const concurrency = option(args, 'concurrency', 50);
  const idleSeconds = option(args, 'idle-seconds', 30);
  const pingSeconds = option(args, 'ping-seconds', 20);
  const sources = Math.max(1, option(args, 'source-addresses', 32));
  const restart = args.includes('--restart');
  const runtimeMode = args.includes('--runtime');
  const loginRate = option(args, 'login-rate', 200);
  const snapshotAt = args.indexOf('--heap-snapshots');
  const snapshotDir = snapshotAt >= 0 ? args[snapshotAt + 1] : undefined;
  // One descriptor per connection in this process (ejabberd, a child, inherits the same limit
  // for its own), plus room for files, pipes and the thread pool.
  if (reRunWithFileLimit(args, profiles + 1024)) return;

  const phase = (name: string) =>
    process.stderr.write(
      `[density] ${name} at ${(performance.now() / 1000).toFixed(1)} s, load ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}\n`,
    );
  phase('starting ejabberd');
  const ejabberd = await startEjabberd({ logLevel: 'warning', pubsubBackend: 'mnesia' });
  const held: ClientConnection[] = [];
  let stopping = false;
  try {
    phase(`registering ${profiles} accounts`);
    const indexes = Array.from({ length: profiles }, (_, i) => i);
    // In-band registration; an overloaded server may miss one step's deadline: try again.
    await pool(indexes, 50, async (i) => {
      for (let attempt = 1; ; attempt++) {
        try {
          await ejabberd.register({ username: `d${i}`, password: `p${i}` });
          return;
        } catch (error) {
          // A timed-out attempt the server did complete: the account is there, with our password.
          if (String(error).includes('already exists')) return;
          if (attempt >= 3) throw error;
        }
      }
    });

    if (runtimeMode) {
      const rows = await runtimeDensityRows({
        profiles,
        loginRate,
        loginBurst: concurrency,
        idleSeconds,
        pingSeconds,
        restart,
        ejabberd,
        phase,
        collectGarbage,
        account: (i) => ({ username: `d${i}`, password: `p${i}` }),
        ...(snapshotDir !== undefined ? { heapSnapshots: snapshotDir } : {}),
      });
      publish({
        name: 'density',
        rows,
        summary: {
          profiles,
          mode: 'runtime profiles (entity actors, built-in plugins, sql.js storage)',
          transport: 'plain loopback, one source address',
          login_rate_setting: loginRate,
          rss_kb_per_profile_aim: 32,
          loop_delay_p99_ms_aim: 20,
          fd_soft_limit: readSystemLimits().openFiles?.soft ?? -1,
          load_average: readFileSync('/proc/loadavg', 'utf8').trim(),
        },
      });
      return;
    }

    const keys = createSaltedPasswordCache();
    const make = (i: number) =>
      createClientConnection({
        jid: `d${i}@${ejabberd.domain}`,
        password: `p${i}`,
        server: { host: ejabberd.host, port: ejabberd.c2sPort },
        localAddress: sourceAddress(i, sources),
        tls: 'off',
        mechanisms: ['SCRAM-SHA-1'],
        saltedPasswordCache: keys,
        streamManagement: false,
        pingIntervalMs: pingSeconds * 1000,
        clock: systemClock,
        timeoutMs: 60_000,
      });

    collectGarbage();
    const mem0 = process.memoryUsage();
    phase('ramping up');
    const onlineAt: number[] = [];
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    // A login that fails is counted and reported, not fatal: how many the server let in is
    // itself a finding at sizes near its limits.
    let failedLogins = 0;
    await pool(indexes, concurrency, async (i) => {
      const c = make(i);
      try {
        await c.connect();
      } catch (error) {
        if (++failedLogins <= 3)
          process.stderr.write(`[density] login ${i} failed: ${String(error).slice(0, 300)}\n`);
        await c.disconnect().catch(() => undefined);
        return;
      }
      held[i] = c;
      onlineAt.push(performance.now() - t0);
    });
    const online = onlineAt.length;
    const rampCpu = process.cpuUsage(cpu0);
    const rampS = (performance.now() - t0) / 1000;
    // Slowest tenth of the ramp: the login rate the process held throughout.
    const slowestTenth = slowestTenthRate(onlineAt, profiles);

    await sleep(2000);
    collectGarbage();
    const mem1 = process.memoryUsage();
    phase(`idling ${idleSeconds} s with keepalives`);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    const idleCpu0 = process.cpuUsage();
    delay.enable();
    await sleep(idleSeconds * 1000);
    delay.disable();
    const idleCpu = process.cpuUsage(idleCpu0);
    const stillOnline = held.filter((c) => c.status === 'online').length;

    const rows: BenchRow[] = [
      {
        phase: 'baseline: ejabberd up, no profile online',
        profiles_online: 0,
        rss_mb: mem0.rss / 2 ** 20,
        heap_mb: mem0.heapUsed / 2 ** 20,
      },
      {
        phase: 'ramp up',
        profiles_online: online,
        failed_logins: failedLogins,
        seconds: rampS,
        logins_per_s: online / rampS,
        logins_per_s_slowest_tenth: slowestTenth,
        cpu_ms_per_login: (rampCpu.user + rampCpu.system) / 1000 / Math.max(1, online),
      },
      {
        phase: `idle ${idleSeconds} s, ping every ${pingSeconds} s`,
        profiles_online: stillOnline,
        rss_mb: mem1.rss / 2 ** 20,
        heap_mb: mem1.heapUsed / 2 ** 20,
        rss_kb_per_profile: (mem1.rss - mem0.rss) / 1024 / Math.max(1, online),
        heap_kb_per_profile: (mem1.heapUsed - mem0.heapUsed) / 1024 / Math.max(1, online),
        loop_delay_p50_ms: delay.percentile(50) / 1e6,
        loop_delay_p99_ms: delay.percentile(99) / 1e6,
        loop_delay_max_ms: delay.max / 1e6,
        cpu_percent_idle: ((idleCpu.user + idleCpu.system) / 1e6 / idleSeconds) * 100,
      },
    ];

    if (restart) {
      phase('restarting ejabberd');
      const reconnectAt: number[] = [];
      let restartedAt = 0;
      const reconnect = (i: number) => {
        if (stopping) return;
        const c = make(i);
        held[i] = c;
        sleep(Math.random() * 2000)
          .then(() => c.connect())
          .then(
            () => {
              reconnectAt.push(performance.now() - restartedAt);
              watch(i, c);
            },
            () => {
              if (!stopping) setTimeout(() => reconnect(i), 1000 + Math.random() * 2000);
            },
          );
      };
      const watch = (i: number, c: ClientConnection) => {
        const off = c.onStatus((status) => {
          if (status !== 'offline') return;
          off();
          reconnect(i);
        });
      };
      held.forEach((c, i) => {
        watch(i, c);
      });
      restartedAt = performance.now();
      // The node restarts its applications in place (same OS process, same port); the command
      // may lose its own answer in the restart.
      await ejabberd.ctl(['restart']).catch((error: unknown) => {
        process.stderr.write(`[density] ejabberdctl restart: ${String(error).slice(0, 200)}\n`);
      });
      while (reconnectAt.length < online) {
        await sleep(500);
        if (performance.now() - restartedAt > 30 * 60_000) break;
      }
      rows.push({
        phase: 'reconnect all after ejabberd restart',
        profiles_online: held.filter((c) => c.status === 'online').length,
        seconds: (percentile(reconnectAt, 100) || Number.NaN) / 1000,
        p50_seconds: percentile(reconnectAt, 50) / 1000,
      });
    }

    publish({
      name: 'density',
      rows,
      summary: {
        profiles,
        source_addresses: sources,
        transport: 'plain loopback, SCRAM-SHA-1, no stream management',
        rss_kb_per_profile_aim: 32,
        loop_delay_p99_ms_aim: 20,
        fd_soft_limit: readSystemLimits().openFiles?.soft ?? -1,
        load_average: readFileSync('/proc/loadavg', 'utf8').trim(),
        note: 'the process holds client connections only (no entity actors or storage)',
      },
    });
  } finally {
    stopping = true;
    await pool(
      held.filter((c) => c !== undefined),
      200,
      (c) => c.disconnect().catch(() => undefined),
    );
    await ejabberd.stop();
  }
}
