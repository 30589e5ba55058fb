/**
 * `npm run bench -- search [--full] [--items N]`: cache search latency over 100k cached items
 * (1M with `--full`), p50/p99, before and after `pubsub.paths.ensure` declares the indexed
 * paths (`published`, `author.jid`) and the list path (`tags`). Queries go straight to the
 * storage engine (no actor or thread hop), 20 hits each. Libervia's cache search took
 * 25–120 ms for parsed-data searches over 1,000 items (measured on Libervia: 6–190 ms).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FsOps, nodeFsOps } from '../src/storage/fs-ops.js';
import type { Json, StorageOutcome, StorageRequest } from '../src/storage/messages.js';
import { StorageEngine } from '../src/storage/storage-engine.js';
import { type BenchRow, exitWithUsageOnHelp, median, percentile, publish } from './report.js';

/** fdatasync as a no-op: only to build the fixture quickly; nothing durable is measured here. */
const noSyncFs: FsOps = {
  ...nodeFsOps,
  async openFile(path) {
    const file = await nodeFsOps.openFile(path);
    return { ...file, datasync: async () => undefined };
  },
};

const ok = (o: StorageOutcome | undefined) => {
  if (!o?.ok) throw new Error(JSON.stringify(o));
  return o.value;
};

const NODES = 10;
const AUTHORS = 1000;
const TAGS = 500;

function item(i: number): { name: string; data: string; parsed: Json; created: number } {
  const published = new Date((1_700_000_000 + i * 60) * 1000).toISOString();
  const tags = [`t${i % TAGS}`, `t${(i * 7 + 3) % TAGS}`];
  return {
    name: `item-${i}`,
    data: `<entry xmlns="http://www.w3.org/2005/Atom"><title>Post ${i}</title><content>word${i % 997} word${(i * 3) % 997}</content></entry>`,
    parsed: {
      title: `Post ${i}`,
      published,
      author: { jid: `user${i % AUTHORS}@example.org` },
      tags,
    },
    created: 1_700_000_000 + i * 60,
  };
}

type Query = Omit<Extract<StorageRequest, { type: 'pubsub.items.search' }>, 'type'>;

const QUERIES: { case: string; make: (r: number, total: number) => Query }[] = [
  {
    case: 'author.jid == X (1 in 1000)',
    make: (r) => ({
      parsed: [{ path: ['author', 'jid'], op: '==', value: `user${r % AUTHORS}@example.org` }],
    }),
  },
  {
    case: 'published between (1 hour)',
    make: (r, total) => {
      const from = 1_700_000_000 + ((r * 997) % total) * 60;
      const iso = (s: number) => new Date(s * 1000).toISOString();
      return {
        parsed: [{ path: ['published'], op: 'between', value: [iso(from), iso(from + 3600)] }],
      };
    },
  },
  {
    case: 'tags overlap [X]',
    make: (r) => ({ parsed: [{ path: ['tags'], op: 'overlap', value: [`t${r % TAGS}`] }] }),
  },
  {
    case: 'tags ioverlap [X, Y]',
    make: (r) => ({
      parsed: [{ path: ['tags'], op: 'ioverlap', value: [`T${r % TAGS}`, `T${(r + 1) % TAGS}`] }],
    }),
  },
  {
    case: 'order by published desc',
    make: () => ({ orderBy: [{ path: ['published'], order: 'desc' }] }),
  },
  {
    case: 'author.jid == X, order by published',
    make: (r) => ({
      parsed: [{ path: ['author', 'jid'], op: '==', value: `user${r % AUTHORS}@example.org` }],
      orderBy: [{ path: ['published'], order: 'desc' }],
    }),
  },
];

async function measure(
  engine: StorageEngine,
  make: (r: number, total: number) => Query,
  runs: number,
  total: number,
) {
  const times: number[] = [];
  let hits = 0;
  for (let r = 0; r < runs; r++) {
    const request = {
      type: 'pubsub.items.search',
      limit: 20,
      ...make(r * 37 + 11, total),
    } as const;
    const t = performance.now();
    hits += (ok((await engine.applyBatch([request]))[0]) as unknown[]).length;
    times.push(performance.now() - t);
  }
  return { times, hits: hits / runs };
}

