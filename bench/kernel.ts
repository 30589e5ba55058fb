/**
 * `npm run bench -- kernel`: message throughput of the actor kernel against a bare mitt emitter.
 * - tell: messages/s from a producer into one actor on the main thread;
 * - ask (same thread): round trips/s with many asks in flight;
 * - ask (worker thread): round trips/s to an actor in a worker, with and without batching;
 * - mitt: the same message count through `emitter.emit` as the baseline.
 * Aims: tell ≥ 1M/s, same-thread ask ≥ 300k/s, cross-thread ask ≥ 50k/s.
 */
import { ActorSystem } from '../src/actors/actor-system.js';
import type { EchoMessage } from '../src/actors/test-fixtures/echo-actor.js';
import type { ReplyTo } from '../src/actors/types.js';
import { createEmitter } from '../src/util/emitter.js';
import { type BenchRow, median, publish } from './report.js';

type CountMsg = { type: 'inc' } | { type: 'get'; replyTo: ReplyTo<number> };

function parseArgs(args: string[]): { rounds: number; messages: number } {
  if (args.includes('--help')) {
    process.stdout.write('usage: npm run bench -- kernel [--rounds N] [--messages N]\n');
    process.exit(0);
  }
  const get = (flag: string, fallback: number) => {
    const at = args.indexOf(flag);
    return at >= 0 ? Number(args[at + 1]) : fallback;
  };
  return { rounds: get('--rounds', 5), messages: get('--messages', 1_000_000) };
}

async function tellThroughput(messages: number): Promise<number> {
  const system = new ActorSystem();
  let count = 0;
  const ref = system.spawn<CountMsg>(
    'counter',
    () => ({
      receive(m, ctx) {
        if (m.type === 'inc') count++;
        else ctx.reply(m.replyTo, count);
      },
    }),
    { mailbox: { capacity: 10_000 } },
  );
  const start = process.hrtime.bigint();
  const chunk = 5_000;
  for (let sent = 0; sent < messages; sent += chunk) {
    for (let i = 0; i < chunk; i++) ref.tell({ type: 'inc' });
    // Let the actor drain before the next chunk (the mailbox is bounded, as in production).
    await ref.ask<number>((replyTo) => ({ type: 'get', replyTo }));
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (count !== messages) throw new Error(`lost messages: ${count} of ${messages}`);
  await system.shutdown();
  return messages / seconds;
}

async function askThroughput(
  system: ActorSystem,
  ref: import('../src/actors/types.js').ActorRef<EchoMessage>,
  total: number,
  inFlight: number,
): Promise<number> {
  const start = process.hrtime.bigint();
  let done = 0;
  const lane = async () => {
    while (done < total) {
      done++;
      await ref.ask((replyTo) => ({ type: 'echo', value: done, replyTo }), { timeoutMs: 30_000 });
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  void system;
  return total / seconds;
}

function mittThroughput(messages: number): number {
  const emitter = createEmitter<{ inc: number }>();
  let count = 0;
  emitter.on('inc', () => {
    count++;
  });
  const start = process.hrtime.bigint();
  for (let i = 0; i < messages; i++) emitter.emit('inc', i);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (count !== messages) throw new Error('mitt lost events');
  return messages / seconds;
}

export async function run(args: string[]): Promise<void> {
  const { rounds, messages } = parseArgs(args);
  const { makeEchoActor } = await import('../src/actors/test-fixtures/echo-actor.js');
  const { workerEntry } = await import('../src/util/worker-entry.js');
  const samples: Record<string, number[]> = {
    'tell (main thread)': [],
    'ask, same thread (256 in flight)': [],
    'ask, worker thread, batched (256 in flight)': [],
    'ask, worker thread, unbatched (256 in flight)': [],
    'mitt emit (baseline)': [],
  };
  const askCount = Math.max(10_000, Math.floor(messages / 5));
  for (let round = 0; round < rounds; round++) {
    samples['tell (main thread)']?.push(await tellThroughput(messages));
    samples['mitt emit (baseline)']?.push(mittThroughput(messages));

    const local = new ActorSystem();
    const echo = local.spawn<EchoMessage>('echo', () => makeEchoActor(), {
      mailbox: { capacity: 1024 },
    });
    samples['ask, same thread (256 in flight)']?.push(
      await askThroughput(local, echo, askCount, 256),
    );
    await local.shutdown();

    for (const batching of [true, false]) {
      const system = new ActorSystem();
      const ref = system.spawnWorker<EchoMessage>(
        'echo',
        {
          module: workerEntry(import.meta.url, '../src/actors/test-fixtures/echo-actor.js'),
          export: 'makeEchoActor',
          batching,
        },
        { mailbox: { capacity: 1024 } },
      );
      await ref.ask((replyTo) => ({ type: 'echo', value: 0, replyTo }), { timeoutMs: 30_000 });
      const key = batching
        ? 'ask, worker thread, batched (256 in flight)'
        : 'ask, worker thread, unbatched (256 in flight)';
      samples[key]?.push(await askThroughput(system, ref, Math.floor(askCount / 2), 256));
      await system.shutdown();
    }
  }
  const aims: Record<string, number> = {
    'tell (main thread)': 1_000_000,
    'ask, same thread (256 in flight)': 300_000,
    'ask, worker thread, batched (256 in flight)': 50_000,
  };
  const mittMedian = median(samples['mitt emit (baseline)'] ?? []);
  const rows: BenchRow[] = Object.entries(samples).map(([case_, values]) => ({
    case: case_,
    'median msgs/s': Math.round(median(values)),
    'min msgs/s': Math.round(Math.min(...values)),
    'max msgs/s': Math.round(Math.max(...values)),
    'vs mitt': Number((median(values) / mittMedian).toFixed(3)),
    aim: aims[case_] ?? null,
    'aim met': aims[case_] === undefined ? null : median(values) >= (aims[case_] as number),
  }));
  publish({ name: 'kernel', rows, summary: { rounds, messages, 'asks per round': askCount } });
}
