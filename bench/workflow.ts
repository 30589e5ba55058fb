/**
 * `npm run bench -- workflow [--pairs 100] [--rate 1000] [--seconds 10] [--inproc-messages 20000]
 *   [--window 2000] [--skip-prosody] [--skip-inproc] [--backend sqljs|postgres]`
 *
 * `--backend postgres` keeps history in a throwaway PostgreSQL cluster (fsync on, on the same
 * cores), a fresh database for each runtime; the default is the embedded sql.js store.
 *
 * (a) End to end through a local Prosody: `--pairs` profile pairs (a_i → b_i) in one runtime,
 * every message through the send pipeline, the wire, the receive pipeline and durable history on
 * both sides; latency is send → `messageNew` on the receiver, at a fixed offered `--rate`. The
 * same load through raw `createClientConnection` pairs (no workflow, no storage) in the same
 * run is the baseline: the ratio of achieved rates, and our process's CPU per message.
 * Each phase gets a Prosody of its own, started afresh with the same configuration: a baseline
 * that Prosody could not keep up with leaves a backlog behind (every message still unread when
 * its receiver disconnects goes to offline storage), and working that off kept the old shared
 * server from answering the next phase's logins for minutes ("no stream features" / "no
 * connection after 10000 ms" at 8,000 msg/s on a loaded machine). Offline storage is left out
 * (`withoutModules: ['offline']`): no phase measures it. Prosody's own CPU per message is read
 * from /proc (its process, found by the folder of its configuration).
 * (b) The runtime alone on the in-process transport (src/transport/in-process.ts): messages/s
 * through both pipelines with durable history, `--window` messages in flight.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import xml from '@xmpp/xml';
import { systemClock } from '../src/actors/clock.js';
import { createLogger } from '../src/log.js';
import { type Aviary, createRuntime } from '../src/runtime/default-runtime.js';
import type { RuntimeEvents } from '../src/runtime/events.js';
import { createInProcessTransport } from '../src/transport/in-process.js';
import { type ClientConnection, createClientConnection } from '../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../src/xmpp/scram.js';
import { tempDataDir } from '../test/helpers/cli.js';
import { type PostgresFixture, startPostgres } from '../test/helpers/postgres.js';
import { type ProsodyFixture, startProsody } from '../test/helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../test/helpers/runtime.js';
import { type BenchRow, percentile, publish } from './report.js';

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name} needs a positive number`);
  return value;
}

/** Tracks send times by sequence number and the latencies of what arrived. */
function tracker() {
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  let first = 0;
  let last = 0;
  return {
    sent(seq: number) {
      const now = performance.now();
      if (sentAt.size === 0 && latencies.length === 0) first = now;
      sentAt.set(seq, now);
    },
    arrived(body: string | undefined) {
      const seq = Number(body?.slice(1));
      const t0 = sentAt.get(seq);
      if (t0 === undefined) return;
      sentAt.delete(seq);
      last = performance.now();
      latencies.push(last - t0);
    },
    get received() {
      return latencies.length;
    },
    result(scenario: string, extra: BenchRow, sent: number, cpuMs: number): BenchRow {
      const wallS = (last - first) / 1000;
      return {
        scenario,
        ...extra,
        sent,
        received: latencies.length,
        lost: sent - latencies.length,
        msgs_per_s: latencies.length / wallS,
        p50_ms: percentile(latencies, 50),
        p99_ms: percentile(latencies, 99),
        cpu_ms_per_msg: cpuMs / Math.max(1, latencies.length),
      };
    },
  };
}

/** Calls `send(seq)` at `rate` per second for `seconds`, catching up after stalls. */
async function offer(rate: number, seconds: number, send: (seq: number) => void): Promise<number> {
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  let seq = 0;
  while (seq < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) * rate) / 1000));
    while (seq < due) send(seq++);
    await new Promise((r) => setTimeout(r, 5));
  }
  return total;
}