export async function run(args: string[]): Promise<void> {
  exitWithUsageOnHelp(
    args,
    'usage: npm run bench -- search [--items N | --full]\n' +
      '  --items N   cached items to search (default 100,000; --full: 1,000,000)\n',
  );
  const itemsArg = args.indexOf('--items');
  const total =
    itemsArg >= 0 ? Number(args[itemsArg + 1]) : args.includes('--full') ? 1_000_000 : 100_000;
  const dir = mkdtempSync(join(tmpdir(), 'aviary-bench-search-'));
  const engine = await StorageEngine.open({
    dataDir: dir,
    fs: noSyncFs,
    snapshotOnClose: false,
    snapshot: { maxJournalBytes: 2 ** 40, maxIntervalMs: 2 ** 40 },
  });
  try {
    ok((await engine.applyBatch([{ type: 'profile.create', name: 'b', jid: 'b@example.org' }]))[0]);
    for (let n = 0; n < NODES; n++) {
      ok(
        (
          await engine.applyBatch([
            {
              type: 'pubsub.node.set',
              profile: 'b',
              service: 'pubsub.example.org',
              node: `n${n}`,
              nodeType: 'blog',
            },
          ])
        )[0],
      );
    }
    const fillStarted = performance.now();
    const perUpsert = 1000;
    for (let start = 0; start < total; start += perUpsert) {
      const items = Array.from({ length: Math.min(perUpsert, total - start) }, (_, k) =>
        item(start + k),
      );
      ok(
        (
          await engine.applyBatch([
            {
              type: 'pubsub.items.upsert',
              profile: 'b',
              service: 'pubsub.example.org',
              node: `n${(start / perUpsert) % NODES}`,
              items,
            },
          ])
        )[0],
      );
    }
    const fillSeconds = (performance.now() - fillStarted) / 1000;
    const rows: BenchRow[] = [];
    const unindexedRuns = total > 200_000 ? 5 : 15;
    for (const q of QUERIES) {
      const { times, hits } = await measure(engine, q.make, unindexedRuns, total);
      rows.push({
        case: q.case,
        paths: 'none',
        runs: times.length,
        hits,
        'p50 ms': median(times),
        'p99 ms': percentile(times, 99),
      });
    }
    const ensureStarted = performance.now();
    ok(
      (
        await engine.applyBatch([
          {
            type: 'pubsub.paths.ensure',
            indexedPaths: [['published'], ['author', 'jid']],
            listPaths: [['tags']],
          },
        ])
      )[0],
    );
    const ensureMs = performance.now() - ensureStarted;
    for (const q of QUERIES) {
      const { times, hits } = await measure(engine, q.make, 200, total);
      rows.push({
        case: q.case,
        paths: 'ensured',
        runs: times.length,
        hits,
        'p50 ms': median(times),
        'p99 ms': percentile(times, 99),
      });
    }
    const speedups: Record<string, string> = {};
    for (const q of QUERIES) {
      const before = rows.find((r) => r.case === q.case && r.paths === 'none')?.[
        'p50 ms'
      ] as number;
      const after = rows.find((r) => r.case === q.case && r.paths === 'ensured')?.[
        'p50 ms'
      ] as number;
      speedups[`p50 speed-up: ${q.case}`] = `${(before / after).toFixed(0)}x`;
    }
    publish({
      name: 'search',
      rows,
      summary: {
        items: total,
        'fill items/s (upserts of 1000, FTS, no fsync)': Math.round(total / fillSeconds),
        'pubsub.paths.ensure ms (2 indexes + 1 list path)': Math.round(ensureMs),
        ...speedups,
        'Libervia (measured)': 'parsed-data search 25-120 ms over 1,000 items',
      },
    });
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
