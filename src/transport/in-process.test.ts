import xml from '@xmpp/xml';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDataDir } from '../../test/helpers/cli.js';
import { waitFor } from '../../test/helpers/wait-for.js';
import { createLogger } from '../log.js';
import { type Aviary, createRuntime } from '../runtime/default-runtime.js';
import type { ProfileInfo } from '../storage/messages.js';
import { createInProcessTransport, type InProcessTransportOptions } from './in-process.js';

const profile = (name: string, jid: string): ProfileInfo => ({
  name,
  jid,
  passwordCiphertext: null,
  serverHost: null,
  serverPort: null,
  tlsPolicy: 'required',
  autoconnect: true,
  created: 0,
});

describe('in-process transport (connections alone)', () => {
  it('routes by bare JID, stamps from, hands over a copy, and counts what it cannot route', async () => {
    const t = createInProcessTransport();
    const a = t.factories.client({
      profile: profile('a', 'a@x.test'),
      password: 'p',
      verifyTls: true,
    });
    const b = t.factories.client({
      profile: profile('b', 'B@x.test'),
      password: 'p',
      verifyTls: true,
    });
    const got: string[] = [];
    b.onStanza((s) => got.push(s.toString()));
    expect(a.jid).toBeUndefined();
    await a.connect();
    await b.connect();
    expect(a.jid).toBe('a@x.test/aviary');
    expect(t.connected()).toEqual(['a@x.test', 'b@x.test']);
    const sent = xml(
      'message',
      { to: 'b@x.test/res', from: 'spoof@evil.test' },
      xml('body', {}, 'hi'),
    );
    await a.send(sent);
    await a.send(xml('message', { to: 'nobody@x.test' }, xml('body', {}, 'lost')));
    await waitFor(() => got.length === 1, 2000);
    expect(got[0]).toContain('from="a@x.test/aviary"');
    expect(got[0]).toContain('<body>hi</body>');
    // Written without a namespace, read in the receiving stream's default one.
    expect(got[0]).toContain('xmlns="jabber:client"');
    expect(t.stats()).toMatchObject({ delivered: 1, undelivered: 1, logins: 2 });
  });

  it('answers every IQ with a result carrying the request id', async () => {
    const t = createInProcessTransport();
    const a = t.factories.client({
      profile: profile('a', 'a@x.test'),
      password: 'p',
      verifyTls: true,
    });
    await a.connect();
    const reply = await a.iq(
      xml('iq', { type: 'get', id: 'q"1', to: 'x.test' }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
    );
    expect(reply.attrs).toMatchObject({
      type: 'result',
      id: 'q"1',
      from: 'x.test',
      to: 'a@x.test/aviary',
    });
    await a.disconnect();
    await expect(a.iq(xml('iq', { type: 'get' }))).rejects.toMatchObject({
      code: 'xmpp.not-connected',
    });
  });

  it('delivers to a component by domain, and the component keeps its own from', async () => {
    const t = createInProcessTransport({ copy: 'clone' });
    const c = t.factories.component({
      profile: profile('c', 'bot.x.test'),
      component: {
        profile: 'c',
        entryPoint: 'echo-bot',
        secretCiphertext: null,
        sendHistory: false,
        receiveHistory: false,
      },
      secret: 's',
    });
    const a = t.factories.client({
      profile: profile('a', 'a@x.test'),
      password: 'p',
      verifyTls: true,
    });
    const toComponent: string[] = [];
    const toClient: string[] = [];
    c.onStanza((s) => toComponent.push(`${s.attrs.to} ${s.attrs.xmlns}`));
    a.onStanza((s) => toClient.push(`${s.attrs.from} ${s.attrs.xmlns}`));
    await c.connect();
    await a.connect();
    await a.send(xml('message', { to: 'anyone@bot.x.test' }, xml('body', {}, 'x')));
    await c.send(
      xml('message', { to: 'a@x.test', from: 'anyone@bot.x.test' }, xml('body', {}, 'y')),
    );
    await waitFor(() => toComponent.length === 1 && toClient.length === 1, 2000);
    expect(toComponent).toEqual(['anyone@bot.x.test jabber:component:accept']);
    expect(toClient).toEqual(['anyone@bot.x.test jabber:client']);
  });

  it('refuses a login the authenticator rejects, and a kick reports offline with an error', async () => {
    const options: InProcessTransportOptions = {
      authenticate: (jid, pw) => jid === 'a@x.test' && pw === 'right',
    };
    const t = createInProcessTransport(options);
    const bad = t.factories.client({
      profile: profile('a', 'a@x.test'),
      password: 'wrong',
      verifyTls: true,
    });
    await expect(bad.connect()).rejects.toMatchObject({ code: 'xmpp.auth-failed' });
    const good = t.factories.client({
      profile: profile('a', 'a@x.test'),
      password: 'right',
      verifyTls: true,
    });
    const statuses: string[] = [];
    good.onStatus((s, e) => statuses.push(`${s}:${e?.code ?? ''}`));
    await good.connect();
    expect(t.kick('a@x.test/whatever')).toBe(true);
    expect(statuses).toEqual(['online:', 'offline:xmpp.connection-closed']);
    expect(t.connected()).toEqual([]);
    expect(t.kick('a@x.test')).toBe(false);
  });
});

describe('in-process transport under a runtime', () => {
  let runtime: Aviary | undefined;
  afterEach(async () => {
    await runtime?.stop();
    runtime = undefined;
  });

  it('two profiles exchange messages through both pipelines; both histories hold them; a kicked profile reconnects', async () => {
    const t = createInProcessTransport();
    runtime = createRuntime({
      api: false,
      log: createLogger({ level: 'silent' }),
      connections: () => t.factories,
      config: {
        dataDir: tempDataDir('aviary-inproc-'),
        xmpp: { reconnectBaseMs: 10, reconnectMaxMs: 50 },
      },
    });
    await runtime.start();
    await runtime.addProfile({ name: 'a', jid: 'a@x.test', password: 'p' });
    await runtime.addProfile({ name: 'b', jid: 'b@x.test', password: 'p' });
    await runtime.waitForState('a', 'online', 5000);
    await runtime.waitForState('b', 'online', 5000);
    const received: string[] = [];
    runtime.events.on('messageNew', (m) => {
      if (m.profile === 'b' && m.direction === 'in') received.push(String(m.uid));
    });
    for (let i = 0; i < 20; i++) {
      const r = await runtime.sendMessage('a', {
        to: 'b@x.test',
        message: { en: `m${i}`, fr: `f${i}` },
      });
      expect(r.outcome).toBe('sent');
    }
    await waitFor(() => received.length === 20, 5000);
    const sent = await runtime.history('a', { order: 'asc' });
    const got = await runtime.history('b', { order: 'asc' });
    expect(sent).toHaveLength(20);
    expect(got.map((m) => m.message)).toEqual(sent.map((m) => m.message));
    expect(got[0]?.from).toBe('a@x.test/aviary');

    t.kick('a@x.test');
    await runtime.waitForState('a', 'reconnecting', 2000);
    await runtime.waitForState('a', 'online', 5000);
    expect(t.stats().logins).toBe(3);
  });
});
