/**
 * Runs inside a worker thread: loads the behaviour module named in `workerData`, spawns it in a
 * thread-local ActorSystem, and bridges the parent port to it (messages in, replies/acks out).
 * A failure of the behaviour ends the worker; the main thread's WorkerCell supervises.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { serializeError } from '../errors.js';
import { ActorSystem } from './actor-system.js';
import type { Behavior, KernelLogger } from './types.js';
import type { FromWorker, ToWorker, WireReply, WorkerBootData } from './worker-protocol.js';

const port = parentPort;
if (port === null) throw new Error('worker-host must run in a worker thread');
const boot = workerData as WorkerBootData;

const post = (message: FromWorker) => port.postMessage(message);
const log: KernelLogger = {
  debug: (fields, msg) => post({ t: 'log', level: 'debug', fields: safeFields(fields), msg }),
  info: (fields, msg) => post({ t: 'log', level: 'info', fields: safeFields(fields), msg }),
  warn: (fields, msg) => post({ t: 'log', level: 'warn', fields: safeFields(fields), msg }),
  error: (fields, msg) => post({ t: 'log', level: 'error', fields: safeFields(fields), msg }),
};

function safeFields(fields: object): object {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value instanceof Error ? serializeError(value) : value;
  }
  return out;
}

// Replies and acks are coalesced until the current drain turn ends (setImmediate runs after the
// microtasks of the turn): one postMessage carries many answers.
let replies: WireReply[] = [];
let acked = 0;
let flushScheduled = false;
function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  setImmediate(() => {
    flushScheduled = false;
    if (replies.length > 0) {
      post({ t: 'replies', items: replies });
      replies = [];
    }
    if (acked > 0) {
      post({ t: 'ack', n: acked });
      acked = 0;
    }
  });
}

const system = new ActorSystem({
  log,
  name: boot.actorId,
  onForeignReply(askId, ok, valueOrError) {
    replies.push(
      ok ? { askId, ok, value: valueOrError } : { askId, ok, error: serializeError(valueOrError) },
    );
    scheduleFlush();
  },
});

const imported = (await import(boot.module)) as Record<string, unknown>;
const make = imported[boot.export];
if (typeof make !== 'function') {
  throw new Error(`${boot.module} has no export "${boot.export}" that makes a behaviour`);
}
const factory = make as (args: unknown) => Behavior<unknown> | Promise<Behavior<unknown>>;

/** Counts handled messages so the main thread can keep the mailbox bound across threads. */
function counted(behavior: Behavior<unknown>): Behavior<unknown> {
  const wrapped: Behavior<unknown> = {
    ...behavior,
    receive(message, ctx) {
      acked++;
      scheduleFlush();
      return behavior.receive(message, ctx);
    },
  };
  if (behavior.receiveBatch) {
    const batch = behavior.receiveBatch.bind(behavior);
    wrapped.receiveBatch = (messages, ctx) => {
      acked += messages.length;
      scheduleFlush();
      return batch(messages, ctx);
    };
  }
  return wrapped;
}

// The factory may be async (open files, load a database) before the actor takes messages.
const behavior = counted(await factory(boot.args));
const actor = system.spawn(boot.actorId, () => behavior, {
  mailbox: { capacity: boot.mailbox.capacity ?? 1000, overflow: 'reject' },
  maxBatch: boot.maxBatch,
});
system.inspect((event) => {
  if (event.type === 'failed') post({ t: 'failed', error: serializeError(event.error) });
});

port.on('message', (message: ToWorker) => {
  if (message.t === 'msgs') {
    for (const m of message.msgs) actor.tell(m);
  } else if (message.t === 'stop') {
    void actor.stop({ mode: message.mode }).then(() => {
      post({ t: 'stopped' });
      port.close();
    });
  }
});
post({ t: 'ready' });
