/**
 * `npm run bench -- cache [options]`: the pubsub cache against a local ejabberd (SQL pubsub
 * backend, RSM). See --help. Sections:
 * - Server probe: pages of 100/250/500/1000 items asked one at a time; per page the time to the
 *   answer's first byte (ejabberd's own time), to the parsed answer, and ejabberd's CPU per item.
 * - Sync: `--nodes` XEP-0277 nodes of `--items` items each, synchronised from a fresh cache
 *   each round, one node at a time (the previous way) and all at once (overlapped across
 *   nodes), alternating, so both see the same load. Reported: items/s, Aviary's CPU per item
 *   (all its threads), ejabberd's CPU per item, and per page the answer time, the parse time
 *   and the store time. The baseline is Libervia's backend, 176 items/s: a constant, measured
 *   once on this machine (1,000 items in 5.7 s), since Libervia is not installed here.
 * - Answers: latest-20 and RSM pages from the cache and from ejabberd, through the cache actor.
 * Storage defaults to the real StorageActor in its worker thread, as the runtime runs it.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { benchEntry } from '../src/parsers/test-fixtures/atom-entries.js';
import { createPubsubClient, PubsubError } from '../src/pubsub/index.js';
import { connectClient, startCache, type XmppClient } from '../test/cache/cache-setup.js';
import { startEjabberd } from '../test/helpers/ejabberd.js';
import { erlangCpu, probePages, timedPubsub } from './_cache-probe.js';
import { type BenchRow, median, percentile, publish, stringOption } from './report.js';

/** Libervia's pubsub cache, measured once on this machine (1,000 items in 5.7 s). */
const LIBERVIA_ITEMS_PER_S = 176;

const HELP = `npm run bench -- cache [--nodes 5] [--items 1000] [--rounds 3] [--requests 300]
    [--page-size 1000] [--page-bytes 131072] [--probe 100,250,500,1000] [--storage worker|engine]
    [--mode both|sequential|overlapped]
  --nodes/--items   nodes published and items in each
  --page-size       most items per sync page; --page-bytes: byte budget of a page
  --probe           page sizes of the sequential server probe ('' skips it)
  --mode            sync one node at a time, all at once, or both alternating (default)
`;

const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

