import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { flushMicrotasks, SimulatedClock } from '../util/clock.js';
import {
  ActorStoppedError,
  AskAbortedError,
  AskTimeoutError,
  MailboxFullError,
} from './actor-errors.js';
import { ActorSystem } from './actor-system.js';
import type { ChildEvent, ReplyTo, SystemEvent } from './types.js';

type Msg =
  | { type: 'push'; value: number }
  | { type: 'slow'; value: number; ms: number }
  | { type: 'get'; replyTo: ReplyTo<number[]> }
  | { type: 'boom' };

function recorder(clock?: SimulatedClock) {
  const system = new ActorSystem(clock ? { clock } : {});
  const events: SystemEvent[] = [];
  system.inspect((e) => events.push(e));
  return { system, events };
}

const collector = () => () => {
  const seen: number[] = [];
  return {
    async receive(m: Msg, ctx: import('./types.js').ActorContext<Msg>) {
      if (m.type === 'push') seen.push(m.value);
      else if (m.type === 'slow') {
        await new Promise((r) => setTimeout(r, m.ms));
        seen.push(m.value);
      } else if (m.type === 'get') ctx.reply(m.replyTo, [...seen]);
      else throw new Error('boom');
    },
  };
};

describe('ActorSystem: ordering and ask', () => {
  it('handles messages one at a time, in order, even with async handlers', async () => {
    const { system } = recorder();
    const ref = system.spawn('c', collector());
    ref.tell({ type: 'slow', value: 1, ms: 20 });
    ref.tell({ type: 'push', value: 2 });
    ref.tell({ type: 'slow', value: 3, ms: 5 });
    ref.tell({ type: 'push', value: 4 });
    const seen = await ref.ask<number[]>((replyTo) => ({ type: 'get', replyTo }));
    expect(seen).toEqual([1, 2, 3, 4]);
  });

  it('times out an ask with the injected clock', async () => {
    const clock = new SimulatedClock();
    const { system } = recorder(clock);
    const ref = system.spawn('silent', () => ({ receive() {} }));
    const answer = ref.ask<number>((replyTo) => ({ type: 'get', replyTo }), { timeoutMs: 100 });
    const settled = expect(answer).rejects.toBeInstanceOf(AskTimeoutError);
    await clock.advance(99);
    expect(system.pendingAsks).toBe(1);
    await clock.advance(1);
    await settled;
    expect(system.pendingAsks).toBe(0);
  });

  it('aborts an ask through its AbortSignal, and refuses an already aborted one', async () => {
    const { system } = recorder();
    const ref = system.spawn('silent', () => ({ receive() {} }));
    const controller = new AbortController();
    const answer = ref.ask<number>((replyTo) => ({ type: 'get', replyTo }), {
      signal: controller.signal,
    });
    controller.abort(new Error('user gave up'));
    await expect(answer).rejects.toBeInstanceOf(AskAbortedError);
    await expect(
      ref.ask((replyTo) => ({ type: 'get', replyTo }), { signal: controller.signal }),
    ).rejects.toBeInstanceOf(AskAbortedError);
    expect(system.pendingAsks).toBe(0);
  });

  it('fails the ask of a message whose handler throws', async () => {
    const { system } = recorder();
    const ref = system.spawn(
      'thrower',
      () => ({
        receive(_m: { replyTo: ReplyTo<number> }) {
          throw new Error('handler broke');
        },
      }),
      { supervision: { kind: 'resume' } },
    );
    await expect(ref.ask<number>((replyTo) => ({ replyTo }))).rejects.toSatisfy((e) =>
      isAviaryError(e, 'actor.failed'),
    );
  });
});

