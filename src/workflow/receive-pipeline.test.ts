import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../util/clock.js';
import { HookRegistry } from './hooks.js';
import type { MessageData } from './message-data.js';
import type { MessageNewSignal } from './pipeline.js';
import { RECEIVE_STAGES, type ReceiveDeps, runReceivePipeline } from './receive-pipeline.js';
import { counterUids } from './test-fixtures.js';
import { parseXml } from './xml.js';

function fakes(overrides: Partial<ReceiveDeps> = {}) {
  const stored: MessageData[] = [];
  const signals: MessageNewSignal[] = [];
  const hooks = overrides.hooks ?? new HookRegistry();
  const deps: ReceiveDeps = {
    hooks,
    ownJid: 'romeo@montague.lit/orchard',
    entityKind: 'client',
    newUid: counterUids('in'),
    clock: new SimulatedClock(9_000),
    storeHistory: (m) => {
      stored.push(m);
    },
    emit: (s) => {
      signals.push(s);
    },
    receiveHistory: false,
    ...overrides,
  };
  return { deps, stored, signals, hooks };
}

const chat =
  '<message xmlns="jabber:client" from="juliet@capulet.lit/balcony" to="romeo@montague.lit/orchard" type="chat"><body>hi</body><x xmlns="jabber:x:oob"><url>https://x.lit/up/cat.png</url></x></message>';
const componentChat = chat
  .replace('jabber:client', 'jabber:component:accept')
  .replace('romeo@montague.lit/orchard', 'bot.montague.lit');

