/**
 * `npm run bench -- storage [--full] [--seconds N] [--appends-only]`: the sql.js engine's durable
 * throughput and latencies (`--appends-only`: the history append rows and their baselines
 * only). With `--backend sqljs,postgres` (and `--items N`), the backends side by side instead
 * (`_storage-backends.ts`). Writers model actors awaiting their previous ack; the driver drains
 * whatever is queued into the next batch (group commit, no timer). Baselines: the database kept
 * in a file of sql.js's emulated file system (the engine before it moved to memory), the adds
 * of a batch one by one (before the multi-row insert), the journal grown by each record and the
 * full-text catch-up run before the record is written (before they were preallocated and
 * overlapped with the fdatasync), and exporting the whole database on every write batch (what
 * a naive sql.js persistence does).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FsOps, nodeFsOps } from '../src/storage/fs-ops.js';
import type { Json, StorageOutcome, StorageRequest } from '../src/storage/messages.js';
import { StorageEngine } from '../src/storage/storage-engine.js';
import { type BatchApplier, createStorageDriver } from '../test/helpers/storage-driver.js';
import { runBackends } from './_storage-backends.js';
import { type BenchRow, exitWithUsageOnHelp, median, percentile, publish } from './report.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'aviary-bench-storage-'));
/** fdatasync turned into a no-op: only to build large fixtures quickly, never for measured writes. */
const noSyncFs: FsOps = {
  ...nodeFsOps,
  async openFile(path) {
    const file = await nodeFsOps.openFile(path);
    return { ...file, datasync: async () => undefined };
  },
};
const PROFILE: StorageRequest = { type: 'profile.create', name: 'bench', jid: 'bench@example.org' };
const NODE = { profile: 'bench', service: 'pubsub.example.org', node: 'urn:xmpp:microblog:0' };
const ok = (o: StorageOutcome | undefined) => {
  if (!o?.ok) throw new Error(JSON.stringify(o));
  return o.value;
};

function atomEntry(i: number): { name: string; data: string; parsed: Json } {
  const words = Array.from({ length: 160 }, (_, k) => `word${(i * 7 + k) % 997}`).join(' ');
  const data = `<item id="item-${i}"><entry xmlns="http://www.w3.org/2005/Atom"><title>Post ${i}</title><id>tag:example.org,2026:${i}</id><published>2026-01-01T00:00:00Z</published><content type="text">${words}</content><author><name>Bench</name><uri>xmpp:bench@example.org</uri></author></entry></item>`;
  return {
    name: `item-${i}`,
    data,
    parsed: { id: i, title: `Post ${i}`, content: words.slice(0, 1200), tags: ['a', 'b'] },
  };
}

function historyAdd(uid: string): StorageRequest {
  return {
    type: 'history.add',
    profile: 'bench',
    uid,
    from: 'bench@example.org/r',
    to: 'peer@example.org',
    messageType: 'chat',
    timestamp: Date.now() / 1000,
    messages: { '': `hello ${uid} with a short body` },
  };
}

/**
 * CPU of this thread so far (µs), from Linux's per-thread counters (10 ms ticks); `undefined`
 * elsewhere. The engine runs on this thread; `process.cpuUsage` also counts the thread pool.
 */
function threadCpuMicros(): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

async function writersFor(
  applier: BatchApplier,
  writers: number,
  seconds: number,
  make: (w: number, i: number) => StorageRequest,
) {
  const driver = createStorageDriver({ engine: applier });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  const threadStart = threadCpuMicros();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t = performance.now();
        ok(await driver.ask(make(w, i)));
        latencies.push(performance.now() - t);
        done++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const threadEnd = threadCpuMicros();
  return {
    /** CPU of the engine's (this) thread per request (µs), when the OS tells it. */
    threadMicros:
      threadStart === undefined || threadEnd === undefined
        ? undefined
        : (threadEnd - threadStart) / done,
    perSecond: done / elapsed,
    /** CPU of this process per request (µs): steadier than rates on a shared machine. */
    cpuMicros: (cpu.user + cpu.system) / done,
    done,
    latencies,
    meanBatch: median(driver.batchSizes),
    batches: driver.batchSizes.length,
  };
}