async function drain(t: { received: number }, expected: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (t.received < expected && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
}

/**
 * CPU time (ms, user + system) used so far by the Prosody process of `prosody`, found by the
 * folder holding its configuration (the fixture starts it with `--config <folder>/prosody.cfg.lua`).
 */
function prosodyCpuReader(prosody: ProsodyFixture): () => number {
  const folder = dirname(prosody.dataDir);
  const pid = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .find((entry) => {
      try {
        return readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(`${folder}/`);
      } catch {
        return false; // the process ended while we looked
      }
    });
  if (pid === undefined) throw new Error(`no Prosody process found for ${folder}`);
  const ticksPerMs = 100 / 1000; // USER_HZ is 100 on Linux
  return () => {
    // Fields after the command name's closing parenthesis: utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / ticksPerMs;
  };
}

/** CPU time (ms) of each thread of this process so far, by thread id (/proc/self/task). */
function threadCpu(): Map<string, number> {
  const byThread = new Map<string, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]?.split(' ');
      byThread.set(tid, ((Number(fields?.[11]) + Number(fields?.[12])) * 1000) / 100);
    } catch {
      // the thread ended while we looked
    }
  }
  return byThread;
}

/**
 * Splits this process's CPU since `before` per message: the main thread (its id is the process
 * id), the busiest other thread (the storage worker: Node 20 does not name threads, and no other
 * thread of a runtime comes near it), and the rest (V8's GC helpers, libuv's pool).
 */
function threadSplit(before: Map<string, number>, messages: number): BenchRow {
  const after = threadCpu();
  const spent = [...after].map(([tid, ms]) => [tid, ms - (before.get(tid) ?? 0)] as const);
  const main = spent.find(([tid]) => tid === String(process.pid))?.[1] ?? 0;
  const others = spent.filter(([tid]) => tid !== String(process.pid)).map(([, ms]) => ms);
  const busiest = Math.max(0, ...others);
  const rest = others.reduce((a, b) => a + b, 0) - busiest;
  const per = (ms: number) => ms / Math.max(1, messages);
  return {
    main_cpu_ms_per_msg: per(main),
    worker_cpu_ms_per_msg: per(busiest),
    other_threads_cpu_ms_per_msg: per(rest),
  };
}

/** Runs `phase` against a Prosody of its own, returning its row with Prosody's CPU per message. */
async function withOwnProsody(
  users: readonly { username: string; password: string }[],
  phase: (prosody: ProsodyFixture) => Promise<{ row: BenchRow; stored?: number }>,
): Promise<{ row: BenchRow; stored?: number }> {
  const prosody = await startProsody({ users, withoutModules: ['offline'] });
  try {
    const prosodyCpu = prosodyCpuReader(prosody);
    const before = prosodyCpu();
    const result = await phase(prosody);
    const received = Number(result.row.received);
    return {
      ...result,
      row: {
        ...result.row,
        prosody_cpu_ms_per_msg: (prosodyCpu() - before) / Math.max(1, received),
      },
    };
  } finally {
    await prosody.stop();
  }
}

const bodyOf = (m: RuntimeEvents['messageNew']) =>
  Object.values((m as { message?: Record<string, string> }).message ?? {})[0];

/** Storage configuration for one runtime: sql.js (nothing to set) or a fresh PostgreSQL database. */
type StorageFor = () => Promise<{ storage?: { url: string } }>;

async function throughAviary(
  prosody: ProsodyFixture,
  pairs: number,
  rate: number,
  seconds: number,
  storageFor: StorageFor,
) {
  const runtime = await startTestRuntime(prosody, {
    config: { xmpp: { pingIntervalMs: 0 }, ...(await storageFor()) },
  });
  try {
    for (let i = 0; i < pairs; i++) {
      await runtime.addProfile(prosodyAccount(prosody, `a${i}`, `pw-a${i}`));
      await runtime.addProfile(prosodyAccount(prosody, `b${i}`, `pw-b${i}`));
    }
    for (let i = 0; i < pairs; i++) {
      await runtime.waitForState(`a${i}`, 'online', 60_000);
      await runtime.waitForState(`b${i}`, 'online', 60_000);
    }
    const t = tracker();
    runtime.events.on('messageNew', (m) => {
      if (m.direction === 'in') t.arrived(bodyOf(m));
    });
    let failed = 0;
    const threads0 = threadCpu();
    const cpu0 = process.cpuUsage();
    const sent = await offer(rate, seconds, (seq) => {
      const i = seq % pairs;
      t.sent(seq);
      runtime
        .sendMessage(`a${i}`, {
          to: `b${i}@${prosody.domain}`,
          type: 'chat',
          message: { '': `m${seq}` },
        })
        .catch(() => failed++);
    });
    await drain(t, sent, 15_000);
    const cpu = process.cpuUsage(cpu0);
    const split = threadSplit(threads0, t.received);
    const stored = (await runtime.history('b0')).length;
    return {
      row: t.result(
        'aviary+prosody',
        { pairs, offered_per_s: rate, failed, ...split },
        sent,
        (cpu.user + cpu.system) / 1000,
      ),
      stored,
    };
  } finally {
    await runtime.stop();
  }
}

