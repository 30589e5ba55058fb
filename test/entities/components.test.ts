/**
 * Components (XEP-0114, https://xmpp.org/extensions/xep-0114.html) through the runtime
 * against a real Prosody — connection, the echo-bot entry point, a bad secret, and the entry
 * point's plugin dependency tree (client-only plugins never run for a component).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAviaryError } from '../../src/errors.js';
import type { Plugin } from '../../src/plugins/plugin.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import type { RuntimeEvents } from '../../src/runtime/events.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

/** Every entity a spy plugin was set up for, as `kind:name`. */
const spySetups: string[] = [];

/** Client-only, like an end-to-end encryption plugin. */
const clientOnlySpy: Plugin = {
  name: 'spy-client-only',
  modes: ['client'],
  setup({ host }) {
    spySetups.push(`${host.kind}:${host.name}`);
  },
};

/** A component entry point that merely recommends the client-only plugin. */
const recommendingEntry: Plugin = {
  name: 'spy-entry',
  modes: ['component'],
  entryPoint: true,
  recommendations: ['spy-client-only', 'example-e2ee'],
  setup({ host }) {
    spySetups.push(`${host.kind}:${host.name}:entry`);
  },
};

/** A component entry point that *requires* a client-only plugin: it cannot start. */
const requiringEntry: Plugin = {
  name: 'needs-e2ee',
  modes: ['component'],
  entryPoint: true,
  dependencies: ['example-e2ee'],
  setup() {},
};

let prosody: ProsodyFixture;
let runtime: Aviary;

const component = (name: string, secret: string, entryPoint = 'echo-bot') => ({
  name,
  jid: prosody.componentDomain,
  secret,
  entryPoint,
  serverHost: '127.0.0.1',
  serverPort: prosody.componentPort,
});

beforeAll(async () => {
  prosody = await startProsody({ users: [{ username: 'alice', password: 'alice-password' }] });
  runtime = await startTestRuntime(prosody, {
    plugins: [clientOnlySpy, recommendingEntry, requiringEntry],
    config: { plugins: { enable: ['example-e2ee'] } },
  });
  await runtime.addProfile(prosodyAccount(prosody, 'alice', 'alice-password'));
  await runtime.waitForState('alice', 'online');
}, 60_000);

afterAll(async () => {
  await runtime?.stop();
  await prosody?.stop();
});

describe('components through the runtime', () => {
  it('a bad secret ends in auth-failed with a clear reason, and is not retried', async () => {
    const states: RuntimeEvents['connectionState'][] = [];
    runtime.events.on('connectionState', (e) => {
      if (e.name === 'bad-secret') states.push(e);
    });
    await runtime.addComponent(component('bad-secret', 'not-the-secret'));
    const status = await runtime.waitForState('bad-secret', 'auth-failed', 15_000);
    expect(status.kind).toBe('component');
    expect(status.reason).toMatch(/not-authorized|secret|handshake|auth/i);
    const seen = states.length;
    // Several backoff periods (base 200 ms in test runtimes): nothing more happens.
    await new Promise((r) => setTimeout(r, 1500));
    expect(runtime.entity('bad-secret').state).toBe('auth-failed');
    expect(runtime.entity('bad-secret').reconnectAttempts).toBe(0);
    expect(states).toHaveLength(seen);
    expect(states.map((s) => s.state)).not.toContain('reconnecting');
    await runtime.remove('bad-secret');
    expect(runtime.entities().map((e) => e.name)).not.toContain('bad-secret');
  });

  it('an echo-bot component goes online and answers a client message', async () => {
    const incoming: RuntimeEvents['messageNew'][] = [];
    runtime.events.on('messageNew', (m) => {
      if (m.profile === 'alice' && m.direction === 'in') incoming.push(m);
    });
    await runtime.addComponent({
      ...component('echo', prosody.componentSecret),
      sendHistory: true,
      receiveHistory: true,
    });
    const status = await runtime.waitForState('echo', 'online', 15_000);
    expect(status.jid).toBe(prosody.componentDomain);

    const bot = `bot@${prosody.componentDomain}`;
    const sent = await runtime.sendMessage('alice', {
      to: bot,
      message: { '': 'ping 42' },
      type: 'chat',
    });
    expect(sent.outcome).toBe('sent');
    // Prosody stamps the stream's xml:lang on the stanza (RFC 6120 §4.7.4), so the echo comes
    // back under that language: compare texts, not language keys.
    await waitFor(() => incoming.length === 1, 15_000);
    expect(Object.values(incoming[0]?.message as Record<string, string>)).toEqual([
      'echo: ping 42',
    ]);
    expect(String(incoming[0]?.from)).toContain(prosody.componentDomain);

    const aliceHistory = await runtime.history('alice', { order: 'asc' });
    const text = (h: { message: Readonly<Record<string, string>> }) =>
      Object.values(h.message).join('|');
    expect(aliceHistory.map(text)).toEqual(['ping 42', 'echo: ping 42']);
    // The client's own outgoing message went through the client-only e2ee plugin…
    expect(aliceHistory[0]?.extra).toMatchObject({ e2ee: 'example' });

    // …the component's reply did not: echo-bot recommends example-e2ee, which is client-only.
    const echoHistory = await runtime.history('echo');
    expect(echoHistory.map(text).sort()).toEqual(['echo: ping 42', 'ping 42']);
    const reply = echoHistory.find((h) => text(h) === 'echo: ping 42');
    expect(reply?.from).toContain(prosody.componentDomain);
    expect((reply?.extra as Record<string, unknown> | null)?.e2ee).toBeUndefined();
  });

  it('an entry point that requires a client-only plugin fails addComponent with plugin.dependency', async () => {
    let failure: unknown;
    try {
      await runtime.addComponent(component('needs', prosody.componentSecret, 'needs-e2ee'));
    } catch (error) {
      failure = error;
    }
    expect(isAviaryError(failure, 'plugin.dependency')).toBe(true);
    expect((failure as Error).message).toMatch(/example-e2ee/);
    expect((failure as Error).message).toMatch(/component/);
    expect(runtime.entities().map((e) => e.name)).not.toContain('needs');
    const stored = await runtime.storage.request({ type: 'profile.list' });
    expect(JSON.stringify(stored)).not.toContain('"needs"');
  });

  it('recommended client-only plugins are never set up for a component', async () => {
    await runtime.remove('echo');
    await runtime.addComponent(component('spied', prosody.componentSecret, 'spy-entry'));
    await runtime.waitForState('spied', 'online', 15_000);
    expect(spySetups).toContain('component:spied:entry');
    expect(spySetups.filter((s) => s.startsWith('component:'))).toEqual(['component:spied:entry']);
    // The spy does run for clients, so the check above can fail.
    expect(spySetups).toContain('client:alice');
  });

  it('an added autoconnect entity reports connecting at once, not offline', async () => {
    await runtime.remove('spied');
    const states: string[] = [];
    runtime.events.on('connectionState', (e) => {
      if (e.name === 'again') states.push(e.state);
    });
    const added = await runtime.addComponent(component('again', prosody.componentSecret));
    // The actor has already announced `connecting`; the manager's view must agree with it.
    expect(states[0]).toBe('connecting');
    expect(added.state).toBe('connecting');
    expect(runtime.entities().find((e) => e.name === 'again')?.state).toBe('connecting');
    await runtime.waitForState('again', 'online', 15_000);
  });
});
