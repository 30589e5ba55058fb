/**
 * `npm run bench -- parsers [--items 10000] [--repeat 3]`
 *
 * Parses XEP-0277 entries (~1.2 KB each, Libervia-style with XHTML) inline on the main thread and in the Piscina parser
 * pool with 1 and 2 workers at 1, 16 and 128 items per task (values structured-cloned), and at
 * 16 and 128 with `output: 'json'` (JSON text made in the worker). For each run: items/s and the main
 * event loop's delay (perf_hooks.monitorEventLoopDelay, 10 ms resolution) p50/p99/max.
 * Aims: p99 under 20 ms while the pool parses; 2 workers at least 1.6x one worker.
 */
import { availableParallelism, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseMicroblog } from '../src/parsers/microblog.js';
import { ParserPool } from '../src/parsers/parser-pool.js';
import { benchEntry } from '../src/parsers/test-fixtures/atom-entries.js';
import { workerEntry } from '../src/util/worker-entry.js';
import { type BenchRow, median, publish } from './report.js';

interface Measured {
  readonly seconds: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i === -1 ? fallback : Number(args[i + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer`);
  return value;
}

async function measure(work: () => Promise<void>): Promise<Measured> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  // The histogram's first sample only sets its reference time: let it take a few samples
  // before the work starts, or a stall at the very start goes unrecorded.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const started = process.hrtime.bigint();
  await work();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  // One more turn so a stall at the very end is sampled.
  await new Promise((resolve) => setTimeout(resolve, 20));
  histogram.disable();
  const ms = (ns: number) => ns / 1e6;
  return {
    seconds,
    p50: ms(histogram.percentile(50)),
    p99: ms(histogram.percentile(99)),
    max: ms(histogram.max),
  };
}

function row(
  mode: string,
  workers: number | null,
  batch: number | null,
  runs: Measured[],
  items: number,
): BenchRow {
  const itemsPerSecond = median(runs.map((r) => items / r.seconds));
  return {
    mode,
    workers,
    batch,
    'items/s': Math.round(itemsPerSecond),
    'loop p50 ms': median(runs.map((r) => r.p50)),
    'loop p99 ms': median(runs.map((r) => r.p99)),
    'loop max ms': median(runs.map((r) => r.max)),
  };
}

export async function run(args: string[]): Promise<void> {
  if (args.includes('--help')) {
    process.stdout.write('options: --items N (10000) --repeat R (3)\n');
    return;
  }
  const loadAtStart = loadavg()[0] ?? 0;
  const count = option(args, '--items', 10_000);
  const repeat = option(args, '--repeat', 3);
  const items = Array.from({ length: count }, (_, i) => benchEntry(i));
  const parser = {
    module: workerEntry(import.meta.url, '../src/parsers/microblog.js').href,
    export: 'parseMicroblog',
  };
  const rows: BenchRow[] = [];

  // Control: the loop delay of an idle main thread over 2 s, i.e. the machine's noise floor
  // (other processes competing for the cores show up here, not only our own work).
  const idle: Measured[] = [];
  for (let r = 0; r < repeat; r++) {
    idle.push(await measure(() => new Promise((resolve) => setTimeout(resolve, 2_000))));
  }
  rows.push({ ...row('idle (control)', null, null, idle, count), 'items/s': null });

  // Warm up the inline parser's JIT like the workers get warmed up below.
  for (const xml of items.slice(0, 500)) parseMicroblog(xml);

  const inline: Measured[] = [];
  for (let r = 0; r < repeat; r++) {
    inline.push(
      await measure(async () => {
        for (const xml of items) parseMicroblog(xml);
      }),
    );
  }
  rows.push(row('inline', null, null, inline, count));

  const chunked: Measured[] = [];
  for (let r = 0; r < repeat; r++) {
    chunked.push(
      await measure(async () => {
        for (let i = 0; i < items.length; i += 128) {
          for (const xml of items.slice(i, i + 128)) parseMicroblog(xml);
          await new Promise((resolve) => setImmediate(resolve));
        }
      }),
    );
  }
  rows.push(row('inline, yield/128', null, 128, chunked, count));

  const throughput = new Map<string, number>();
  let failures = 0;
  const configs: { output: 'value' | 'json'; workers: number; batch: number }[] = [];
  for (const output of ['value', 'json'] as const) {
    for (const workers of [1, 2]) {
      for (const batch of output === 'value' ? [1, 16, 128] : [16, 128]) {
        configs.push({ output, workers, batch });
      }
    }
  }
  for (const { output, workers, batch } of configs) {
    const pool = new ParserPool({ minThreads: workers, maxThreads: workers, batchSize: batch });
    try {
      await pool.parseBatch(parser, items.slice(0, 500)); // start threads, load, JIT
      const runs: Measured[] = [];
      for (let r = 0; r < repeat; r++) {
        runs.push(
          await measure(async () => {
            const results =
              output === 'json'
                ? await pool.parseBatch(parser, items, { timeoutMs: 60_000, output })
                : await pool.parseBatch(parser, items, { timeoutMs: 60_000 });
            failures += results.filter((x) => !x.ok).length;
          }),
        );
      }
      const result = row(`pool ${output}`, workers, batch, runs, count);
      throughput.set(`${output}/${workers}/${batch}`, result['items/s'] as number);
      rows.push(result);
    } finally {
      await pool.close();
    }
  }

  const poolRows = rows.filter((r) => String(r['mode']).startsWith('pool'));
  const worstPoolP99 = Math.max(...poolRows.map((r) => r['loop p99 ms'] as number));
  const bestPoolP99 = Math.min(...poolRows.map((r) => r['loop p99 ms'] as number));
  const ratio = (output: string, batch: number) =>
    (throughput.get(`${output}/2/${batch}`) ?? Number.NaN) /
    (throughput.get(`${output}/1/${batch}`) ?? Number.NaN);
  const ratios = {
    '2 vs 1 workers, value, batch 1': ratio('value', 1),
    '2 vs 1 workers, value, batch 16': ratio('value', 16),
    '2 vs 1 workers, value, batch 128': ratio('value', 128),
    '2 vs 1 workers, json, batch 16': ratio('json', 16),
    '2 vs 1 workers, json, batch 128': ratio('json', 128),
  };
  const ratiosAt128 = [ratio('value', 128), ratio('json', 128)];
  const busy = loadavg()[0] ?? 0;
  publish({
    name: 'parsers',
    rows,
    summary: {
      items: count,
      repeat,
      'item failures (must be 0)': failures,
      'worst pool loop p99 ms': worstPoolP99,
      'best pool loop p99 ms': bestPoolP99,
      'aim loop p99 < 20 ms while pooled (all configs)': worstPoolP99 < 20,
      ...ratios,
      'aim 2 workers >= 1.6x one at batch 128 (value and json)': ratiosAt128.every((r) => r >= 1.6),
      'inline loop max ms (one stall)':
        rows.find((r) => r['mode'] === 'inline')?.['loop max ms'] ?? null,
      'idle loop p99 ms (noise floor)': rows[0]?.['loop p99 ms'] ?? null,
      'load average (1 min) at start': loadAtStart,
      'load average (1 min) at end': busy,
      note:
        Math.max(loadAtStart, busy) > availableParallelism()
          ? 'the machine was busier than its core count: figures measure contention too'
          : 'machine not oversubscribed',
    },
  });
}
