import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { SimulatedClock } from '../util/clock.js';
import { HookRegistry } from './hooks.js';
import type { MessageData } from './message-data.js';
import { withExtra } from './message-data.js';
import type { MessageNewSignal } from './pipeline.js';
import {
  runSendPipeline,
  SEND_STAGES,
  type SendDeps,
  type TransmitPayload,
} from './send-pipeline.js';
import { counterUids } from './test-fixtures.js';
import { el } from './xml.js';

interface Fakes {
  deps: SendDeps;
  wire: string[];
  stored: MessageData[];
  signals: MessageNewSignal[];
  hooks: HookRegistry;
}

function fakes(overrides: Partial<SendDeps> = {}): Fakes {
  const wire: string[] = [];
  const stored: MessageData[] = [];
  const signals: MessageNewSignal[] = [];
  const hooks = overrides.hooks ?? new HookRegistry();
  const deps: SendDeps = {
    hooks,
    isRoom: (jid) => jid === 'room@muc.lit',
    ownJid: 'juliet@capulet.lit/balcony',
    entityKind: 'client',
    transmit: ({ xml }) => {
      wire.push(xml);
    },
    storeHistory: async (m) => {
      stored.push(m);
    },
    emit: (s) => {
      signals.push(s);
    },
    newUid: counterUids(),
    clock: new SimulatedClock(5_000),
    sendHistory: false,
    ...overrides,
  };
  return { deps, wire, stored, signals, hooks };
}

const hello = { to: 'romeo@montague.lit', message: { '': 'hello' } };

