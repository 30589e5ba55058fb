import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { workerEntry } from '../util/worker-entry.js';
import { ActorSystem } from './actor-system.js';
import type { EchoMessage } from './test-fixtures/echo-actor.js';
import type { SystemEvent } from './types.js';

// Worker actors load compiled JavaScript: `npm test` builds first.
const spec = (args: unknown = {}) => ({
  module: workerEntry(import.meta.url, './test-fixtures/echo-actor.js'),
  export: 'makeEchoActor',
  args,
});

async function waitFor(predicate: () => boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${predicate}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('worker-thread actors', () => {
  it('round-trips tell and ask through a worker with structured-clone messages', async () => {
    const system = new ActorSystem();
    const ref = system.spawnWorker<EchoMessage>('echo', spec({ start: 10 }));
    try {
      const value = { nested: [1, 'two', { three: 3n }], at: new Date(5) };
      expect(await ref.ask((replyTo) => ({ type: 'echo', value, replyTo }))).toEqual(value);
      for (let i = 0; i < 100; i++) ref.tell({ type: 'count' });
      expect(await ref.ask<number>((replyTo) => ({ type: 'total', replyTo }))).toBe(110);
    } finally {
      await system.shutdown();
    }
  });

  it('refuses only the message that cannot be cloned; the rest of its batch still arrives', async () => {
    const system = new ActorSystem();
    const ref = system.spawnWorker<EchoMessage>('echo', spec({ start: 0 }));
    try {
      // Same tick, so one batch: a tell, an ask carrying a function, another tell.
      ref.tell({ type: 'count' });
      const refused = ref
        .ask((replyTo) => ({ type: 'echo', value: { f: () => 1 }, replyTo }))
        .catch((e: unknown) => e);
      ref.tell({ type: 'count' });
      expect(isAviaryError(await refused, 'actor.not-cloneable')).toBe(true);
      expect(await ref.ask<number>((replyTo) => ({ type: 'total', replyTo }))).toBe(2);
      expect(ref.alive).toBe(true);
    } finally {
      await system.shutdown();
    }
  });

  it('brings typed errors back across the thread boundary', async () => {
    const system = new ActorSystem();
    const ref = system.spawnWorker<EchoMessage>('echo', spec());
    try {
      const failure = await ref
        .ask((replyTo) => ({ type: 'fail-typed', replyTo }))
        .catch((e: unknown) => e);
      expect(isAviaryError(failure, 'test.typed')).toBe(true);
      expect((failure as { details: unknown }).details).toEqual({ n: 1 });
    } finally {
      await system.shutdown();
    }
  });

  it('a worker crash fails the asks in flight and supervision restarts it', async () => {
    const system = new ActorSystem();
    const events: SystemEvent[] = [];
    system.inspect((e) => events.push(e));
    const ref = system.spawnWorker<EchoMessage>('echo', spec({ start: 1 }), {
      supervision: { kind: 'restart', maxRestarts: 3, withinMs: 60_000, backoffBaseMs: 10 },
    });
    try {
      expect(await ref.ask<number>((replyTo) => ({ type: 'total', replyTo }))).toBe(1);
      ref.tell({ type: 'count' });
      ref.tell({ type: 'exit' });
      const inFlight = ref.ask<number>((replyTo) => ({ type: 'total', replyTo }));
      await expect(inFlight).rejects.toSatisfy((e) => isAviaryError(e, 'actor.failed'));
      await waitFor(() => events.some((e) => e.type === 'restarted'));
      // The new worker starts from its factory again: in-memory state is gone, the actor serves.
      expect(await ref.ask<number>((replyTo) => ({ type: 'total', replyTo }))).toBe(1);
      expect(events.some((e) => e.type === 'failed')).toBe(true);
    } finally {
      await system.shutdown();
    }
  });

  it('a handler that throws in the worker fails its ask; default supervision stops the actor', async () => {
    const system = new ActorSystem();
    const ref = system.spawnWorker<EchoMessage>('echo', spec());
    try {
      await expect(ref.ask((replyTo) => ({ type: 'throw', replyTo }))).rejects.toSatisfy((e) =>
        isAviaryError(e, 'actor.failed'),
      );
      await waitFor(() => !ref.alive);
      await expect(ref.ask<number>((replyTo) => ({ type: 'total', replyTo }))).rejects.toSatisfy(
        (e) => isAviaryError(e, 'actor.stopped'),
      );
    } finally {
      await system.shutdown();
    }
  });

  it('keeps the mailbox bound across threads', async () => {
    const system = new ActorSystem();
    const ref = system.spawnWorker<EchoMessage>('echo', spec(), { mailbox: { capacity: 5 } });
    try {
      for (let i = 0; i < 5; i++) ref.tell({ type: 'count' });
      expect(() => ref.tell({ type: 'count' })).toThrow(/full/);
      await waitFor(() => ref.mailboxSize === 0);
      expect(await ref.ask<number>((replyTo) => ({ type: 'total', replyTo }))).toBe(5);
    } finally {
      await system.shutdown();
    }
  });
});
