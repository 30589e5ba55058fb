/**
 * The `--runtime` mode of `npm run bench -- density`: every profile is a full Aviary profile in
 * one runtime (entity actor with its bounded mailbox, the built-in plugins, the message
 * workflow, its stored row and encrypted password), not a bare client connection. The runtime
 * paces its own logins (`xmpp.loginRate`, `xmpp.loginBurst`), pings every `--ping-seconds`
 * (XEP-0199), and reconnects with its own backoff after ejabberd restarts.
 *
 * Reported rows (same shape as the connection mode):
 * - the baseline: the process with the runtime started (storage worker, parser pool) and no
 *   profile;
 * - the ramp: profiles imported with autoconnect, until every one is online;
 * - RSS and heap per idle profile (after a full GC), event-loop delay while idling; beside them
 *   the V8 heap's committed size, `external` and `arrayBuffers` (which include the storage
 *   worker's sql.js memory, a WebAssembly buffer) and the process's anonymous memory
 *   (`/proc/self/smaps_rollup`: every thread's heap and malloc arenas), so memory outside the
 *   main thread's heap shows where it is;
 * - with `--heap-snapshots DIR`: V8 heap snapshots of the main thread before the import and
 *   once idle, to diff per profile;
 * - with `--restart`: the time until all are online again after `ejabberdctl restart`.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8';
import { runOperation } from '../src/api/operations.js';
import { createLogger } from '../src/log.js';
import { createRuntime } from '../src/runtime/default-runtime.js';
import type { EjabberdServer } from '../test/helpers/ejabberd.js';
import { type BenchRow, slowestTenthRate } from './report.js';

export interface RuntimeDensityOptions {
  readonly profiles: number;
  readonly loginRate: number;
  readonly loginBurst: number;
  readonly idleSeconds: number;
  readonly pingSeconds: number;
  readonly restart: boolean;
  readonly ejabberd: EjabberdServer;
  readonly phase: (name: string) => void;
  readonly collectGarbage: () => void;
  /** Account `i`'s user name and password, as registered on the server. */
  readonly account: (i: number) => { readonly username: string; readonly password: string };
  /** A directory to write heap snapshots into (before the import, and idle). */
  readonly heapSnapshots?: string;
}

/** The process's memory, in bytes: `process.memoryUsage()` plus anonymous pages (all threads). */
interface MemorySample {
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
  readonly anonymous: number;
  /** V8's young generation: committed (it grows under allocation, up to twice the semi-space). */
  readonly newSpace: number;
  /** V8's old generation: committed, and used after the last collection. */
  readonly oldSpace: number;
  readonly oldSpaceUsed: number;
}

function sampleMemory(): MemorySample {
  const m = process.memoryUsage();
  // smaps_rollup: "Anonymous:   123456 kB" (Linux 4.14+); 0 where it is not there.
  let anonymous = 0;
  try {
    const line = /^Anonymous:\s+(\d+) kB/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'));
    anonymous = Number(line?.[1] ?? 0) * 1024;
  } catch {
    anonymous = 0;
  }
  const space = (name: string) => getHeapSpaceStatistics().find((s) => s.space_name === name);
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = m;
  return {
    rss,
    heapUsed,
    heapTotal,
    external,
    arrayBuffers,
    anonymous,
    newSpace: space('new_space')?.space_size ?? 0,
    oldSpace: space('old_space')?.space_size ?? 0,
    oldSpaceUsed: space('old_space')?.space_used_size ?? 0,
  };
}

