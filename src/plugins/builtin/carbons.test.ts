import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { EntityExtensions } from '../../entities/entity-extensions.js';
import type { Logger } from '../../log.js';
import { SimulatedClock } from '../../util/clock.js';
import { HookRegistry } from '../../workflow/hooks.js';
import type { MessageData } from '../../workflow/message-data.js';
import { runReceivePipeline } from '../../workflow/receive-pipeline.js';
import { counterUids } from '../../workflow/test-fixtures.js';
import type { PluginHost } from '../plugin.js';
import { createCarbonsPlugin } from './carbons.js';

const own = 'romeo@montague.example/garden';
const silentLog = { info() {}, warn() {}, debug() {}, error() {} } as unknown as Logger;

/** The carbons plugin on an in-process entity: extensions, hooks and a receive pipeline. */
async function entity(options: { enabled?: boolean } = {}) {
  const extensions = new EntityExtensions({ log: silentLog });
  const hooks = new HookRegistry();
  const forged: { from: string; direction: string }[] = [];
  const stored: MessageData[] = [];
  const host = {
    kind: 'client',
    name: 'romeo',
    jid: () => own,
    online: () => true,
    useStanza: (m, o) => extensions.useStanza(m, o),
    handleIq: (r, h, o) => extensions.handleIq(r, h, o),
    onOnline: (h, o) => extensions.onOnline(h, o),
  } as PluginHost;
  const plugin = createCarbonsPlugin({
    enabled: async () => options.enabled ?? true,
    forged: (_profile, report) => forged.push(report),
  });
  await plugin.setup({ host, hooks, log: silentLog });
  const receive = (stanza: Element) =>
    extensions.runStanza(stanza, async (message) => {
      const result = await runReceivePipeline(message, {
        hooks,
        ownJid: own,
        entityKind: 'client',
        newUid: counterUids(),
        clock: new SimulatedClock(0),
        storeHistory: (m) => {
          stored.push(m);
        },
        emit: () => undefined,
        receiveHistory: true,
      });
      if (result.outcome !== 'received') throw new Error(`not received: ${result.outcome}`);
    });
  return { extensions, forged, stored, receive };
}

function wrapped(kind: 'sent' | 'received', wrapperFrom: string, inner: Record<string, string>) {
  return xml(
    'message',
    { from: wrapperFrom, to: own, type: 'chat' },
    xml(
      kind,
      { xmlns: 'urn:xmpp:carbons:2' },
      xml(
        'forwarded',
        { xmlns: 'urn:xmpp:forward:0' },
        xml(
          'message',
          { xmlns: 'jabber:client', type: 'chat', ...inner },
          xml('body', {}, 'copied'),
        ),
      ),
    ),
  );
}

describe('carbons plugin', () => {
  it('stores the forwarded message of a genuine carbon once, marked with its direction', async () => {
    const e = await entity();
    await e.receive(
      wrapped('sent', 'romeo@montague.example', {
        from: 'romeo@montague.example/phone',
        to: 'juliet@capulet.example',
      }),
    );
    expect(e.stored).toHaveLength(1);
    expect(e.stored[0]).toMatchObject({
      from: 'romeo@montague.example/phone',
      to: 'juliet@capulet.example',
      message: { '': 'copied' },
      extra: { carbon: 'sent' },
    });
  });

  it('drops and reports a forged carbon; plain messages pass unmarked', async () => {
    const e = await entity();
    await e.receive(
      wrapped('received', 'mallory@evil.example/x', {
        from: 'juliet@capulet.example/balcony',
        to: own,
      }),
    );
    expect(e.stored).toEqual([]);
    expect(e.forged).toEqual([{ from: 'mallory@evil.example/x', direction: 'received' }]);
    await e.receive(
      xml(
        'message',
        { xmlns: 'jabber:client', from: 'juliet@capulet.example/balcony', to: own, type: 'chat' },
        xml('body', {}, 'plain'),
      ),
    );
    expect(e.stored.map((m) => [m.message[''], m.extra['carbon']])).toEqual([['plain', undefined]]);
  });

  it('enables carbons on connect only when the server advertises them and the profile wants them', async () => {
    const session = (features: string[]) => {
      const requests: Element[] = [];
      return {
        requests,
        jid: own,
        send: async () => undefined,
        iq: async (request: Element) => {
          requests.push(request);
          const query = request.getChild('query');
          return query === undefined
            ? xml('iq', { type: 'result' })
            : xml(
                'iq',
                { type: 'result' },
                xml(
                  'query',
                  { xmlns: 'http://jabber.org/protocol/disco#info' },
                  ...features.map((f) => xml('feature', { var: f })),
                ),
              );
        },
      };
    };
    const offered = session(['urn:xmpp:carbons:2']);
    await (await entity()).extensions.runOnline(offered);
    expect(offered.requests.map((r) => r.getChildElements()[0]?.name)).toEqual(['query', 'enable']);
    expect(offered.requests[0]?.attrs.to).toBe('montague.example');

    const absent = session([]);
    await (await entity()).extensions.runOnline(absent);
    expect(absent.requests.map((r) => r.getChildElements()[0]?.name)).toEqual(['query']);

    const off = session(['urn:xmpp:carbons:2']);
    await (await entity({ enabled: false })).extensions.runOnline(off);
    expect(off.requests).toEqual([]);
  });
});