describe('runSendPipeline', () => {
  it('lists its stages in the documented order', () => {
    expect(SEND_STAGES.map((s) => s.name)).toEqual([
      'hooks:sendMessage',
      'pre-xml',
      'build',
      'post-xml',
      'hooks:sendMessageData',
      'hooks:send',
      'transmit',
      'history',
      'signal',
    ]);
  });

  it('hands transmit the built element only while the XML text is unchanged', async () => {
    const outs: TransmitPayload[] = [];
    const plain = fakes({ transmit: (out) => void outs.push(out) });
    await runSendPipeline(hello, plain.deps);
    expect(outs[0]?.element?.toString()).toBe(outs[0]?.xml);
    const rewriting = fakes({ transmit: (out) => void outs.push(out) });
    rewriting.hooks.register('sendMessageData', {
      plugin: 'crypt',
      handler: (m) => ({
        action: 'continue',
        message: { ...m, xml: m.xml!.replace('hello', 'xxxxx') },
      }),
    });
    await runSendPipeline(hello, rewriting.deps);
    expect(outs[1]?.element).toBeUndefined();
    expect(outs[1]?.xml).toContain('<body>xxxxx</body>');
  });

  it('a client sends, stores and signals a chat message', async () => {
    const f = fakes();
    const r = await runSendPipeline(hello, f.deps);
    expect(r).toMatchObject({ outcome: 'sent', stored: true, signalled: true });
    expect(f.wire).toHaveLength(1);
    expect(f.wire[0]).toContain('<body>hello</body>');
    expect(f.wire[0]).toContain('type="chat"');
    expect(f.wire[0]).toContain('from="juliet@capulet.lit/balcony"');
    expect(f.stored).toEqual([r.message]);
    expect(f.stored[0]).toMatchObject({ uid: 'uid-1', timestamp: 5_000, xml: f.wire[0] });
    expect(f.signals).toEqual([{ type: 'messageNew', direction: 'out', message: r.message }]);
  });

  it('runs hooks and stages in order, each seeing the previous one’s work', async () => {
    const trace: string[] = [];
    const hooks = new HookRegistry();
    hooks.register('sendMessage', {
      plugin: 'a',
      handler: (m) => {
        trace.push('sendMessage');
        return { action: 'continue', message: { ...m, message: { '': 'changed' } } };
      },
    });
    hooks.register('sendMessageData', {
      plugin: 'crypt',
      handler: (m) => {
        trace.push(`sendMessageData:${m.xml?.includes('<marker') ?? false}`);
        return {
          action: 'continue',
          message: { ...m, xml: m.xml!.replace('changed', 'ENCRYPTED') },
        };
      },
    });
    hooks.register('send', {
      plugin: 'last',
      handler: (m) => {
        trace.push(`send:${m.xml?.includes('ENCRYPTED') ?? false}`);
        return { action: 'continue' };
      },
    });
    const f = fakes({
      hooks,
      preXml: [
        {
          name: 'pre',
          run: (m) => {
            trace.push(`pre:${m.message['']}`);
            return withExtra(m, 'pre', true);
          },
        },
      ],
      postXml: [
        {
          name: 'post',
          run: ({ element, message }) => {
            trace.push(`post:${message.extra['pre']}`);
            return el(
              element.name,
              { ...(element.attrs as Record<string, string>) },
              ...element.children,
              el('marker'),
            );
          },
        },
      ],
    });
    const r = await runSendPipeline(hello, f.deps);
    expect(trace).toEqual([
      'sendMessage',
      'pre:changed',
      'post:true',
      'sendMessageData:true',
      'send:true',
    ]);
    expect(f.wire[0]).toContain(
      '<body>ENCRYPTED</body><origin-id xmlns="urn:xmpp:sid:0" id="uid-1"/><marker/>',
    );
    expect(r.message.xml).toBe(f.wire[0]);
  });

  it('a cancelling sendMessage hook stops everything and says who and why', async () => {
    const f = fakes();
    f.hooks.register('sendMessage', {
      plugin: 'blocklist',
      handler: () => ({ action: 'cancel', reason: 'blocked' }),
    });
    const r = await runSendPipeline(hello, f.deps);
    expect(r).toMatchObject({
      outcome: 'cancelled',
      stage: 'sendMessage',
      plugin: 'blocklist',
      reason: 'blocked',
    });
    expect([f.wire, f.stored, f.signals]).toEqual([[], [], []]);
  });

  it('a cancelling send hook stops before the wire', async () => {
    const f = fakes();
    f.hooks.register('send', {
      plugin: 'gate',
      handler: () => ({ action: 'cancel', reason: 'offline' }),
    });
    const r = await runSendPipeline(hello, f.deps);
    expect(r).toMatchObject({ outcome: 'cancelled', stage: 'send', plugin: 'gate' });
    expect(f.wire).toEqual([]);
  });

  it('a sendMessageData cancel is a typed error and nothing is sent', async () => {
    const f = fakes();
    f.hooks.register('sendMessageData', {
      plugin: 'e2ee',
      handler: () => ({ action: 'cancel', reason: 'x' }),
    });
    const error = await runSendPipeline(hello, f.deps).catch((e: unknown) => e);
    expect(isAviaryError(error, 'workflow.hook-cannot-cancel')).toBe(true);
    expect(f.wire).toEqual([]);
  });

  it('groupchat goes out but is stored and signalled only when the room echoes it', async () => {
    const f = fakes();
    const r = await runSendPipeline({ to: 'room@muc.lit', message: { '': 'hi all' } }, f.deps);
    expect(r).toMatchObject({
      outcome: 'sent',
      stored: false,
      notStoredReason: 'groupchat',
      signalled: false,
    });
    expect(f.wire[0]).toContain('type="groupchat"');
    expect(f.stored).toEqual([]);
    expect(f.signals).toEqual([]);
  });

  it('empty messages are sent but neither stored nor signalled', async () => {
    const f = fakes();
    const r = await runSendPipeline(
      { to: 'romeo@montague.lit', extra: { chatState: 'composing' } },
      f.deps,
    );
    expect(r).toMatchObject({
      outcome: 'sent',
      stored: false,
      notStoredReason: 'empty',
      signalled: false,
    });
    expect(f.wire).toHaveLength(1);
    expect(f.stored).toEqual([]);
  });

  it('a component stores sent messages only with sendHistory, and runs component hooks', async () => {
    const seen: string[] = [];
    const hooks = new HookRegistry();
    hooks.register('sendMessage', {
      plugin: 'client-only',
      handler: () => ({ action: 'cancel', reason: 'no' }),
    });
    hooks.register('sendMessageComponent', {
      plugin: 'gateway',
      handler: (_m, ctx) => {
        seen.push(ctx.point);
        return { action: 'continue' };
      },
    });
    const component = { entityKind: 'component' as const, ownJid: 'bot.capulet.lit', hooks };
    const off = fakes({ ...component, sendHistory: false });
    const on = fakes({ ...component, sendHistory: true });
    const rOff = await runSendPipeline({ ...hello, from: 'user@bot.capulet.lit' }, off.deps);
    const rOn = await runSendPipeline(hello, on.deps);
    expect(rOff).toMatchObject({
      outcome: 'sent',
      stored: false,
      notStoredReason: 'history-disabled',
    });
    expect(rOff.message.from).toBe('user@bot.capulet.lit');
    expect(off.stored).toEqual([]);
    expect(rOn).toMatchObject({ outcome: 'sent', stored: true });
    expect(on.stored).toHaveLength(1);
    expect(seen).toEqual(['sendMessageComponent', 'sendMessageComponent']);
  });

  it('sendOnly skips hooks, storage and the signal', async () => {
    const f = fakes({ sendOnly: true });
    f.hooks.register('sendMessage', {
      plugin: 'x',
      handler: () => ({ action: 'cancel', reason: 'would cancel' }),
    });
    const r = await runSendPipeline(hello, f.deps);
    expect(r).toMatchObject({
      outcome: 'sent',
      stored: false,
      notStoredReason: 'send-only',
      signalled: false,
    });
    expect(f.wire).toHaveLength(1);
    expect([f.stored, f.signals]).toEqual([[], []]);
  });

  it('invalid requests and outside failures are typed errors', async () => {
    const f = fakes();
    await expect(runSendPipeline({ to: 'not a jid' }, f.deps)).rejects.toMatchObject({
      code: 'message.invalid',
    });
    await expect(runSendPipeline({ ...hello, threadParent: 'p' }, f.deps)).rejects.toMatchObject({
      code: 'message.invalid',
    });
    const broken = fakes({
      transmit: () => {
        throw new Error('socket closed');
      },
    });
    await expect(runSendPipeline(hello, broken.deps)).rejects.toMatchObject({
      code: 'workflow.stage-failed',
      details: { stage: 'transmit' },
    });
    expect(broken.stored).toEqual([]);
  });

  it('a throwing hook fails that message only, logged with plugin and stage', async () => {
    const warnings: { obj: object; msg: string }[] = [];
    const logger = {
      debug: () => {},
      warn: (obj: object, msg: string) => warnings.push({ obj, msg }),
    };
    const f = fakes({ logger });
    let calls = 0;
    f.hooks.register('sendMessage', {
      plugin: 'flaky',
      handler: () => {
        calls++;
        if (calls === 1) throw new Error('first call breaks');
        return { action: 'continue' };
      },
    });
    await expect(runSendPipeline(hello, f.deps)).rejects.toMatchObject({
      code: 'workflow.hook-failed',
      details: { plugin: 'flaky', stage: 'sendMessage' },
    });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      msg: 'message send failed',
      obj: { code: 'workflow.hook-failed', details: { plugin: 'flaky', stage: 'sendMessage' } },
    });
    expect(f.wire).toEqual([]);
    expect(await runSendPipeline(hello, f.deps)).toMatchObject({ outcome: 'sent' });
    expect(f.wire).toHaveLength(1);
  });
});