describe('ActorSystem: turns that finish synchronously and turns that wait', () => {
  it('keeps the mailbox order across both, and a rejected turn fails only its own ask', async () => {
    const { system } = recorder();
    const seen: string[] = [];
    type Msg =
      | { type: 'sync'; n: number }
      | { type: 'async'; n: number }
      | { type: 'reject'; replyTo: ReplyTo<number> }
      | { type: 'get'; replyTo: ReplyTo<string[]> };
    const ref = system.spawn<Msg>(
      'mixed',
      () => ({
        receive(m, ctx) {
          if (m.type === 'sync') seen.push(`s${m.n}`);
          else if (m.type === 'get') ctx.reply(m.replyTo, [...seen]);
          else if (m.type === 'async')
            return new Promise<void>((resolve) => setImmediate(resolve)).then(() => {
              seen.push(`a${m.n}`);
            });
          else return Promise.reject(new Error('turn broke'));
        },
      }),
      { supervision: { kind: 'resume' } },
    );
    ref.tell({ type: 'sync', n: 1 });
    ref.tell({ type: 'async', n: 2 });
    ref.tell({ type: 'sync', n: 3 });
    const rejected = ref.ask<number>((replyTo) => ({ type: 'reject', replyTo }));
    ref.tell({ type: 'async', n: 4 });
    ref.tell({ type: 'sync', n: 5 });
    await expect(rejected).rejects.toSatisfy((e) => isAviaryError(e, 'actor.failed'));
    expect(await ref.ask<string[]>((replyTo) => ({ type: 'get', replyTo }))).toEqual([
      's1',
      'a2',
      's3',
      'a4',
      's5',
    ]);
  });
});

describe('ActorSystem: bounded mailboxes', () => {
  it('reject: the sender gets MailboxFullError and the drop is inspected', async () => {
    const { system, events } = recorder();
    const ref = system.spawn('small', collector(), {
      mailbox: { capacity: 2, overflow: 'reject' },
    });
    ref.tell({ type: 'push', value: 1 });
    ref.tell({ type: 'push', value: 2 });
    expect(() => ref.tell({ type: 'push', value: 3 })).toThrow(MailboxFullError);
    expect(ref.mailboxSize).toBe(2);
    expect(events.filter((e) => e.type === 'message-dropped')).toHaveLength(1);
    // An ask is a message too: it is refused while the mailbox is full.
    await expect(ref.ask<number[]>((replyTo) => ({ type: 'get', replyTo }))).rejects.toBeInstanceOf(
      MailboxFullError,
    );
    await flushMicrotasks();
    const seen = await ref.ask<number[]>((replyTo) => ({ type: 'get', replyTo }));
    expect(seen).toEqual([1, 2]);
  });

  it('drop-oldest: the oldest message goes to dead letters, the newest is kept', async () => {
    const { system, events } = recorder();
    const ref = system.spawn('telemetry', collector(), {
      mailbox: { capacity: 2, overflow: 'drop-oldest' },
    });
    for (const value of [1, 2, 3, 4]) ref.tell({ type: 'push', value });
    expect(ref.mailboxSize).toBe(2);
    await flushMicrotasks();
    const seen = await ref.ask<number[]>((replyTo) => ({ type: 'get', replyTo }));
    expect(seen).toEqual([3, 4]);
    expect(system.deadLetterCount).toBe(2);
    const dropped = events.filter((e) => e.type === 'message-dropped');
    expect(dropped.map((e) => (e as { message: { value: number } }).message.value)).toEqual([1, 2]);
  });
});

