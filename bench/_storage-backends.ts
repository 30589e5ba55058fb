/**
 * `npm run bench -- storage --backend sqljs,postgres [--seconds N] [--items N]`: the storage
 * backends side by side in one run, through the same `StorageBackend` interface and the same
 * group-commit driver (writers await their previous ack; whatever is queued goes in the next
 * batch). Durable on both: sql.js fdatasyncs its journal, PostgreSQL commits with
 * `synchronous_commit = on` on a cluster with `fsync = on` (started here on loopback, or
 * AVIARY_TEST_PG_URL), the server's CPU included on this machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type BackendKind,
  openStorageBackend,
  type StorageBackend,
} from '../src/storage/backend.js';
import type { Json, StorageOutcome, StorageRequest } from '../src/storage/messages.js';
import { type PostgresFixture, startPostgres } from '../test/helpers/postgres.js';
import { createStorageDriver } from '../test/helpers/storage-driver.js';
import { type BenchRow, median, percentile, publish } from './report.js';

const PROFILE: StorageRequest = { type: 'profile.create', name: 'bench', jid: 'bench@example.org' };
const NODE = { profile: 'bench', service: 'pubsub.example.org', node: 'urn:xmpp:microblog:0' };
const ok = (o: StorageOutcome | undefined) => {
  if (!o?.ok) throw new Error(JSON.stringify(o));
  return o.value;
};

function entry(i: number): { name: string; data: string; parsed: Json } {
  const words = Array.from({ length: 160 }, (_, k) => `word${(i * 7 + k) % 997}`).join(' ');
  return {
    name: `item-${i}`,
    data: `<item id="item-${i}"><entry xmlns="http://www.w3.org/2005/Atom"><title>Post ${i}</title><content type="text">${words}</content></entry></item>`,
    parsed: {
      id: i,
      bucket: i % 100,
      title: `Post ${i}`,
      tags: [`t${i % 50}`, `t${(i + 7) % 50}`],
    },
  };
}

const historyAdd = (uid: string): StorageRequest => ({
  type: 'history.add',
  profile: 'bench',
  uid,
  from: 'bench@example.org/r',
  to: 'peer@example.org',
  messageType: 'chat',
  timestamp: Date.now() / 1000,
  messages: { '': `hello ${uid} with a short body` },
});

async function appends(backend: StorageBackend, writers: number, seconds: number, tag: string) {
  const driver = createStorageDriver({ engine: backend });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t = performance.now();
        ok(await driver.ask(historyAdd(`${tag}-${w}-${i}`)));
        latencies.push(performance.now() - t);
        done++;
      }
    }),
  );
  return {
    perSecond: done / ((performance.now() - started) / 1000),
    latencies,
    batch: median(driver.batchSizes),
  };
}

async function timed(backend: StorageBackend, request: () => StorageRequest, n = 200) {
  const samples: number[] = [];
  for (let k = 0; k < n; k++) {
    const t = performance.now();
    ok((await backend.applyBatch([request()]))[0]);
    samples.push(performance.now() - t);
  }
  return samples;
}

/** Runs every case on one backend; rows are labelled with the backend. */
async function measure(
  kind: BackendKind,
  open: () => Promise<StorageBackend>,
  seconds: number,
  items: number,
): Promise<{ rows: BenchRow[]; rates: Record<number, number> }> {
  const rows: BenchRow[] = [];
  const rates: Record<number, number> = {};
  for (const writers of [1, 10, 100]) {
    const backend = await open();
    await backend.applyBatch([PROFILE]);
    const r = await appends(backend, writers, seconds, `w${writers}`);
    rates[writers] = r.perSecond;
    rows.push({
      backend: kind,
      case: `history append, ${writers} writers (durable)`,
      'ops/s': Math.round(r.perSecond),
      'p50 ms': median(r.latencies),
      'p99 ms': percentile(r.latencies, 99),
      'batch p50': r.batch,
    });
    await backend.close();
  }
  const backend = await open();
  await backend.applyBatch([PROFILE, { type: 'pubsub.node.set', ...NODE, nodeType: 'microblog' }]);
  ok(
    (
      await backend.applyBatch([
        { type: 'pubsub.paths.ensure', indexedPaths: [['id'], ['bucket']], listPaths: [['tags']] },
      ])
    )[0],
  );
  const driver = createStorageDriver({ engine: backend });
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 100 }, async () => {
      while (next < items) {
        const i = next++;
        ok(await driver.ask({ type: 'pubsub.items.upsert', ...NODE, items: [entry(i)] }));
      }
    }),
  );
  rows.push({
    backend: kind,
    case: `pubsub upsert ~1.5 KB + JSON, 100 writers, ${items} items (durable)`,
    'ops/s': Math.round(items / ((performance.now() - started) / 1000)),
    'batch p50': median(driver.batchSizes),
  });
  const cases: [string, () => StorageRequest][] = [
    [
      `latest 20 of ${items}-item node`,
      () => ({ type: 'pubsub.items.get', ...NODE, maxItems: 20 }),
    ],
    [
      `RSM after (max 20) on ${items}-item node`,
      () => ({
        type: 'pubsub.items.get',
        ...NODE,
        rsm: { max: 20, after: `item-${Math.floor(Math.random() * (items - 100))}` },
      }),
    ],
    [
      `full-text search, limit 20, over ${items} items`,
      () => ({
        type: 'pubsub.items.search',
        query: `word${Math.floor(Math.random() * 997)}`,
        limit: 20,
      }),
    ],
    [
      `parsed search: indexed eq (bucket), limit 20, ${items} items`,
      () => ({
        type: 'pubsub.items.search',
        parsed: [{ path: ['bucket'], op: 'eq', value: Math.floor(Math.random() * 100) }],
        limit: 20,
      }),
    ],
    [
      `parsed search: indexed range (id), ${items} items`,
      () => {
        const low = Math.floor(Math.random() * (items - 50));
        return {
          type: 'pubsub.items.search',
          parsed: [{ path: ['id'], op: 'between', value: [low, low + 20] }],
        };
      },
    ],
    [
      `parsed search: list overlap (tags), limit 20, ${items} items`,
      () => ({
        type: 'pubsub.items.search',
        parsed: [{ path: ['tags'], op: 'overlap', value: [`t${Math.floor(Math.random() * 50)}`] }],
        limit: 20,
      }),
    ],
  ];
  for (const [name, request] of cases) {
    const samples = await timed(backend, request);
    rows.push({
      backend: kind,
      case: name,
      'p50 ms': median(samples),
      'p99 ms': percentile(samples, 99),
    });
  }
  await backend.close();
  return { rows, rates };
}

