/**
 * A third-party-style plugin on the per-entity extension points, against a real Prosody: an IQ
 * handler (XEP-0092 software version), stanza middleware that sees and may consume stanzas in
 * the entity's turn, an on-online hook that uses the live stream, and `iq()` / `send()` for
 * requests. Also the built-in `pubsub-cache` plugin answering disco#info with `+notify`.
 */
import xml, { type Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Plugin, PluginHost } from '../../src/plugins/plugin.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import type { RuntimeEvents } from '../../src/runtime/events.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

const NS_VERSION = 'jabber:iq:version';
const NS_TAG = 'urn:example:aviary-test';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';

const users = [
  { username: 'hooka', password: 'hook-secret-a' },
  { username: 'hookb', password: 'hook-secret-b' },
];
const hosts = new Map<string, PluginHost>();
const onlineReplies = new Map<string, string[]>();
const middlewareSaw: { profile: string; body: string }[] = [];

/** Written as a plugin outside the project would be: only the public plugin interface. */
const versionPlugin: Plugin = {
  name: 'test-version',
  modes: ['client'],
  setup({ host }) {
    hosts.set(host.name, host);
    const offs = [
      host.handleIq({ type: 'get', xmlns: NS_VERSION, name: 'query' }, () =>
        xml(
          'query',
          { xmlns: NS_VERSION },
          xml('name', {}, `version-of-${host.name}`),
          xml('version', {}, '1.0'),
        ),
      ),
      host.useStanza(async (stanza, next) => {
        if (stanza.name === 'message' && stanza.getChild('tag', NS_TAG) !== undefined) {
          middlewareSaw.push({ profile: host.name, body: stanza.getChildText('body') ?? '' });
          // Consumed: the built-in workflow (history, messageNew) never sees it.
          if (stanza.getChild('tag', NS_TAG)?.attrs.consume === 'yes') return;
        }
        await next();
      }),
      host.onOnline(async (session) => {
        // The stream is up but the entity is not announced yet: the session is the way out.
        const reply = await session.iq(
          xml(
            'iq',
            { type: 'get', to: host.jid().split('@')[1] },
            xml('query', { xmlns: NS_DISCO_INFO }),
          ),
        );
        onlineReplies.set(host.name, [
          ...(onlineReplies.get(host.name) ?? []),
          reply.attrs.type ?? '',
        ]);
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  },
};

let prosody: ProsodyFixture;
let runtime: Aviary;

beforeAll(async () => {
  prosody = await startProsody({ users });
  runtime = await startTestRuntime(prosody, { plugins: [versionPlugin] });
  for (const user of users)
    await runtime.addProfile(prosodyAccount(prosody, user.username, user.password));
  await Promise.all(users.map((u) => runtime.waitForState(u.username, 'online')));
});
afterAll(async () => {
  await runtime?.stop();
  await prosody?.stop();
});

const host = (name: string): PluginHost => {
  const found = hosts.get(name);
  if (found === undefined) throw new Error(`plugin was not set up for ${name}`);
  return found;
};
const conditionOf = (error: unknown) =>
  (error as { details?: { condition?: string } }).details?.condition;

describe('plugin extension points on a real Prosody', () => {
  it('runs the on-online hook once the stream is up, with an IQ round trip to the server', () => {
    expect(onlineReplies.get('hooka')).toEqual(['result']);
    expect(onlineReplies.get('hookb')).toEqual(['result']);
  });

  it("answers IQs by namespace and element through the plugin's handler, others service-unavailable", async () => {
    const aliceJid = host('hooka').jid();
    expect(aliceJid).toMatch(/^hooka@[^/]+\/.+/); // full JID once bound
    const reply: Element = await host('hookb').iq(
      xml('iq', { type: 'get', to: aliceJid }, xml('query', { xmlns: NS_VERSION })),
    );
    expect(reply.attrs.type).toBe('result');
    expect(reply.getChild('query', NS_VERSION)?.getChildText('name')).toBe('version-of-hooka');

    const unhandled = host('hookb').iq(
      xml('iq', { type: 'get', to: aliceJid }, xml('query', { xmlns: 'urn:example:nobody' })),
    );
    await expect(unhandled).rejects.toMatchObject({ code: 'xmpp.stanza-error' });
    expect(conditionOf(await unhandled.catch((e: unknown) => e))).toBe('service-unavailable');
  });

  it('passes stanzas through the middleware in the entity turn; a consumed one never reaches history', async () => {
    const received: RuntimeEvents['messageNew'][] = [];
    runtime.events.on('messageNew', (m) => {
      if (m.profile === 'hookb' && m.direction === 'in') received.push(m);
    });
    const to = `hookb@${prosody.domain}`;
    const tagged = (body: string, consume: boolean) =>
      xml(
        'message',
        { to, type: 'chat', id: `m-${body}` },
        xml('body', {}, body),
        xml('tag', { xmlns: NS_TAG, ...(consume ? { consume: 'yes' } : {}) }),
      );
    await host('hooka').send(tagged('swallowed', true));
    await host('hooka').send(tagged('passed-on', false));
    await waitFor(() => received.length === 1, 10_000);
    expect(middlewareSaw.filter((s) => s.profile === 'hookb').map((s) => s.body)).toEqual([
      'swallowed',
      'passed-on',
    ]);
    const history = await runtime.history('hookb', { with: `hooka@${prosody.domain}` });
    expect(history.map((h) => Object.values(h.message))).toEqual([['passed-on']]);
  });

  it('the built-in pubsub-cache plugin answers disco#info with +notify features', async () => {
    const reply = await host('hookb').iq(
      xml('iq', { type: 'get', to: host('hooka').jid() }, xml('query', { xmlns: NS_DISCO_INFO })),
    );
    const features = reply
      .getChild('query', NS_DISCO_INFO)
      ?.getChildren('feature')
      .map((f) => f.attrs.var);
    expect(features).toContain('urn:xmpp:microblog:0+notify');
    expect(features).toContain(NS_DISCO_INFO);
  });

  it('refuses raw sends and IQs while the entity is offline', async () => {
    await runtime.disconnect('hooka');
    await expect(host('hooka').send(xml('presence'))).rejects.toMatchObject({
      code: 'entity.offline',
    });
    expect(host('hooka').online()).toBe(false);
  });
});
