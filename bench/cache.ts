/**
 * `npm run bench -- cache [--rounds N] [--requests N] [--page-size N] [--storage engine|worker]`:
 * the pubsub cache against a local ejabberd (SQL pubsub backend, RSM).
 * - Time to synchronise a 1,000- and a 5,000-item XEP-0277 node (analysis, subscribe, RSM
 *   pages, parsing in the parser pool, storing), from a fresh cache each round. Baseline: the
 *   Libervia backend, ~176 items/s (1,000 items in 5.7 s, measured on this machine); aim ≥ 10×.
 * - Answer latency p50/p99 on the 5,000-item node for latest-20 (max_items) and RSM pages
 *   (after-key paging through the node), from the cache and the same request sent to ejabberd
 *   (`use_cache: false`), both through the cache actor.
 * Storage defaults to the real StorageActor in its worker thread, as the runtime runs it.
 */
import { performance } from 'node:perf_hooks';
import { benchEntry } from '../src/parsers/test-fixtures/atom-entries.js';
import { createPubsubClient } from '../src/pubsub/index.js';
import { connectClient, countingPubsub, startCache } from '../test/cache/cache-setup.js';
import { startEjabberd } from '../test/helpers/ejabberd.js';
import { type BenchRow, median, percentile, publish } from './report.js';

const LIBERVIA_ITEMS_PER_S = 176;

function option(args: string[], name: string, fallback: string): string {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : (args[i + 1] ?? fallback);
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(
      'npm run bench -- cache [--rounds 3] [--requests 300] [--page-size 1000] [--storage worker|engine]\n',
    );
    return;
  }
  const rounds = Number(option(args, 'rounds', '3'));
  const requests = Number(option(args, 'requests', '300'));
  const pageSize = Number(option(args, 'page-size', '1000'));
  const storageKind = option(args, 'storage', 'worker') === 'engine' ? 'engine' : 'worker';
  const ej = await startEjabberd({
    users: [
      { username: 'alice', password: 'secret' },
      { username: 'bob', password: 'secret' },
    ],
    starttls: false,
    logLevel: 'warning',
  });
  const rows: BenchRow[] = [];
  const summary: Record<string, string | number> = {};
  const login = { port: ej.c2sPort, domain: ej.domain, password: 'secret' };
  const alice = await connectClient({ ...login, username: 'alice' });
  const bob = await connectClient({ ...login, username: 'bob' });
  try {
    const aliceJid = alice.jid?.bare().toString() ?? '';
    const bobPubsub = createPubsubClient({ iq: (req, ms) => bob.iqCaller.request(req, ms) });
    for (const size of [1000, 5000]) {
      const node = `bench-${size}`;
      await bobPubsub.createNode(ej.pubsubService, node, { 'pubsub#max_items': 10000 });
      const started = performance.now();
      for (let i = 0; i < size; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, size - i) }, (_, k) =>
            bobPubsub.publish(ej.pubsubService, node, [
              { id: `item-${i + k}`, payload: benchEntry(i + k) },
            ]),
          ),
        );
      }
      process.stderr.write(
        `published ${size} items in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
      );
    }

    for (const size of [1000, 5000]) {
      const node = `bench-${size}`;
      const times: number[] = [];
      let iqs = 0;
      for (let round = 0; round < rounds; round++) {
        const pubsub = countingPubsub(alice);
        const c = await startCache({
          pubsub: pubsub.client,
          jid: aliceJid,
          config: { pageSize },
          storage: storageKind,
        });
        try {
          const t0 = performance.now();
          const outcome = await c.cache.synchronise({
            profile: 'alice',
            service: ej.pubsubService,
            node,
          });
          times.push(performance.now() - t0);
          if (outcome.state !== 'COMPLETED' || outcome.items !== size) {
            throw new Error(`sync of ${node} ended ${JSON.stringify(outcome)}`);
          }
          iqs = pubsub.counter.iqs;
        } finally {
          await c.close();
        }
      }
      const ms = median(times);
      const rate = size / (ms / 1000);
      rows.push({
        metric: `sync ${size.toLocaleString('en-US')} items`,
        'median ms': ms,
        'min ms': Math.min(...times),
        'items/s': rate,
        'vs Libervia': `${(rate / LIBERVIA_ITEMS_PER_S).toFixed(1)}×`,
        iqs,
      });
      summary[`sync${size}ItemsPerS`] = Math.round(rate);
    }

    const pubsub = countingPubsub(alice);
    const c = await startCache({
      pubsub: pubsub.client,
      jid: aliceJid,
      config: { pageSize },
      storage: storageKind,
    });
    try {
      const target = { profile: 'alice', service: ej.pubsubService, node: 'bench-5000' };
      await c.cache.synchronise(target);
      for (const useCache of [true, false]) {
        const source = useCache ? 'cache' : 'ejabberd';
        const latest: number[] = [];
        for (let i = 0; i < requests; i++) {
          const t0 = performance.now();
          const page = await c.cache.getItems(target, { maxItems: 20, useCache });
          latest.push(performance.now() - t0);
          if (page.items.length !== 20) throw new Error('latest-20 returned a short page');
        }
        const pages: number[] = [];
        let after: string | undefined;
        for (let i = 0; i < requests; i++) {
          const t0 = performance.now();
          const page = await c.cache.getItems(target, { rsm: { max: 20, after }, useCache });
          pages.push(performance.now() - t0);
          after = page.items.length < 20 ? undefined : page.rsm?.last;
        }
        for (const [what, values] of [
          ['latest 20 (max_items)', latest],
          ['RSM page of 20 (after)', pages],
        ] as const) {
          rows.push({
            metric: `${what} from ${source}`,
            'p50 ms': percentile(values, 50),
            'p99 ms': percentile(values, 99),
            requests: values.length,
          });
          summary[
            `${useCache ? 'cache' : 'server'}${what.startsWith('latest') ? 'Latest' : 'Rsm'}P50Ms`
          ] = Number(percentile(values, 50).toFixed(3));
        }
      }
    } finally {
      await c.close();
    }
    summary.baselineItemsPerS = LIBERVIA_ITEMS_PER_S;
    summary.aimItemsPerS = LIBERVIA_ITEMS_PER_S * 10;
    summary.storage = storageKind;
    summary.pageSize = pageSize;
    publish({ name: 'cache', rows, summary });
  } finally {
    await alice.stop().catch(() => {});
    await bob.stop().catch(() => {});
    await ej.stop();
  }
}
