/**
 * `npm run bench -- mam [--messages 10000] [--runs 3]`
 *
 * Message Archive Management catch-up (XEP-0313) against the same count of messages arriving
 * live, in the same run, against one Prosody (`mod_mam`, offline storage off, 250 results per
 * page):
 * - catch-up: a raw client (its own process, so its CPU is not Aviary's) sends `--messages`
 *   chat messages to a disconnected profile, which exist then only in its archive; the clock
 *   runs from `connect` until every one was stored and announced (`messageNew`). The profile
 *   was connected once before, so this is the reconnect path (forward from the checkpoint);
 * - live: the same raw client sends the same count to a connected profile; the clock runs from
 *   its first send until every one was stored and announced.
 * Reported: medians over `--runs` of items/s and Aviary CPU (whole process: entity, workflow,
 * storage) per message, and the catch-up/live ratios.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Aviary } from '../src/runtime/default-runtime.js';
import { startProsody } from '../test/helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../test/helpers/runtime.js';
import { type BenchRow, median, publish } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(`--${name}`);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} needs a positive integer`);
  return value;
}

/** Starts the raw sender; resolves `started` at its first send and `done` once acknowledged. */
function startSender(args: {
  jid: string;
  password: string;
  port: number;
  to: string;
  count: number;
  prefix: string;
}): { started: Promise<void>; done: Promise<void>; child: ChildProcess } {
  const child = spawn(process.execPath, [join(here, '_mam-sender.js'), JSON.stringify(args)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  let onStarted: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    onStarted = resolve;
  });
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('sending')) onStarted();
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('exit', (code) =>
      code === 0 && output.includes('done')
        ? resolve()
        : reject(new Error(`the raw sender exited with ${code}: ${output}`)),
    );
  });
  return { started, done, child };
}

/** Resolves once `profile` announced `count` incoming messages; rejects after `timeoutMs`. */
function arrivals(
  runtime: Aviary,
  profile: string,
  count: number,
  timeoutMs = 900_000,
): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = 0;
    const timer = setTimeout(() => {
      runtime.events.off('messageNew', listener);
      reject(new Error(`${profile}: ${seen} of ${count} messages within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (m: { profile: string; direction: string }) => {
      if (m.profile !== profile || m.direction !== 'in') return;
      if (++seen === count) {
        clearTimeout(timer);
        runtime.events.off('messageNew', listener);
        resolve();
      }
    };
    runtime.events.on('messageNew', listener);
  });
}

function measured(count: number, wallMs: number, cpu: NodeJS.CpuUsage) {
  return {
    messages: count,
    wall_s: wallMs / 1000,
    items_per_s: (count * 1000) / wallMs,
    cpu_us_per_message: (cpu.user + cpu.system) / count,
  };
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write('options: --messages N (10000) --runs N (3)\n');
    return;
  }
  const count = option(args, 'messages', 10_000);
  const runs = option(args, 'runs', 3);
  const sender = { username: 'sender', password: 'sender-pw' };
  const receivers = Array.from({ length: runs }, (_, r) => [
    { username: `archived${r}`, password: `archived-pw-${r}` },
    { username: `live${r}`, password: `live-pw-${r}` },
  ]).flat();
  const prosody = await startProsody({
    users: [sender, ...receivers],
    modules: ['mam'],
    withoutModules: ['offline'],
    logLevel: 'warn',
    // Prosody's internal archive keeps 10,000 items per account by default and then truncates
    // the oldest (the catch-up checkpoint among them).
    extraConfig: 'max_archive_query_results = 250\nstorage_archive_item_limit = 1000000',
  });
  const runtime = await startTestRuntime(prosody, {
    config: { xmpp: { profileMailboxCapacity: 2000 } },
  });
  const senderJid = `${sender.username}@${prosody.domain}`;
  const send = (to: string, n: number, prefix: string) =>
    startSender({
      jid: senderJid,
      password: sender.password,
      port: prosody.c2sPort,
      to,
      count: n,
      prefix,
    });
  const rows: BenchRow[] = [];
  const phase = (name: string) =>
    process.stderr.write(`[mam] ${name} at ${(performance.now() / 1000).toFixed(1)} s\n`);
  try {
    for (let r = 0; r < runs; r++) {
      // Catch-up: one message and a first connection set the checkpoint, then the backlog.
      const archived = `archived${r}`;
      const archivedJid = `${archived}@${prosody.domain}`;
      await runtime.addProfile({
        ...prosodyAccount(prosody, archived, `archived-pw-${r}`),
        autoconnect: false,
      });
      await runtime.storage.request({
        type: 'param.set',
        profile: archived,
        category: 'mam',
        name: 'page_size',
        value: '250',
      });
      await send(archivedJid, 1, 'prime').done;
      const primed = arrivals(runtime, archived, 1);
      runtime.connect(archived);
      await runtime.waitForState(archived, 'online');
      await primed;
      await runtime.archives.sync(archived);
      await runtime.disconnect(archived);
      phase(`run ${r + 1}: filling the archive`);
      await send(archivedJid, count, 'archived').done;
      phase(`run ${r + 1}: catch-up`);
      const caughtUp = arrivals(runtime, archived, count);
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      runtime.connect(archived);
      await caughtUp;
      rows.push({
        run: r + 1,
        path: 'catch-up (MAM)',
        ...measured(count, performance.now() - t0, process.cpuUsage(cpu0)),
      });
      await runtime.disconnect(archived);

      // Live: the same count to a connected profile.
      const live = `live${r}`;
      await runtime.addProfile(prosodyAccount(prosody, live, `live-pw-${r}`));
      await runtime.waitForState(live, 'online');
      await runtime.archives.sync(live);
      phase(`run ${r + 1}: live`);
      const received = arrivals(runtime, live, count);
      const flow = send(`${live}@${prosody.domain}`, count, 'live');
      await flow.started;
      const cpu1 = process.cpuUsage();
      const t1 = performance.now();
      await received;
      rows.push({
        run: r + 1,
        path: 'live',
        ...measured(count, performance.now() - t1, process.cpuUsage(cpu1)),
      });
      await flow.done;
      await runtime.disconnect(live);
    }
    const of = (path: string, key: 'items_per_s' | 'cpu_us_per_message') =>
      median(rows.filter((row) => row.path === path).map((row) => Number(row[key])));
    const catchUpRate = of('catch-up (MAM)', 'items_per_s');
    const liveRate = of('live', 'items_per_s');
    const catchUpCpu = of('catch-up (MAM)', 'cpu_us_per_message');
    const liveCpu = of('live', 'cpu_us_per_message');
    publish({
      name: 'mam',
      rows,
      summary: {
        messages: count,
        runs,
        median_catch_up_items_per_s: catchUpRate,
        median_live_items_per_s: liveRate,
        median_catch_up_cpu_us_per_message: catchUpCpu,
        median_live_cpu_us_per_message: liveCpu,
        ratio_items_per_s_catch_up_over_live: catchUpRate / liveRate,
        ratio_cpu_per_message_catch_up_over_live: catchUpCpu / liveCpu,
        page_size: 250,
        note: 'CPU is the Aviary process only (the raw sender and Prosody run in other processes)',
      },
    });
  } finally {
    await runtime.stop();
    await prosody.stop();
  }
}