export async function runBackends(
  kinds: readonly BackendKind[],
  options: { seconds: number; items: number },
): Promise<void> {
  const rows: BenchRow[] = [];
  const summary: Record<string, number | string> = {};
  const dirs: string[] = [];
  const rates: Partial<Record<BackendKind, Record<number, number>>> = {};
  let server: PostgresFixture | undefined;
  try {
    for (const kind of kinds) {
      if (kind === 'postgres') server = await startPostgres({ durable: true });
      const open = async () => {
        const dataDir = mkdtempSync(join(tmpdir(), 'aviary-bench-backends-'));
        dirs.push(dataDir);
        const url = kind === 'postgres' ? await server?.createDatabase() : undefined;
        return openStorageBackend({ dataDir, url, snapshotOnClose: false });
      };
      const result = await measure(kind, open, options.seconds, options.items);
      rows.push(...result.rows);
      rates[kind] = result.rates;
    }
  } finally {
    await server?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
  for (const writers of [1, 10, 100]) {
    const pg = rates.postgres?.[writers];
    const lite = rates.sqljs?.[writers];
    if (pg !== undefined && lite !== undefined) {
      summary[`postgres / sqljs durable appends, ${writers} writers`] = Number(
        (pg / lite).toFixed(2),
      );
    }
  }
  if (rates.postgres?.[100] !== undefined) {
    summary['aim: ≥30k durable rows/s on PostgreSQL with 100 writers'] =
      rates.postgres[100] >= 30_000 ? 'met' : `not met (${Math.round(rates.postgres[100])})`;
  }
  publish({ name: 'storage-backends', rows, summary });
}
