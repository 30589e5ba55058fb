/**
 * On a real Prosody: hooks that modify, cancel, run in priority order, skip the rest or
 * throw, and empty messages, through the send and receive pipelines of real profiles.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import type { RuntimeEvents } from '../../src/runtime/events.js';
import type { HookRegistry } from '../../src/workflow/hooks.js';
import { type MessageData, withExtra } from '../../src/workflow/message-data.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';
import { bodyOf, capturedLogger, hookCapturePlugins, type LogRecord } from './workflow-setup.js';

const users = Array.from({ length: 10 }, (_, i) => ({ username: `h${i}`, password: `pw-h${i}` }));
let prosody: ProsodyFixture;
let runtime: Aviary;
let records: LogRecord[];
const { plugins, registries } = hookCapturePlugins(['test-hooks', 'test-hooks-2']);
const received: RuntimeEvents['messageNew'][] = [];
let cleanups: (() => void)[] = [];

const jid = (user: string) => `${user}@${prosody.domain}`;
const hooksOf = (profile: string): HookRegistry => {
  const hooks = registries.get(profile);
  if (hooks === undefined) throw new Error(`no hooks captured for ${profile}`);
  return hooks;
};
const bodies = (m: { message: Readonly<Record<string, string>> }) => Object.values(m.message);
const inbox = (profile: string) =>
  received.filter((m) => m.profile === profile && m.direction === 'in').map(bodyOf);
const appendBody = (m: MessageData, suffix: string): MessageData => ({
  ...m,
  message: Object.fromEntries(Object.entries(m.message).map(([l, t]) => [l, `${t}${suffix}`])),
});

beforeAll(async () => {
  prosody = await startProsody({ users });
  const captured = capturedLogger();
  records = captured.records;
  runtime = await startTestRuntime(prosody, { plugins, log: captured.log });
  runtime.events.on('messageNew', (m) => received.push(m));
  for (const u of users) await runtime.addProfile(prosodyAccount(prosody, u.username, u.password));
  await Promise.all(users.map((u) => runtime.waitForState(u.username, 'online')));
}, 60_000);
afterEach(() => {
  for (const off of cleanups) off();
  cleanups = [];
});
afterAll(async () => {
  await runtime?.stop();
  await prosody?.stop();
});

describe('workflow hooks on a real Prosody', () => {
  it('modifying hooks: sendMessage changes what is sent and stored, message_parse what is received', async () => {
    cleanups.push(
      hooksOf('h0').register('sendMessage', {
        plugin: 'test-hooks',
        handler: (m) => ({
          action: 'continue',
          message: withExtra(appendBody(m, ' [signed]'), 'hooked', true),
        }),
      }),
      hooksOf('h1').register('message_parse', {
        plugin: 'test-hooks',
        handler: (m) => ({
          action: 'continue',
          message: {
            ...m,
            message: Object.fromEntries(
              Object.entries(m.message).map(([l, t]) => [l, t.toUpperCase()]),
            ),
          },
        }),
      }),
    );
    const result = await runtime.sendMessage('h0', { to: jid('h1'), message: { en: 'hello' } });
    expect(result.outcome).toBe('sent');
    await waitFor(() => inbox('h1').length === 1);
    expect(inbox('h1')).toEqual(['HELLO [SIGNED]']);
    const [sent] = await runtime.history('h0');
    expect(sent?.message).toEqual({ en: 'hello [signed]' });
    expect(sent?.extra).toMatchObject({ hooked: true });
    const got = await runtime.history('h1');
    expect(got.map(bodies)).toEqual([['HELLO [SIGNED]']]);
  });

  it('cancelling hooks: a cancelled send is a result (nothing sent or stored); a cancelled reception stores nothing', async () => {
    cleanups.push(
      hooksOf('h2').register('sendMessage', {
        plugin: 'test-hooks',
        handler: (m) =>
          bodies(m).includes('forbidden')
            ? { action: 'cancel', reason: 'policy says no' }
            : { action: 'continue' },
      }),
      hooksOf('h3').register('messageReceived', {
        plugin: 'test-hooks-2',
        handler: (stanza) =>
          stanza.toString().includes('drop me')
            ? { action: 'cancel', reason: 'spam' }
            : { action: 'continue' },
      }),
    );
    const cancelled = await runtime.sendMessage('h2', {
      to: jid('h3'),
      message: { '': 'forbidden' },
    });
    expect(cancelled).toMatchObject({
      outcome: 'cancelled',
      stage: 'sendMessage',
      plugin: 'test-hooks',
      reason: 'policy says no',
    });
    await runtime.sendMessage('h2', { to: jid('h3'), message: { '': 'drop me' } });
    await runtime.sendMessage('h2', { to: jid('h3'), message: { '': 'keep me' } });
    await waitFor(() => inbox('h3').includes('keep me'));
    expect(inbox('h3')).toEqual(['keep me']);
    expect((await runtime.history('h2', { order: 'asc' })).map(bodies)).toEqual([
      ['drop me'],
      ['keep me'],
    ]);
    expect((await runtime.history('h3')).map(bodies)).toEqual([['keep me']]);
  });

  it('priority order (higher first, ties by registration), then skip-the-rest stops the later hooks', async () => {
    const trail = (label: string, action: 'continue' | 'skip-rest' = 'continue') => ({
      handler: (m: MessageData) => ({
        action,
        message: withExtra(m, 'trail', [...((m.extra.trail as string[]) ?? []), label]),
      }),
    });
    const hooks = hooksOf('h4');
    cleanups.push(
      hooks.register('sendMessage', { plugin: 'test-hooks', priority: 1, ...trail('low') }),
      hooks.register('sendMessage', { plugin: 'test-hooks-2', priority: 10, ...trail('high') }),
      hooks.register('sendMessage', { plugin: 'test-hooks', priority: 5, ...trail('mid-a') }),
      hooks.register('sendMessage', { plugin: 'test-hooks-2', priority: 5, ...trail('mid-b') }),
    );
    const first = await runtime.sendMessage('h4', { to: jid('h5'), message: { '': 'ordered' } });
    expect(first.outcome === 'sent' && first.message.extra.trail).toEqual([
      'high',
      'mid-a',
      'mid-b',
      'low',
    ]);
    cleanups.push(
      hooks.register('sendMessage', {
        plugin: 'test-hooks',
        priority: 7,
        ...trail('skipper', 'skip-rest'),
      }),
    );
    const second = await runtime.sendMessage('h4', { to: jid('h5'), message: { '': 'skipped' } });
    expect(second.outcome === 'sent' && second.message.extra.trail).toEqual(['high', 'skipper']);
    await waitFor(() => inbox('h5').length === 2);
    expect(inbox('h5')).toEqual(['ordered', 'skipped']);
    const stored = await runtime.history('h4', { order: 'asc' });
    expect(stored.map((m) => (m.extra as { trail?: unknown }).trail)).toEqual([
      ['high', 'mid-a', 'mid-b', 'low'],
      ['high', 'skipper'],
    ]);
  });

  it('a throwing send hook fails that message with a typed error naming plugin and stage; the profile stays online', async () => {
    const off = hooksOf('h6').register('sendMessage', {
      plugin: 'test-hooks-2',
      handler: () => {
        throw new Error('hook bug');
      },
    });
    cleanups.push(off);
    await expect(
      runtime.sendMessage('h6', { to: jid('h7'), message: { '': 'never sent' } }),
    ).rejects.toMatchObject({
      code: 'workflow.hook-failed',
      details: { plugin: 'test-hooks-2', stage: 'sendMessage' },
    });
    expect(runtime.entity('h6').state).toBe('online');
    off();
    const after = await runtime.sendMessage('h6', { to: jid('h7'), message: { '': 'after' } });
    expect(after.outcome).toBe('sent');
    await waitFor(() => inbox('h7').includes('after'));
    expect(inbox('h7')).toEqual(['after']);
    expect((await runtime.history('h6')).map(bodies)).toEqual([['after']]);
  });

  it('a throwing receive hook fails that message (logged with plugin and stage); the next one is received', async () => {
    cleanups.push(
      hooksOf('h7').register('message_parse', {
        plugin: 'test-hooks',
        handler: (m) => {
          if (bodies(m).includes('boom')) throw new Error('parse hook bug');
          return { action: 'continue' };
        },
      }),
    );
    await runtime.sendMessage('h5', { to: jid('h7'), message: { '': 'boom' } });
    await runtime.sendMessage('h5', { to: jid('h7'), message: { '': 'fine' } });
    await waitFor(() => inbox('h7').includes('fine'));
    expect(inbox('h7')).not.toContain('boom');
    expect(runtime.entity('h7').state).toBe('online');
    expect((await runtime.history('h7')).map(bodies)).not.toContainEqual(['boom']);
    expect((await runtime.history('h7')).map(bodies)).toContainEqual(['fine']);
    const failures = records.filter(
      (r) =>
        (r.err as { details?: { stage?: string } } | undefined)?.details?.stage === 'message_parse',
    );
    // Logged where it failed (the pipeline) and again by the entity actor: same typed error.
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure).toMatchObject({
        profile: 'h7',
        err: {
          code: 'workflow.hook-failed',
          details: { plugin: 'test-hooks', stage: 'message_parse' },
        },
      });
    }
  });

  it('an empty message is neither stored nor signalled, on either side', async () => {
    const seen: string[] = [];
    cleanups.push(
      hooksOf('h9').register('messageReceived', {
        plugin: 'test-hooks',
        handler: (stanza) => {
          seen.push(stanza.toString());
          return { action: 'continue' };
        },
      }),
    );
    const empty = await runtime.sendMessage('h8', { to: jid('h9'), type: 'chat' });
    expect(empty).toMatchObject({ outcome: 'sent', stored: false, notStoredReason: 'empty' });
    // A later message is the barrier: the actor handles stanzas in order.
    await runtime.sendMessage('h8', { to: jid('h9'), type: 'chat', message: { '': 'barrier' } });
    await waitFor(() => inbox('h9').includes('barrier'));
    expect(seen).toHaveLength(2); // the empty one did arrive
    expect(inbox('h9')).toEqual(['barrier']);
    expect((await runtime.history('h9')).map(bodies)).toEqual([['barrier']]);
    expect((await runtime.history('h8')).map(bodies)).toEqual([['barrier']]);
  });
});