/** XEP-0184 message delivery receipts. */
const NS_RECEIPTS = 'urn:xmpp:receipts';

/**
 * Raw client connections through Prosody. With `receipts`, each message carries what Aviary's
 * carries on the wire — an id, an origin-id (XEP-0359) and a receipt request (XEP-0184) — and
 * the receiver answers each with `<received/>`, as Aviary's receipts plugin does: the same
 * stanza count for Prosody, without Aviary's pipelines.
 */
async function throughRaw(
  prosody: ProsodyFixture,
  pairs: number,
  rate: number,
  seconds: number,
  receipts = false,
) {
  const cache = createSaltedPasswordCache();
  const connect = async (user: string) => {
    const c = createClientConnection({
      jid: `${user}@${prosody.domain}`,
      password: `pw-${user}`,
      server: { host: '127.0.0.1', port: prosody.c2sPort },
      tls: 'required',
      tlsOptions: { ca: prosody.caCertPem },
      saltedPasswordCache: cache,
      clock: systemClock,
    });
    await c.connect();
    return c;
  };
  const senders: ClientConnection[] = [];
  const receivers: ClientConnection[] = [];
  const t = tracker();
  try {
    for (let i = 0; i < pairs; i++) {
      senders.push(await connect(`ra${i}`));
      const r = await connect(`rb${i}`);
      r.onStanza((s) => {
        if (s.name !== 'message') return;
        t.arrived(s.getChildText('body') ?? undefined);
        if (receipts && s.getChild('request', NS_RECEIPTS) && s.attrs.from && s.attrs.id)
          void r
            .send(
              xml(
                'message',
                { to: s.attrs.from, id: `r-${s.attrs.id}` },
                xml('received', { xmlns: NS_RECEIPTS, id: s.attrs.id }),
              ),
            )
            .catch(() => undefined);
      });
      receivers.push(r);
    }
    const cpu0 = process.cpuUsage();
    const sent = await offer(rate, seconds, (seq) => {
      const i = seq % pairs;
      t.sent(seq);
      void senders[i]
        ?.send(
          receipts
            ? xml(
                'message',
                { to: `rb${i}@${prosody.domain}`, type: 'chat', id: `m${seq}` },
                xml('body', {}, `m${seq}`),
                xml('origin-id', { xmlns: 'urn:xmpp:sid:0', id: `o${seq}` }),
                xml('request', { xmlns: NS_RECEIPTS }),
              )
            : xml(
                'message',
                { to: `rb${i}@${prosody.domain}`, type: 'chat' },
                xml('body', {}, `m${seq}`),
              ),
        )
        .catch(() => undefined);
    });
    await drain(t, sent, 15_000);
    const cpu = process.cpuUsage(cpu0);
    return t.result(
      receipts ? 'raw connections + receipts' : 'raw connections',
      { pairs, offered_per_s: rate, failed: 0 },
      sent,
      (cpu.user + cpu.system) / 1000,
    );
  } finally {
    await Promise.all([...senders, ...receivers].map((c) => c.disconnect().catch(() => undefined)));
  }
}