describe('ActorSystem: dead letters and lifecycle', () => {
  it('delivers to dead letters after stop and fails asks to a stopped actor at once', async () => {
    const { system, events } = recorder();
    const ref = system.spawn('gone', collector());
    await ref.stop();
    expect(ref.alive).toBe(false);
    ref.tell({ type: 'push', value: 1 });
    expect(system.deadLetterCount).toBe(1);
    await expect(ref.ask<number[]>((replyTo) => ({ type: 'get', replyTo }))).rejects.toBeInstanceOf(
      ActorStoppedError,
    );
    expect(events.some((e) => e.type === 'dead-letter')).toBe(true);
  });

  it('graceful stop (drain) handles everything queued before stopping', async () => {
    const { system } = recorder();
    const handled: number[] = [];
    const ref = system.spawn('drainer', () => ({
      async receive(m: { value: number }) {
        await new Promise((r) => setTimeout(r, 1));
        handled.push(m.value);
      },
    }));
    for (let i = 0; i < 5; i++) ref.tell({ value: i });
    await ref.stop({ mode: 'drain' });
    expect(handled).toEqual([0, 1, 2, 3, 4]);
    expect(system.deadLetterCount).toBe(0);
  });

  it('stop (reject) hands queued messages to dead letters and fails their asks', async () => {
    const { system } = recorder();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const ref = system.spawn('rejecter', () => ({
      async receive(
        m: { type: string; replyTo?: ReplyTo<number> },
        ctx: import('./types.js').ActorContext<unknown>,
      ) {
        if (m.type === 'block') await gate;
        if (m.replyTo) ctx.reply(m.replyTo, 1);
      },
    }));
    ref.tell({ type: 'block' });
    await flushMicrotasks();
    const queuedAsk = ref.ask<number>((replyTo) => ({ type: 'x', replyTo }));
    ref.tell({ type: 'y' });
    const stopping = ref.stop({ mode: 'reject' });
    await expect(queuedAsk).rejects.toBeInstanceOf(ActorStoppedError);
    release();
    await stopping;
    expect(system.deadLetterCount).toBe(2);
  });

  it('shutdown stops children before their parents', async () => {
    const { system, events } = recorder();
    const order: string[] = [];
    const parent = system.spawn('parent', () => ({
      started(ctx: import('./types.js').ActorContext<unknown>) {
        ctx.spawn('child', () => ({ receive() {}, stopped: () => void order.push('child') }));
      },
      receive() {},
      stopped: () => void order.push('parent'),
    }));
    await flushMicrotasks();
    expect(system.actorIds()).toHaveLength(2);
    await system.shutdown();
    expect(order).toEqual(['child', 'parent']);
    expect(parent.alive).toBe(false);
    const stops = events.filter((e) => e.type === 'stopped').map((e) => e.actorId);
    expect(stops[0]).toMatch(/^child#/);
    expect(stops[1]).toMatch(/^parent#/);
  });
});

describe('ActorSystem: supervision', () => {
  it('stop (default): a failing child stops and its parent is told', async () => {
    const { system } = recorder();
    const notices: ChildEvent[] = [];
    let child!: import('./types.js').ActorRef<Msg>;
    system.spawn('parent', () => ({
      started(ctx: import('./types.js').ActorContext<unknown>) {
        child = ctx.spawn('child', collector());
      },
      receive() {},
      childEvent: (e: ChildEvent) => void notices.push(e),
    }));
    await flushMicrotasks();
    child.tell({ type: 'boom' });
    await flushMicrotasks(10);
    expect(child.alive).toBe(false);
    expect(notices.map((n) => n.type)).toEqual(['child-failed', 'child-stopped']);
    expect(notices[0]).toMatchObject({ willRestart: false });
  });

  it('resume: keeps state and goes on with the next message', async () => {
    const { system } = recorder();
    const ref = system.spawn('resumer', collector(), { supervision: { kind: 'resume' } });
    ref.tell({ type: 'push', value: 1 });
    ref.tell({ type: 'boom' });
    ref.tell({ type: 'push', value: 2 });
    expect(await ref.ask<number[]>((replyTo) => ({ type: 'get', replyTo }))).toEqual([1, 2]);
  });

  it('restart: fresh state after exponential backoff, stopped for good past the budget', async () => {
    const clock = new SimulatedClock();
    const { system, events } = recorder(clock);
    let made = 0;
    const ref = system.spawn(
      'restarter',
      () => {
        made++;
        return collector()();
      },
      {
        supervision: {
          kind: 'restart',
          maxRestarts: 2,
          withinMs: 10_000,
          backoffBaseMs: 100,
          backoffMaxMs: 1000,
        },
      },
    );
    ref.tell({ type: 'push', value: 1 });
    ref.tell({ type: 'boom' });
    ref.tell({ type: 'push', value: 2 });
    await flushMicrotasks();
    expect(made).toBe(1);
    await clock.advance(99);
    expect(made).toBe(1); // still backing off; the queued message waits
    await clock.advance(1);
    expect(made).toBe(2);
    const answer = ref.ask<number[]>((replyTo) => ({ type: 'get', replyTo }));
    await flushMicrotasks();
    expect(await answer).toEqual([2]); // state was reset; the queued message survived
    ref.tell({ type: 'boom' });
    await clock.advance(199);
    expect(made).toBe(2);
    await clock.advance(1); // second delay doubles
    expect(made).toBe(3);
    ref.tell({ type: 'boom' }); // third failure within the window: budget spent
    await clock.advance(10);
    expect(ref.alive).toBe(false);
    const restarts = events.filter((e) => e.type === 'restarted');
    expect(restarts.map((e) => (e as { delayMs: number }).delayMs)).toEqual([100, 200]);
    expect(events.at(-1)).toMatchObject({ type: 'stopped', reason: 'failed' });
  });
});