export async function run(args: string[]): Promise<void> {
  exitWithUsageOnHelp(
    args,
    [
      'usage: npm run bench -- storage [--appends-only] [--full] [--seconds N]',
      '       npm run bench -- storage --backend sqljs,postgres [--items N]',
      '  --appends-only  only the durable history appends and their baselines',
      '  --full          larger fixtures (slower)',
      '  --seconds N     measuring time per append case (default 3)',
      '  --backend LIST  the backends side by side instead (PostgreSQL starts a throwaway cluster)',
    ].join('\n'),
  );
  const full = args.includes('--full');
  const secondsArg = args.indexOf('--seconds');
  const seconds = secondsArg >= 0 ? Number(args[secondsArg + 1]) : 3;
  const backendArg = args.indexOf('--backend');
  if (backendArg >= 0) {
    const kinds = (args[backendArg + 1] ?? '').split(',');
    if (kinds.length === 0 || kinds.some((k) => k !== 'sqljs' && k !== 'postgres')) {
      throw new Error('--backend takes a comma-separated list of sqljs and postgres');
    }
    const itemsArg = args.indexOf('--items');
    const items = itemsArg >= 0 ? Number(args[itemsArg + 1]) : 20_000;
    await runBackends(kinds as ('sqljs' | 'postgres')[], { seconds, items });
    return;
  }
  const rows: BenchRow[] = [];
  const summary: Record<string, number | string> = {};
  const dirs: string[] = [];
  const fresh = () => {
    const d = tmp();
    dirs.push(d);
    return d;
  };

  // 1. Durable history appends with group commit. Baseline (same run): the database kept in a
  // file of sql.js's emulated file system, as before, where each commit copies its pages.
  const rates: Record<number, number> = {};
  let cpu100: number | undefined;
  const appendRun = async (
    writers: number,
    databaseInFile: boolean,
    tag: string,
    options: {
      groupHistoryAdds?: boolean;
      preallocateJournal?: boolean;
      catchUpWhileSyncing?: boolean;
    } = {},
  ) => {
    const engine = await StorageEngine.open({
      dataDir: fresh(),
      snapshotOnClose: false,
      databaseInFile,
      ...options,
    });
    await engine.applyBatch([PROFILE]);
    const overlapStart = engine.stats().whileSyncingMs ?? 0;
    const r = await writersFor(engine, writers, seconds, (w, i) =>
      historyAdd(`${tag}${writers}-${w}-${i}`),
    );
    const overlapped = ((engine.stats().whileSyncingMs ?? 0) - overlapStart) * 1000;
    await engine.close();
    // The thread's CPU minus what ran while the disk synced: what each commit waits for.
    const criticalMicros =
      r.threadMicros === undefined ? undefined : r.threadMicros - overlapped / r.done;
    return { ...r, criticalMicros };
  };
  for (const writers of [1, 10, 100]) {
    const r = await appendRun(writers, false, 'w');
    rates[writers] = r.perSecond;
    if (writers === 100) cpu100 = r.cpuMicros;
    rows.push({
      case: `history append, ${writers} writers (durable)`,
      'ops/s': Math.round(r.perSecond),
      'CPU µs/op': r.cpuMicros,
      'p50 ms': median(r.latencies),
      'p99 ms': percentile(r.latencies, 99),
      'batch p50': r.meanBatch,
    });
  }
  {
    const r = await appendRun(100, true, 'f');
    rows.push({
      case: 'baseline: database in an emulated file, 100 writers',
      'ops/s': Math.round(r.perSecond),
      'CPU µs/op': r.cpuMicros,
      'p50 ms': median(r.latencies),
      'p99 ms': percentile(r.latencies, 99),
      'batch p50': r.meanBatch,
    });
    summary['in memory / emulated file, 100 writers (rows/s)'] = Number(
      ((rates[100] ?? 0) / r.perSecond).toFixed(2),
    );
  }
  // Baseline: the adds of a batch one by one (two statements and a profile lookup each), as
  // before the multi-row insert; the CPU per append is the figure to compare.
  {
    const r = await appendRun(100, false, 'o', { groupHistoryAdds: false });
    rows.push({
      case: 'baseline: history adds one by one, 100 writers',
      'ops/s': Math.round(r.perSecond),
      'CPU µs/op': r.cpuMicros,
      'p50 ms': median(r.latencies),
      'p99 ms': percentile(r.latencies, 99),
      'batch p50': r.meanBatch,
    });
    summary['multi-row / one by one, 100 writers (rows/s)'] = Number(
      ((rates[100] ?? 0) / r.perSecond).toFixed(2),
    );
    summary['multi-row / one by one, 100 writers (CPU µs per append)'] = Number(
      ((cpu100 ?? 0) / r.cpuMicros).toFixed(2),
    );
  }
  // Baseline: the journal grown by each record (each fdatasync then commits a new file size
  // and blocks) and the full-text catch-up run before the record is written, not while it is
  // fdatasync'ed — as before. Measured three times, interleaved with the current engine.
  {
    type Run = { perSecond: number; cpuMicros: number; criticalMicros: number | undefined };
    const now: Run[] = [];
    const before: Run[] = [];
    for (let round = 0; round < 3; round++) {
      now.push(await appendRun(100, false, `a${round}`));
      before.push(
        await appendRun(100, false, `b${round}`, {
          preallocateJournal: false,
          catchUpWhileSyncing: false,
        }),
      );
    }
    const med = (runs: Run[]) => ({
      perSecond: median(runs.map((r) => r.perSecond)),
      cpuMicros: median(runs.map((r) => r.cpuMicros)),
      criticalMicros: runs.every((r) => r.criticalMicros !== undefined)
        ? median(runs.map((r) => r.criticalMicros as number))
        : null,
    });
    const [a, b] = [med(now), med(before)];
    rows.push({
      case: 'history append, 100 writers, median of 3 interleaved',
      'ops/s': Math.round(a.perSecond),
      'CPU µs/op': a.cpuMicros,
      'critical µs/op': a.criticalMicros,
    });
    rows.push({
      case: 'baseline: journal grown per record, catch-up before it, 100 writers',
      'ops/s': Math.round(b.perSecond),
      'CPU µs/op': b.cpuMicros,
      'critical µs/op': b.criticalMicros,
    });
    summary['preallocated journal + overlapped catch-up / before, 100 writers (rows/s)'] = Number(
      (a.perSecond / b.perSecond).toFixed(2),
    );
    summary[
      'preallocated journal + overlapped catch-up / before, 100 writers (CPU µs per append)'
    ] = Number((a.cpuMicros / b.cpuMicros).toFixed(2));
    if (a.criticalMicros !== null && b.criticalMicros !== null) {
      summary[
        'preallocated journal + overlapped catch-up / before, 100 writers (critical-path CPU µs per append)'
      ] = Number((a.criticalMicros / b.criticalMicros).toFixed(2));
    }
  }
  // Baseline: the same writers, but the whole database exported and fsynced after every batch.
  for (const writers of [10, 100]) {
    const engine = await StorageEngine.open({ dataDir: fresh(), snapshotOnClose: false });
    await engine.applyBatch([PROFILE]);
    const naive: BatchApplier = {
      async applyBatch(requests) {
        const outcomes = await engine.applyBatch(requests);
        await engine.snapshotNow();
        return outcomes;
      },
    };
    const r = await writersFor(naive, writers, seconds, (w, i) =>
      historyAdd(`n${writers}-${w}-${i}`),
    );
    rows.push({
      case: `baseline: export per batch, ${writers} writers`,
      'ops/s': Math.round(r.perSecond),
      'CPU µs/op': r.cpuMicros,
      'p50 ms': median(r.latencies),
      'p99 ms': percentile(r.latencies, 99),
      'batch p50': r.meanBatch,
    });
    summary[`group commit / naive export, ${writers} writers`] = Number(
      ((rates[writers] ?? 0) / r.perSecond).toFixed(1),
    );
    await engine.close();
  }
  summary['aim: ≥25k durable rows/s with 100 writers'] =
    (rates[100] ?? 0) >= 25_000 ? 'met' : 'not met';
  if (args.includes('--appends-only')) {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    publish({ name: 'storage', rows, summary });
    return;
  }

  // 2. Pubsub upserts (1.5 KB XML + parsed JSON), 100 writers, building a 20k-item node.
  const pubsubDir = fresh();
  let engine = await StorageEngine.open({ dataDir: pubsubDir, snapshotOnClose: true });
  await engine.applyBatch([PROFILE, { type: 'pubsub.node.set', ...NODE, nodeType: 'microblog' }]);
  {
    const driver = createStorageDriver({ engine });
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: 100 }, async () => {
        while (next < 20_000) {
          const i = next++;
          ok(await driver.ask({ type: 'pubsub.items.upsert', ...NODE, items: [atomEntry(i)] }));
        }
      }),
    );
    const rate = 20_000 / ((performance.now() - started) / 1000);
    rows.push({
      case: 'pubsub upsert 1.5 KB + JSON, 100 writers (durable)',
      'ops/s': Math.round(rate),
      'batch p50': median(driver.batchSizes),
    });
  }

  // 3. Page latency on the 20k-item node.
  const time = async (request: () => StorageRequest) => {
    const samples: number[] = [];
    for (let k = 0; k < 300; k++) {
      const t = performance.now();
      ok((await engine.applyBatch([request()]))[0]);
      samples.push(performance.now() - t);
    }
    return samples;
  };
  const latest = await time(() => ({ type: 'pubsub.items.get', ...NODE, maxItems: 20 }));
  rows.push({
    case: 'latest 20 of 20k-item node',
    'p50 ms': median(latest),
    'p99 ms': percentile(latest, 99),
  });
  const after = await time(() => ({
    type: 'pubsub.items.get',
    ...NODE,
    rsm: { max: 20, after: `item-${Math.floor(Math.random() * 19_000)}` },
  }));
  rows.push({
    case: 'RSM after (max 20) on 20k-item node',
    'p50 ms': median(after),
    'p99 ms': percentile(after, 99),
  });
  const search = await time(() => ({
    type: 'pubsub.items.search',
    query: `word${Math.floor(Math.random() * 997)}`,
    limit: 20,
  }));
  rows.push({
    case: 'FTS search (bm25, limit 20) over 20k items',
    'p50 ms': median(search),
    'p99 ms': percentile(search, 99),
  });

  // 4. Recovery: snapshot (the 20k-item database) + 100k journal records.
  await engine.close();
  engine = await StorageEngine.open({
    dataDir: pubsubDir,
    fs: noSyncFs,
    snapshotOnClose: false,
    snapshot: { maxJournalBytes: 2 ** 40 },
  });
  for (let i = 0; i < 100_000; i++) ok((await engine.applyBatch([historyAdd(`rec-${i}`)]))[0]);
  const journalBytes = engine.health().journalBytes;
  await engine.close();
  const recoveryStarted = performance.now();
  engine = await StorageEngine.open({ dataDir: pubsubDir, snapshotOnClose: false });
  const recoveryMs = performance.now() - recoveryStarted;
  rows.push({
    case: `recovery: snapshot + 100k journal records (${(journalBytes / 2 ** 20).toFixed(0)} MiB journal)`,
    'total ms': recoveryMs,
  });
  await engine.close();

  // 5. Snapshot time and size, and reply latency while a snapshot is written.
  for (const targetMb of full ? [10, 100, 500] : [10, 100]) {
    const d = fresh();
    engine = await StorageEngine.open({
      dataDir: d,
      fs: noSyncFs,
      snapshotOnClose: false,
      snapshot: { maxJournalBytes: 2 ** 40 },
    });
    await engine.applyBatch([PROFILE, { type: 'pubsub.node.set', ...NODE }]);
    const items = Math.ceil((targetMb * 2 ** 20) / 4500);
    for (let i = 0; i < items; i += 500) {
      ok(
        (
          await engine.applyBatch([
            {
              type: 'pubsub.items.upsert',
              ...NODE,
              items: Array.from({ length: Math.min(500, items - i) }, (_, k) => atomEntry(i + k)),
            },
          ])
        )[0],
      );
    }
    await engine.close();
    engine = await StorageEngine.open({ dataDir: d, snapshotOnClose: false });
    const snapshotting = engine.snapshotNow();
    const during = await writersFor(engine, 10, 0.5, (w, i) => ({
      type: 'param.set',
      profile: 'bench',
      category: 'c',
      name: `${w}-${i}`,
      value: 'v',
    }));
    await snapshotting;
    const last = engine.stats().lastSnapshot;
    rows.push({
      case: `snapshot at ${targetMb} MB target`,
      'size MB': (last?.bytes ?? 0) / 2 ** 20,
      'pause ms': last?.pauseMs ?? null,
      'write ms': last?.writeMs ?? null,
      'p99 ms': percentile(during.latencies, 99),
      'max reply ms during snapshot': Math.max(...during.latencies),
    });
    await engine.close();
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  publish({ name: 'storage', rows, summary });
}