/** Row fields of `after`, and per profile the growth from `before`, in KB. */
function memoryFields(before: MemorySample, after: MemorySample, profiles: number) {
  const per = (key: keyof MemorySample) =>
    (after[key] - before[key]) / 1024 / Math.max(1, profiles);
  return {
    rss_mb: after.rss / 2 ** 20,
    heap_mb: after.heapUsed / 2 ** 20,
    rss_kb_per_profile: per('rss'),
    heap_kb_per_profile: per('heapUsed'),
    heap_committed_kb_per_profile: per('heapTotal'),
    external_kb_per_profile: per('external'),
    array_buffers_kb_per_profile: per('arrayBuffers'),
    anonymous_kb_per_profile: per('anonymous'),
    new_space_mb: after.newSpace / 2 ** 20,
    old_space_kb_per_profile: per('oldSpace'),
    old_space_used_kb_per_profile: per('oldSpaceUsed'),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const IMPORT_BATCH = 500;

export async function runtimeDensityRows(o: RuntimeDensityOptions): Promise<BenchRow[]> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aviary-bench-density-'));
  const runtime = createRuntime({
    api: false,
    autoconnect: true,
    config: {
      dataDir,
      xmpp: {
        loginRate: o.loginRate,
        loginBurst: o.loginBurst,
        pingIntervalMs: o.pingSeconds * 1000,
        reconnectBaseMs: 1000,
        reconnectMaxMs: 10_000,
      },
    },
    log: createLogger({ level: 'silent' }),
  });
  const online = new Set<string>();
  const onlineAt: number[] = [];
  let clock0 = 0;
  let restartedAt: number | undefined;
  const cycled = new Set<string>();
  runtime.events.on('connectionState', (event) => {
    if (restartedAt !== undefined && event.state !== 'online') cycled.add(event.name);
    if (event.state === 'online') {
      if (!online.has(event.name)) onlineAt.push(performance.now() - clock0);
      online.add(event.name);
    } else online.delete(event.name);
  });
  const waitAllOnline = async (limitMs: number): Promise<boolean> => {
    const until = performance.now() + limitMs;
    while (online.size < o.profiles) {
      if (performance.now() > until) return false;
      await sleep(250);
    }
    return true;
  };
  try {
    await runtime.start();
    await sleep(1000);
    o.collectGarbage();
    const mem0 = sampleMemory();
    if (o.heapSnapshots)
      writeHeapSnapshot(join(o.heapSnapshots, `density-${o.profiles}-0.heapsnapshot`));

    o.phase(`importing ${o.profiles} profiles (autoconnect, ${o.loginRate} logins/s)`);
    clock0 = performance.now();
    const cpu0 = process.cpuUsage();
    for (let from = 0; from < o.profiles; from += IMPORT_BATCH) {
      const batch = Array.from({ length: Math.min(IMPORT_BATCH, o.profiles - from) }, (_, k) => {
        const { username, password } = o.account(from + k);
        return {
          name: username,
          jid: `${username}@${o.ejabberd.domain}`,
          password,
          serverHost: o.ejabberd.host,
          serverPort: o.ejabberd.c2sPort,
          tls: 'disabled' as const,
          autoconnect: true,
        };
      });
      const result = await runOperation(runtime, 'profile.import', { profiles: batch });
      if (result.failed.length > 0)
        throw new Error(`profile.import failed: ${JSON.stringify(result.failed[0])}`);
    }
    const allOnline = await waitAllOnline(30 * 60_000);
    const rampS = (performance.now() - clock0) / 1000;
    const rampCpu = process.cpuUsage(cpu0);
    const slowestTenth = slowestTenthRate(onlineAt, o.profiles);

    await sleep(2000);
    o.collectGarbage();
    const mem1 = sampleMemory();
    const held = online.size;
    if (o.heapSnapshots)
      writeHeapSnapshot(join(o.heapSnapshots, `density-${o.profiles}-1.heapsnapshot`));
    o.phase(`idling ${o.idleSeconds} s with keepalives`);
    const delay = monitorEventLoopDelay({ resolution: 10 });
    const idleCpu0 = process.cpuUsage();
    delay.enable();
    await sleep(o.idleSeconds * 1000);
    delay.disable();
    const idleCpu = process.cpuUsage(idleCpu0);
    // Again once idle: V8's memory reducer (a few seconds after allocation slows down) may have
    // compacted the old generation the ramp left sparse.
    o.collectGarbage();
    const mem2 = sampleMemory();

    const rows: BenchRow[] = [
      {
        phase: 'baseline: runtime started, no profile',
        profiles_online: 0,
        rss_mb: mem0.rss / 2 ** 20,
        heap_mb: mem0.heapUsed / 2 ** 20,
        heap_committed_mb: mem0.heapTotal / 2 ** 20,
        external_mb: mem0.external / 2 ** 20,
        array_buffers_mb: mem0.arrayBuffers / 2 ** 20,
        anonymous_mb: mem0.anonymous / 2 ** 20,
        new_space_mb: mem0.newSpace / 2 ** 20,
      },
      {
        phase: allOnline ? 'ramp up (runtime profiles)' : 'ramp up (runtime profiles), INCOMPLETE',
        profiles_online: held,
        failed_logins: o.profiles - held,
        seconds: rampS,
        logins_per_s: held / rampS,
        logins_per_s_slowest_tenth: slowestTenth,
        cpu_ms_per_login: (rampCpu.user + rampCpu.system) / 1000 / Math.max(1, held),
      },
      {
        phase: `idle ${o.idleSeconds} s, ping every ${o.pingSeconds} s (runtime profiles)`,
        profiles_online: online.size,
        ...memoryFields(mem0, mem1, held),
        loop_delay_p50_ms: delay.percentile(50) / 1e6,
        loop_delay_p99_ms: delay.percentile(99) / 1e6,
        loop_delay_max_ms: delay.max / 1e6,
        cpu_percent_idle: ((idleCpu.user + idleCpu.system) / 1e6 / o.idleSeconds) * 100,
      },
      {
        phase: `after idling ${o.idleSeconds} s (runtime profiles)`,
        profiles_online: online.size,
        ...memoryFields(mem0, mem2, held),
      },
    ];

    if (o.restart) {
      o.phase('restarting ejabberd');
      const started = performance.now();
      restartedAt = started;
      await o.ejabberd.ctl(['restart']).catch((error: unknown) => {
        process.stderr.write(`[density] ejabberdctl restart: ${String(error).slice(0, 200)}\n`);
      });
      // Every profile notices the closed stream, then comes back through its own backoff.
      const dropped = performance.now() + 60_000;
      while (cycled.size < held && performance.now() < dropped) await sleep(100);
      const back = cycled.size >= held && (await waitAllOnline(30 * 60_000));
      rows.push({
        phase: back
          ? 'reconnect all after ejabberd restart (runtime profiles)'
          : 'reconnect after ejabberd restart (runtime profiles), INCOMPLETE',
        profiles_online: online.size,
        seconds: (performance.now() - started) / 1000,
      });
    }
    return rows;
  } finally {
    await runtime.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
