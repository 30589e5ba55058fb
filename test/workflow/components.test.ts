/**
 * On a real Prosody: a XEP-0114 component (the `echo-bot` entry point) stores history
 * only as its `sendHistory` / `receiveHistory` flags say, parses `jabber:component:accept`
 * stanzas like client ones, and never runs the client-only `example-e2ee` plugin (which is
 * off unless configured).
 * One component at a time holds Prosody's component domain: each case removes its own.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../src/entities/history-record.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import type { RuntimeEvents } from '../../src/runtime/events.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';
import { bodyOf } from './workflow-setup.js';

const users = ['c0', 'c1'].map((username) => ({ username, password: `pw-${username}` }));
let prosody: ProsodyFixture;
let runtime: Aviary;
let component: string | undefined;
const received: RuntimeEvents['messageNew'][] = [];
const inbox = (profile: string) =>
  received.filter((m) => m.profile === profile && m.direction === 'in').map(bodyOf);

const rich = {
  type: 'chat' as const,
  message: { en: 'Hello bot', fr: 'Bonjour robot' },
  subject: { en: 'Topic', fr: 'Sujet' },
  thread: 'thread-c',
  threadParent: 'parent-c',
};

async function addEcho(name: string, flags: { sendHistory?: boolean; receiveHistory?: boolean }) {
  component = name;
  await runtime.addComponent({
    name,
    jid: prosody.componentDomain,
    secret: prosody.componentSecret,
    entryPoint: 'echo-bot',
    serverHost: '127.0.0.1',
    serverPort: prosody.componentPort,
    ...flags,
  });
  await runtime.waitForState(name, 'online', 15_000);
}

/**
 * c0 sends `text` to the component; resolves once the component has sent its echo (its
 * `messageNew` out signal), whether or not the server routes the echo back.
 */
async function exchange(text: Record<string, string>, extra: Partial<typeof rich> = {}) {
  const name = component as string;
  const echoes = () =>
    received.filter((m) => m.profile === name && m.direction === 'out').map(bodyOf);
  const before = echoes().length;
  const result = await runtime.sendMessage('c0', {
    to: prosody.componentDomain,
    type: 'chat',
    message: text,
    ...extra,
  });
  expect(result.outcome).toBe('sent');
  await waitFor(() => echoes().length === before + 1, 10_000);
  return echoes().at(-1);
}

const view = (m: HistoryEntry | undefined) => ({
  from: m?.from,
  type: m?.type,
  message: m?.message,
  subject: m?.subject,
  thread: m?.thread,
});

beforeAll(async () => {
  prosody = await startProsody({ users });
  runtime = await startTestRuntime(prosody);
  runtime.events.on('messageNew', (m) => received.push(m));
  for (const u of users) await runtime.addProfile(prosodyAccount(prosody, u.username, u.password));
  await Promise.all(users.map((u) => runtime.waitForState(u.username, 'online')));
}, 60_000);
afterEach(async () => {
  if (component !== undefined) await runtime.remove(component);
  component = undefined;
});
afterAll(async () => {
  await runtime?.stop();
  await prosody?.stop();
});

describe('components on a real Prosody', () => {
  it('with default flags the component answers but stores nothing and signals no reception', async () => {
    await addEcho('echo-default', {});
    expect(await exchange({ '': 'ping' })).toBe('echo: ping');
    expect(await runtime.history('echo-default')).toEqual([]);
    expect(received.filter((m) => m.profile === 'echo-default' && m.direction === 'in')).toEqual(
      [],
    );
  });

  it('the echo reaches the client (component stanzas are routed by the server)', async () => {
    await addEcho('echo-route', {});
    const before = inbox('c0').length;
    expect(await exchange({ '': 'route me' })).toBe('echo: route me');
    await waitFor(() => inbox('c0').length > before, 5000);
    expect(inbox('c0').slice(before)).toEqual(['echo: route me']);
    const [echo] = await runtime.history('c0', { with: prosody.componentDomain, order: 'desc' });
    expect(echo?.from).toBe(prosody.componentDomain);
    expect(Object.values(echo?.message ?? {})).toEqual(['echo: route me']);
    expect(echo?.extra).not.toHaveProperty('e2ee');
  });

  it('with receiveHistory it stores what it receives, parsed like a client parses it; not what it sends', async () => {
    await addEcho('echo-receive', { receiveHistory: true });
    expect(await exchange(rich.message, rich)).toBe('echo: Hello bot');
    // The same message to a client, for comparison of the two parses.
    await runtime.sendMessage('c0', { to: `c1@${prosody.domain}`, ...rich });
    await waitFor(() => inbox('c1').length === 1);
    const stored = await runtime.history('echo-receive');
    expect(stored).toHaveLength(1);
    const [asClient] = await runtime.history('c1');
    expect(view(stored[0])).toEqual(view(asClient));
    expect(view(stored[0])).toMatchObject({
      message: rich.message,
      subject: rich.subject,
      thread: { id: 'thread-c', parentId: 'parent-c' },
      type: 'chat',
    });
    expect(stored[0]?.to).toBe(prosody.componentDomain);
    expect(stored[0]?.extra).not.toHaveProperty('e2ee');
  });

  it('with sendHistory it stores what it sends, not what it receives', async () => {
    await addEcho('echo-send', { sendHistory: true });
    expect(await exchange({ '': 'store the echo' })).toBe('echo: store the echo');
    const stored = await runtime.history('echo-send');
    expect(stored.map((m) => [m.from, m.to, m.message])).toEqual([
      [prosody.componentDomain, expect.stringMatching(/^c0@/), { en: 'echo: store the echo' }],
    ]);
  });

  it('the demonstration example-e2ee plugin is off unless configured: nothing is marked e2ee', async () => {
    await addEcho('echo-both', { sendHistory: true, receiveHistory: true });
    expect(await exchange({ '': 'secret?' })).toBe('echo: secret?');
    const onComponent = await runtime.history('echo-both', { order: 'asc' });
    expect(onComponent.map((m) => Object.values(m.message))).toEqual([
      ['secret?'],
      ['echo: secret?'],
    ]);
    for (const m of onComponent) expect(m.extra).not.toHaveProperty('e2ee');
    const onClient = await runtime.history('c0', { with: prosody.componentDomain, order: 'asc' });
    const sent = onClient.filter((m) => Object.values(m.message).includes('secret?'));
    expect(sent).toHaveLength(1);
    // Plain messages must never look encrypted: the demo plugin runs only when `plugins.enable`
    // names it (test/entities/profiles.test.ts turns it on and sees the mark).
    expect(sent[0]?.extra).not.toHaveProperty('e2ee');
    expect(runtime.plugins.get('example-e2ee')).toBeUndefined();
  });
});
