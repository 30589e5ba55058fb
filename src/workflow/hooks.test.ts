import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { type HookContext, HookRegistry, runHooks } from './hooks.js';
import { withExtra } from './message-data.js';
import { sampleMessage } from './test-fixtures.js';
import { parseXml } from './xml.js';

const ctx: HookContext = { ownJid: 'juliet@capulet.lit/balcony', entityKind: 'client' };

function tracer(hooks: HookRegistry, trace: string[], plugin: string, priority?: number) {
  return hooks.register('sendMessage', {
    plugin,
    ...(priority === undefined ? {} : { priority }),
    handler: () => {
      trace.push(plugin);
      return { action: 'continue' };
    },
  });
}

describe('HookRegistry', () => {
  it('runs higher priority first and equal priorities in registration order', async () => {
    const hooks = new HookRegistry();
    const trace: string[] = [];
    tracer(hooks, trace, 'low', -5);
    tracer(hooks, trace, 'mid-a');
    tracer(hooks, trace, 'high', 50);
    tracer(hooks, trace, 'mid-b');
    tracer(hooks, trace, 'mid-c', 0);
    const r = await hooks.run('sendMessage', sampleMessage(), ctx);
    expect(r.outcome).toBe('continue');
    expect(trace).toEqual(['high', 'mid-a', 'mid-b', 'mid-c', 'low']);
    expect(hooks.entries('sendMessage').map((e) => [e.plugin, e.priority, e.seq])).toEqual([
      ['high', 50, 2],
      ['mid-a', 0, 1],
      ['mid-b', 0, 3],
      ['mid-c', 0, 4],
      ['low', -5, 0],
    ]);
  });

  it('passes each modified message to the next hook and returns the last one', async () => {
    const hooks = new HookRegistry();
    hooks.register('sendMessage', {
      plugin: 'a',
      priority: 2,
      handler: (m) => ({ action: 'continue', message: withExtra(m, 'a', 1) }),
    });
    hooks.register('sendMessage', {
      plugin: 'b',
      priority: 1,
      handler: async (m) => ({ action: 'continue', message: withExtra(m, 'b', m.extra['a'] ?? 0) }),
    });
    const r = await runHooks(hooks, 'sendMessage', sampleMessage(), ctx);
    expect(r).toEqual({
      outcome: 'continue',
      message: sampleMessage({ extra: { a: 1, b: 1 } }),
    });
  });

  it('stops at a cancel and names the plugin', async () => {
    const hooks = new HookRegistry();
    const trace: string[] = [];
    hooks.register('send', {
      plugin: 'blocker',
      handler: () => ({ action: 'cancel', reason: 'blocked' }),
    });
    hooks.register('send', {
      plugin: 'after',
      handler: () => {
        trace.push('after');
        return { action: 'continue' };
      },
    });
    const r = await hooks.run('send', sampleMessage(), ctx);
    expect(r).toEqual({ outcome: 'cancelled', reason: 'blocked', plugin: 'blocker' });
    expect(trace).toEqual([]);
  });

  it('skip-rest keeps the message and runs no further hook', async () => {
    const hooks = new HookRegistry();
    const trace: string[] = [];
    hooks.register('sendMessage', {
      plugin: 'first',
      priority: 1,
      handler: (m) => ({ action: 'skip-rest', message: withExtra(m, 'first', true) }),
    });
    tracer(hooks, trace, 'second');
    const r = await hooks.run('sendMessage', sampleMessage(), ctx);
    expect(r).toEqual({ outcome: 'continue', message: sampleMessage({ extra: { first: true } }) });
    expect(trace).toEqual([]);
  });

  it('a throwing hook fails the message with workflow.hook-failed naming plugin and stage', async () => {
    const hooks = new HookRegistry();
    const boom = new Error('boom');
    hooks.register('message_parse', {
      plugin: 'flaky',
      handler: () => {
        throw boom;
      },
    });
    const error = await hooks.run('message_parse', sampleMessage(), ctx).catch((e: unknown) => e);
    expect(isAviaryError(error, 'workflow.hook-failed')).toBe(true);
    expect((error as Error).cause).toBe(boom);
    expect((error as { details: unknown }).details).toEqual({
      plugin: 'flaky',
      stage: 'message_parse',
    });
  });

  it('a rejected promise or a non-result is a hook failure too', async () => {
    const hooks = new HookRegistry();
    const off = hooks.register('send', {
      plugin: 'async',
      handler: () => Promise.reject(new Error('x')),
    });
    await expect(hooks.run('send', sampleMessage(), ctx)).rejects.toMatchObject({
      code: 'workflow.hook-failed',
      details: { plugin: 'async', stage: 'send' },
    });
    off();
    // biome-ignore lint/suspicious/noExplicitAny: deliberately wrong result from untyped plugin code.
    hooks.register('send', { plugin: 'sloppy', handler: () => ({ action: 'maybe' }) as any });
    await expect(hooks.run('send', sampleMessage(), ctx)).rejects.toMatchObject({
      code: 'workflow.hook-failed',
      details: { plugin: 'sloppy', stage: 'send', reason: 'handler did not return a hook result' },
    });
  });

  it('sendMessageData hooks cannot cancel: a cancel is a typed error naming the plugin', async () => {
    const hooks = new HookRegistry();
    hooks.register('sendMessageData', {
      plugin: 'e2ee',
      handler: () => ({ action: 'cancel', reason: 'no keys' }),
    });
    await expect(hooks.run('sendMessageData', sampleMessage(), ctx)).rejects.toMatchObject({
      code: 'workflow.hook-cannot-cancel',
      details: { plugin: 'e2ee', stage: 'sendMessageData', reason: 'no keys' },
    });
  });

  it('unregister removes only that hook and is idempotent', async () => {
    const hooks = new HookRegistry();
    const trace: string[] = [];
    const offA = tracer(hooks, trace, 'a');
    tracer(hooks, trace, 'b');
    offA();
    offA();
    await hooks.run('sendMessage', sampleMessage(), ctx);
    expect(trace).toEqual(['b']);
    expect(hooks.entries('sendMessage').map((e) => e.plugin)).toEqual(['b']);
  });

  it('runs only allowed plugins for an entity', async () => {
    const hooks = new HookRegistry({ allowPlugin: (p) => p !== 'omemo' });
    const trace: string[] = [];
    tracer(hooks, trace, 'omemo', 100);
    tracer(hooks, trace, 'receipts');
    await hooks.run('sendMessage', sampleMessage(), ctx);
    expect(trace).toEqual(['receipts']);
    expect(hooks.entries('sendMessage').map((e) => e.plugin)).toEqual(['receipts']);
  });

  it('keeps points apart and gives messageReceived hooks the stanza', async () => {
    const hooks = new HookRegistry();
    const seen: string[] = [];
    hooks.register('messageReceived', {
      plugin: 'p',
      handler: (stanza, hookCtx) => {
        seen.push(`${hookCtx.point}:${stanza.name}`);
        return { action: 'continue' };
      },
    });
    const stanza = parseXml('<message xmlns="jabber:client"/>');
    const r = await hooks.run('messageReceived', stanza, ctx);
    expect(r).toEqual({ outcome: 'continue', message: stanza });
    await hooks.run('messageReceivedComponent', stanza, { ...ctx, entityKind: 'component' });
    expect(seen).toEqual(['messageReceived:message']);
  });

  it('a hook registered while running affects the next message only', async () => {
    const hooks = new HookRegistry();
    const trace: string[] = [];
    hooks.register('send', {
      plugin: 'adder',
      handler: () => {
        tracer(hooks, trace, 'late');
        return { action: 'continue' };
      },
    });
    await hooks.run('send', sampleMessage(), ctx);
    expect(trace).toEqual([]);
  });

  it('(un)registering hooks of the running point changes the next message, not this one', async () => {
    const hooks = new HookRegistry();
    const trace: string[] = [];
    let removeLater: () => void = () => undefined;
    hooks.register('sendMessage', {
      plugin: 'changer',
      priority: 10,
      handler: () => {
        trace.push('changer');
        removeLater();
        tracer(hooks, trace, 'added', 5);
        return { action: 'continue' };
      },
    });
    removeLater = tracer(hooks, trace, 'removed', 1);
    await hooks.run('sendMessage', sampleMessage(), ctx);
    expect(trace).toEqual(['changer', 'removed']);
    trace.length = 0;
    removeLater = () => undefined;
    await hooks.run('sendMessage', sampleMessage(), ctx);
    expect(trace).toEqual(['changer', 'added']);
  });

  it('a point without hooks returns the very message it was given', async () => {
    const message = sampleMessage();
    const result = await new HookRegistry().run('sendMessage', message, ctx);
    expect(result).toEqual({ outcome: 'continue', message });
    expect(result.outcome === 'continue' && result.message).toBe(message);
  });

  it('rejects a non-finite priority', () => {
    const hooks = new HookRegistry();
    expect(() =>
      hooks.register('send', {
        plugin: 'x',
        priority: Number.NaN,
        handler: () => ({ action: 'continue' }),
      }),
    ).toThrow(TypeError);
  });
});