describe('runReceivePipeline', () => {
  it('lists its stages in the documented order', () => {
    expect(RECEIVE_STAGES.map((s) => s.name)).toEqual([
      'hooks:messageReceived',
      'normalise-namespace',
      'parse',
      'hooks:message_parse',
      'attachments',
      'skip-empty',
      'history',
      'signal',
    ]);
  });

  it('a client parses, completes attachments, stores and signals', async () => {
    const f = fakes();
    const r = await runReceivePipeline(chat, f.deps);
    expect(r).toMatchObject({ outcome: 'received', stored: true, signalled: true });
    if (r.outcome !== 'received') throw new Error('unreachable');
    expect(r.message).toMatchObject({
      uid: 'in-1',
      from: 'juliet@capulet.lit/balcony',
      message: { '': 'hi' },
    });
    expect(r.message.extra['attachments']).toEqual([
      { url: 'https://x.lit/up/cat.png', name: 'cat.png', mediaType: 'image/png' },
    ]);
    expect(f.stored).toEqual([r.message]);
    expect(f.signals).toEqual([{ type: 'messageNew', direction: 'in', message: r.message }]);
  });

  it("signals a message from the account's own bare JID (another device's) as outgoing", async () => {
    const f = fakes();
    const own =
      '<message xmlns="jabber:client" from="romeo@montague.lit/phone" to="juliet@capulet.lit" type="chat"><body>sent elsewhere</body></message>';
    const r = await runReceivePipeline(own, f.deps);
    if (r.outcome !== 'received') throw new Error(`not received: ${r.outcome}`);
    expect(f.signals).toEqual([{ type: 'messageNew', direction: 'out', message: r.message }]);
  });

  it('messageReceived hooks can cancel before parsing (even an unparseable stanza)', async () => {
    const f = fakes();
    f.hooks.register('messageReceived', {
      plugin: 'spam',
      handler: (stanza) =>
        stanza.attrs['type'] === 'headline'
          ? { action: 'cancel', reason: 'spam' }
          : { action: 'continue' },
    });
    const r = await runReceivePipeline(
      '<message xmlns="jabber:client" type="headline" from="bad jid"/>',
      f.deps,
    );
    expect(r).toEqual({
      outcome: 'cancelled',
      stage: 'messageReceived',
      plugin: 'spam',
      reason: 'spam',
    });
    expect([f.stored, f.signals]).toEqual([[], []]);
  });

  it('message_parse hooks see parsed data and the stanza, and may change or cancel', async () => {
    const f = fakes();
    const seen: string[] = [];
    f.hooks.register('message_parse', {
      plugin: 'markup',
      handler: (m, ctx) => {
        seen.push(`${ctx.stanza?.name}:${m.message['']}`);
        return { action: 'continue', message: { ...m, message: { '': 'HI' } } };
      },
    });
    const r = await runReceivePipeline(parseXml(chat), f.deps);
    expect(seen).toEqual(['message:hi']);
    expect(r).toMatchObject({ outcome: 'received', message: { message: { '': 'HI' } } });
    f.hooks.register('message_parse', {
      plugin: 'drop',
      handler: () => ({ action: 'cancel', reason: 'r' }),
    });
    expect(await runReceivePipeline(chat, f.deps)).toMatchObject({
      outcome: 'cancelled',
      stage: 'message_parse',
      plugin: 'drop',
    });
  });

  it('skips empty messages: nothing stored or signalled', async () => {
    const f = fakes();
    const r = await runReceivePipeline(
      '<message xmlns="jabber:client" from="juliet@capulet.lit/b"><active xmlns="http://jabber.org/protocol/chatstates"/></message>',
      f.deps,
    );
    expect(r).toMatchObject({
      outcome: 'skipped-empty',
      message: { from: 'juliet@capulet.lit/b' },
    });
    expect([f.stored, f.signals]).toEqual([[], []]);
  });

  it('a component normalises its namespace, runs component hooks, stores only with receiveHistory and never signals', async () => {
    const seen: string[] = [];
    const hooks = new HookRegistry();
    hooks.register('messageReceived', {
      plugin: 'client-only',
      handler: () => ({ action: 'cancel', reason: 'x' }),
    });
    hooks.register('messageReceivedComponent', {
      plugin: 'gw',
      handler: (stanza, ctx) => {
        seen.push(`${ctx.point}:${String(stanza.attrs['xmlns'])}`);
        return { action: 'continue' };
      },
    });
    hooks.register('message_parse', {
      plugin: 'gw',
      handler: (_m, ctx) => {
        seen.push(`message_parse:${String(ctx.stanza?.attrs['xmlns'])}`);
        return { action: 'continue' };
      },
    });
    const component = { entityKind: 'component' as const, ownJid: 'bot.montague.lit', hooks };
    const off = fakes({ ...component, receiveHistory: false });
    const on = fakes({ ...component, receiveHistory: true });
    const rOff = await runReceivePipeline(componentChat, off.deps);
    const rOn = await runReceivePipeline(componentChat, on.deps);
    expect(rOff).toMatchObject({
      outcome: 'received',
      stored: false,
      notStoredReason: 'history-disabled',
      signalled: false,
    });
    expect(rOn).toMatchObject({ outcome: 'received', stored: true, signalled: false });
    expect(on.stored).toHaveLength(1);
    expect([off.signals, on.signals]).toEqual([[], []]);
    expect(seen).toEqual([
      'messageReceivedComponent:jabber:component:accept',
      'message_parse:jabber:client',
      'messageReceivedComponent:jabber:component:accept',
      'message_parse:jabber:client',
    ]);
    // Same data as a client-namespace stanza would give.
    const viaClientNs = await runReceivePipeline(
      componentChat.replace('jabber:component:accept', 'jabber:client'),
      fakes({ ...component, hooks: new HookRegistry(), receiveHistory: true }).deps,
    );
    expect(viaClientNs).toMatchObject({ message: (rOn as { message: MessageData }).message });
  });

  it('invalid stanzas and storage failures are typed errors', async () => {
    const f = fakes();
    await expect(runReceivePipeline('<message', f.deps)).rejects.toMatchObject({
      code: 'stanza.invalid',
    });
    await expect(
      runReceivePipeline('<message xmlns="jabber:client" type="x"/>', f.deps),
    ).rejects.toMatchObject({
      code: 'stanza.invalid',
      details: { reason: 'invalid type "x"' },
    });
    const broken = fakes({
      storeHistory: () => Promise.reject(new Error('disk full')),
    });
    await expect(runReceivePipeline(chat, broken.deps)).rejects.toMatchObject({
      code: 'workflow.stage-failed',
      details: { stage: 'history' },
    });
    expect(broken.signals).toEqual([]);
  });
});