async function publishNodes(bob: XmppClient, service: string, nodes: string[], items: number) {
  const pubsub = createPubsubClient({ iq: (req, ms) => bob.iqCaller.request(req, ms) });
  const started = performance.now();
  for (const node of nodes) {
    // ejabberd's SQL backend may answer its first writes with a `wait` error while it creates
    // its schema; an error of type `wait` means "retry after waiting" (RFC 6120 §8.3.2).
    for (let attempt = 1; ; attempt++) {
      try {
        await pubsub.createNode(service, node, { 'pubsub#max_items': 10000 });
        break;
      } catch (error) {
        if (!(error instanceof PubsubError && error.errorType === 'wait') || attempt === 5)
          throw error;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }
  for (let i = 0; i < items; i += 10) {
    await Promise.all(
      nodes.flatMap((node) =>
        Array.from({ length: Math.min(10, items - i) }, (_, k) =>
          pubsub.publish(service, node, [{ id: `item-${i + k}`, payload: benchEntry(i + k) }]),
        ),
      ),
    );
  }
  const s = ((performance.now() - started) / 1000).toFixed(1);
  process.stderr.write(`published ${nodes.length} × ${items} items in ${s} s\n`);
}

interface SyncSample {
  readonly ms: number;
  readonly cpuMs: number;
  readonly serverMs: number;
  readonly items: number;
  readonly iqs: number;
  readonly replyMs: number[];
  readonly parseMs: number[];
  readonly storeMs: number[];
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write(HELP);
    return;
  }
  const nodeCount = Number(stringOption(args, 'nodes', '5'));
  const itemCount = Number(stringOption(args, 'items', '1000'));
  const rounds = Number(stringOption(args, 'rounds', '3'));
  const requests = Number(stringOption(args, 'requests', '300'));
  const pageSize = Number(stringOption(args, 'page-size', '1000'));
  const pageBytes = Number(stringOption(args, 'page-bytes', String(128 * 1024)));
  const probeSizes = stringOption(args, 'probe', '100,250,500,1000').split(',').filter(Boolean);
  const storageKind = stringOption(args, 'storage', 'worker') === 'engine' ? 'engine' : 'worker';
  const modeOption = stringOption(args, 'mode', 'both');
  const modes = (modeOption === 'both' ? ['sequential', 'overlapped'] : [modeOption]) as (
    | 'sequential'
    | 'overlapped'
  )[];
  const loadAtStart = load();
  const ej = await startEjabberd({
    users: [
      { username: 'alice', password: 'secret' },
      { username: 'bob', password: 'secret' },
    ],
    starttls: false,
    logLevel: 'warning',
  });
  const rows: BenchRow[] = [
    {
      metric: 'Libervia backend (constant: 1,000 items in 5.7 s, measured once)',
      'items/s': LIBERVIA_ITEMS_PER_S,
    },
  ];
  const summary: Record<string, string | number> = {};
  const login = { port: ej.c2sPort, domain: ej.domain, password: 'secret' };
  const alice = await connectClient({ ...login, username: 'alice' });
  const bob = await connectClient({ ...login, username: 'bob' });
  const serverCpu = erlangCpu(ej.nodeName);
  const nodes = Array.from({ length: nodeCount }, (_, i) => `bench-${i}`);
  try {
    const aliceJid = alice.jid?.bare().toString() ?? '';
    await publishNodes(bob, ej.pubsubService, nodes, itemCount);
    for (const max of probeSizes) {
      rows.push(await probePages(bob, serverCpu, ej.pubsubService, nodes[0] ?? '', Number(max)));
    }

    const samples = new Map<string, SyncSample[]>(modes.map((m) => [m, []]));
    for (let round = 0; round < rounds; round++) {
      for (const mode of modes) {
        const pubsub = timedPubsub(alice);
        const parseMs: number[] = [];
        const storeMs: number[] = [];
        const c = await startCache({
          pubsub: pubsub.client,
          jid: aliceJid,
          config: { pageSize, pageBytes },
          storage: storageKind,
          observe: (stage, ms) => (stage === 'parse' ? parseMs : storeMs).push(ms),
        });
        try {
          const sync = (node: string) =>
            c.cache.synchronise({ profile: 'alice', service: ej.pubsubService, node });
          const cpu0 = process.cpuUsage();
          const server0 = serverCpu();
          const t0 = performance.now();
          const outcomes = [];
          if (mode === 'sequential') for (const node of nodes) outcomes.push(await sync(node));
          else outcomes.push(...(await Promise.all(nodes.map(sync))));
          const ms = performance.now() - t0;
          const cpu = process.cpuUsage(cpu0);
          for (const outcome of outcomes) {
            if (outcome.state !== 'COMPLETED' || outcome.items !== itemCount) {
              throw new Error(`sync ended ${JSON.stringify(outcome)}`);
            }
          }
          samples.get(mode)?.push({
            ms,
            cpuMs: (cpu.user + cpu.system) / 1000,
            serverMs: serverCpu() - server0,
            items: nodeCount * itemCount,
            iqs: pubsub.iqs(),
            replyMs: pubsub.pageReplyMs,
            parseMs,
            storeMs,
          });
        } finally {
          await c.close();
        }
      }
    }
    for (const [mode, list] of samples) {
      const items = list[0]?.items ?? 0;
      const rate = items / (median(list.map((s) => s.ms)) / 1000);
      const all = (pick: (s: SyncSample) => number[]) => list.flatMap(pick);
      rows.push({
        metric: `sync ${nodeCount} × ${itemCount} items, ${mode === 'sequential' ? 'one node at a time' : 'all nodes at once'}`,
        'items/s': rate,
        'vs Libervia': `${(rate / LIBERVIA_ITEMS_PER_S).toFixed(1)}×`,
        'Aviary CPU ms/item': median(list.map((s) => s.cpuMs / s.items)),
        'server CPU ms/item': median(list.map((s) => s.serverMs / s.items)),
        iqs: list[0]?.iqs ?? 0,
        'answer p50 ms': median(all((s) => s.replyMs)),
        'parse p50 ms': median(all((s) => s.parseMs)),
        'store p50 ms': median(all((s) => s.storeMs)),
      });
      summary[`${mode}ItemsPerS`] = Math.round(rate);
    }
    const seq = summary.sequentialItemsPerS;
    const ovl = summary.overlappedItemsPerS;
    if (typeof seq === 'number' && typeof ovl === 'number') {
      summary.overlappedVsSequential = `${(ovl / seq).toFixed(2)}×`;
    }

    await answerLatency(rows, summary, alice, aliceJid, ej.pubsubService, nodes[0] ?? '', {
      requests,
      pageSize,
      pageBytes,
      storageKind,
    });
    summary.baselineItemsPerS = LIBERVIA_ITEMS_PER_S;
    summary.baseline = 'Libervia backend, a constant measured once on this machine';
    summary.aimItemsPerS = LIBERVIA_ITEMS_PER_S * 10;
    summary.storage = storageKind;
    summary.pageSize = pageSize;
    summary.pageBytes = pageBytes;
    summary.loadAverage = `${loadAtStart} at start, ${load()} at end`;
    publish({ name: 'cache', rows, summary });
  } finally {
    await alice.stop().catch(() => {});
    await bob.stop().catch(() => {});
    await ej.stop();
  }
}

/** Latest-20 and RSM pages of 20 from the cache and from ejabberd, through the cache actor. */
async function answerLatency(
  rows: BenchRow[],
  summary: Record<string, string | number>,
  alice: XmppClient,
  aliceJid: string,
  service: string,
  node: string,
  o: { requests: number; pageSize: number; pageBytes: number; storageKind: 'worker' | 'engine' },
): Promise<void> {
  const c = await startCache({
    pubsub: timedPubsub(alice).client,
    jid: aliceJid,
    config: { pageSize: o.pageSize, pageBytes: o.pageBytes },
    storage: o.storageKind,
  });
  try {
    const target = { profile: 'alice', service, node };
    await c.cache.synchronise(target);
    for (const useCache of [true, false]) {
      const source = useCache ? 'cache' : 'ejabberd';
      const latest: number[] = [];
      for (let i = 0; i < o.requests; i++) {
        const t0 = performance.now();
        const page = await c.cache.getItems(target, { maxItems: 20, useCache });
        latest.push(performance.now() - t0);
        if (page.items.length !== 20) throw new Error('latest-20 returned a short page');
      }
      const pages: number[] = [];
      let after: string | undefined;
      for (let i = 0; i < o.requests; i++) {
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
}