async function inProcess(pairs: number, messages: number, window: number, storageFor: StorageFor) {
  const transport = createInProcessTransport();
  const runtime: Aviary = createRuntime({
    api: false,
    log: createLogger({ level: 'silent' }),
    connections: () => transport.factories,
    config: {
      dataDir: tempDataDir('aviary-bench-wf-'),
      xmpp: { pingIntervalMs: 0 },
      ...(await storageFor()),
    },
  });
  await runtime.start();
  try {
    for (let i = 0; i < pairs; i++) {
      await runtime.addProfile({ name: `a${i}`, jid: `a${i}@local.test`, password: 'x' });
      await runtime.addProfile({ name: `b${i}`, jid: `b${i}@local.test`, password: 'x' });
    }
    for (let i = 0; i < pairs; i++) await runtime.waitForState(`b${i}`, 'online', 10_000);
    const t = tracker();
    runtime.events.on('messageNew', (m) => {
      if (m.direction === 'in') t.arrived(bodyOf(m));
    });
    let failed = 0;
    let next = 0;
    const threads0 = threadCpu();
    const cpu0 = process.cpuUsage();
    // `window` senders, each sending its next message when the previous one is durable.
    await Promise.all(
      Array.from({ length: Math.min(window, messages) }, async () => {
        while (next < messages) {
          const seq = next++;
          const i = seq % pairs;
          t.sent(seq);
          await runtime
            .sendMessage(`a${i}`, {
              to: `b${i}@local.test`,
              type: 'chat',
              message: { '': `m${seq}` },
            })
            .catch(() => failed++);
        }
      }),
    );
    await drain(t, messages, 15_000);
    const cpu = process.cpuUsage(cpu0);
    const split = threadSplit(threads0, t.received);
    const stored = (await runtime.history('b0')).length + (await runtime.history('a0')).length;
    return {
      row: t.result(
        'aviary in-process',
        { pairs, offered_per_s: null, failed, ...split },
        messages,
        (cpu.user + cpu.system) / 1000,
      ),
      storedPerPair: stored,
    };
  } finally {
    await runtime.stop();
  }
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'options: --pairs N (100) --rate MSG/S (1000) --seconds S (10) --inproc-messages N (20000) --window N (2000) --skip-prosody --skip-inproc --backend sqljs|postgres (sqljs)\n' +
        '  --raw-receipts   a third phase: raw connections sending the wire shape of Aviary (origin-id,\n' +
        '                   receipt request) and answering each with a receipt, for the CPU of Prosody\n',
    );
    return;
  }
  const pairs = option(args, 'pairs', 100);
  const rate = option(args, 'rate', 1000);
  const seconds = option(args, 'seconds', 10);
  const inprocMessages = option(args, 'inproc-messages', 20_000);
  const window = option(args, 'window', 2000);
  const backendAt = args.indexOf('--backend');
  const backend = backendAt >= 0 ? args[backendAt + 1] : 'sqljs';
  if (backend !== 'sqljs' && backend !== 'postgres')
    throw new Error('--backend takes sqljs or postgres');
  const rows: BenchRow[] = [];
  const summary: Record<string, string | number | boolean | null> = { backend };
  let postgres: PostgresFixture | undefined;
  const storageFor: StorageFor = async () => {
    if (backend === 'sqljs') return {};
    postgres ??= await startPostgres({ durable: true });
    return { storage: { url: await postgres.createDatabase() } };
  };
  try {
    if (!args.includes('--skip-prosody')) {
      const users = ['a', 'b', 'ra', 'rb'].flatMap((p) =>
        Array.from({ length: pairs }, (_, i) => ({
          username: `${p}${i}`,
          password: `pw-${p}${i}`,
        })),
      );
      const raw = await withOwnProsody(users, async (prosody) => ({
        row: await throughRaw(prosody, pairs, rate, seconds),
      }));
      const aviary = await withOwnProsody(users, (prosody) =>
        throughAviary(prosody, pairs, rate, seconds, storageFor),
      );
      rows.push(raw.row, aviary.row);
      if (args.includes('--raw-receipts')) {
        const withReceipts = await withOwnProsody(users, async (prosody) => ({
          row: await throughRaw(prosody, pairs, rate, seconds, true),
        }));
        rows.push(withReceipts.row);
      }
      summary.ratio_vs_raw = (aviary.row.msgs_per_s as number) / (raw.row.msgs_per_s as number);
      summary.aim_ratio = 0.8;
      summary.history_rows_b0 = aviary.stored ?? null;
    }
    if (!args.includes('--skip-inproc')) {
      const inproc = await inProcess(pairs, inprocMessages, window, storageFor);
      rows.push(inproc.row);
      summary.inproc_aim_msgs_per_s = 20_000;
      summary.inproc_history_rows_a0_plus_b0 = inproc.storedPerPair;
    }
  } finally {
    await postgres?.stop();
  }
  summary.note =
    'latency = send call → messageNew on the receiver (raw: send → stanza parsed); cpu = this process only (Prosody and PostgreSQL excluded); prosody_cpu = the Prosody of that phase, per message received';
  publish({ name: backend === 'sqljs' ? 'workflow' : `workflow-${backend}`, rows, summary });
}
