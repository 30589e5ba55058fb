import { describe, expect, it } from 'vitest';
import { parsePubsubEvent } from './event.js';
import { PubsubResponseError } from './pubsub-error.js';
import { parseXml } from './xml.js';

const msg = (event: string, extra = '') =>
  parseXml(
    `<message from='pubsub.shakespeare.lit' to='francisco@denmark.lit' id='foo'>` +
      `<event xmlns='http://jabber.org/protocol/pubsub#event'>${event}</event>${extra}</message>`,
  );

describe('pubsub event notifications (XEP-0060 pubsub#event)', () => {
  it('parses a publish notification with payload (§7.1.2.1 Example 101)', () => {
    const event = parsePubsubEvent(
      msg(`<items node='princely_musings'>
        <item id='ae890ac52d0df67ed7cfdf51b644e901' publisher='hamlet@denmark.lit'>
          <entry xmlns='http://www.w3.org/2005/Atom'>
            <title>Soliloquy</title>
            <summary>To be, or not to be: that is the question</summary>
          </entry>
        </item>
      </items>`),
    );
    expect(event?.type).toBe('items');
    if (event?.type !== 'items') throw new Error('unreachable');
    expect(event.service).toBe('pubsub.shakespeare.lit');
    expect(event.node).toBe('princely_musings');
    expect(event.retracted).toEqual([]);
    expect(event.items).toHaveLength(1);
    expect(event.items[0]).toMatchObject({
      id: 'ae890ac52d0df67ed7cfdf51b644e901',
      publisher: 'hamlet@denmark.lit',
    });
    expect(
      parseXml(event.items[0]?.xml ?? '')
        .getChild('title')
        ?.getText(),
    ).toBe('Soliloquy');
  });

  it('parses a retract notification (§7.2.2.1) and SubID headers (§12.3)', () => {
    const event = parsePubsubEvent(
      msg(
        `<items node='princely_musings'><retract id='ae890ac52d0df67ed7cfdf51b644e901'/><retract id='x2'/></items>`,
        `<headers xmlns='http://jabber.org/protocol/shim'><header name='SubID'>123-abc</header><header name='SubID'>004-yyy</header></headers>`,
      ),
    );
    expect(event).toMatchObject({
      type: 'items',
      node: 'princely_musings',
      items: [],
      retracted: ['ae890ac52d0df67ed7cfdf51b644e901', 'x2'],
      subids: ['123-abc', '004-yyy'],
    });
  });

  it('parses node deletion with a redirect (§8.4.2 Example 158)', () => {
    expect(
      parsePubsubEvent(
        msg(
          `<delete node='princely_musings'><redirect uri='xmpp:hamlet@denmark.lit?;node=blog'/></delete>`,
        ),
      ),
    ).toMatchObject({
      type: 'delete',
      node: 'princely_musings',
      redirect: 'xmpp:hamlet@denmark.lit?;node=blog',
    });
    expect(parsePubsubEvent(msg(`<delete node='n'/>`))).toMatchObject({
      type: 'delete',
      redirect: undefined,
    });
  });

  it('parses purge (§8.5.2) and keeps a delay stamp', () => {
    expect(
      parsePubsubEvent(
        msg(
          `<purge node='princely_musings'/>`,
          `<delay xmlns='urn:xmpp:delay' stamp='2003-12-13T23:58:37Z'/>`,
        ),
      ),
    ).toEqual({
      type: 'purge',
      service: 'pubsub.shakespeare.lit',
      node: 'princely_musings',
      subids: undefined,
      delayStamp: '2003-12-13T23:58:37Z',
    });
  });

  it('parses a configuration notification with its form (§8.2.5.1)', () => {
    const event = parsePubsubEvent(
      msg(`<configuration node='princely_musings'>
        <x xmlns='jabber:x:data' type='result'>
          <field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/pubsub#node_config</value></field>
          <field var='pubsub#title'><value>Princely Musings (Atom)</value></field>
        </x>
      </configuration>`),
    );
    expect(event?.type).toBe('configuration');
    if (event?.type !== 'configuration') throw new Error('unreachable');
    expect(event.form?.values).toEqual({ 'pubsub#title': 'Princely Musings (Atom)' });
    expect(parsePubsubEvent(msg(`<configuration node='n'/>`))).toMatchObject({
      type: 'configuration',
      form: undefined,
    });
  });

  it('parses a subscription state change (§8.8.4)', () => {
    expect(
      parsePubsubEvent(
        msg(
          `<subscription node='princely_musings' jid='horatio@denmark.lit' subscription='subscribed' subid='ba49252aaa4f5d320c24d3766f0bdcade78c78d3'/>`,
        ),
      ),
    ).toMatchObject({
      type: 'subscription',
      jid: 'horatio@denmark.lit',
      state: 'subscribed',
      subid: 'ba49252aaa4f5d320c24d3766f0bdcade78c78d3',
    });
  });

  it('ignores messages without a pubsub event, and unknown event children', () => {
    expect(parsePubsubEvent(parseXml(`<message><body>hi</body></message>`))).toBeUndefined();
    expect(parsePubsubEvent(msg(''))).toBeUndefined();
    expect(parsePubsubEvent(msg(`<collection node='c'/>`))).toBeUndefined();
    // The pubsub (non-event) namespace is not an event.
    expect(
      parsePubsubEvent(
        parseXml(
          `<message><event xmlns='http://jabber.org/protocol/pubsub'><purge node='n'/></event></message>`,
        ),
      ),
    ).toBeUndefined();
  });

  it('throws a typed error when a known event has no node', () => {
    expect(() => parsePubsubEvent(msg(`<items><item id='a'/></items>`))).toThrow(
      PubsubResponseError,
    );
    expect(() => parsePubsubEvent(msg(`<purge node=''/>`))).toThrow(/without a node/);
  });

  it('produces structured-clone-able values without elements', () => {
    const event = parsePubsubEvent(
      msg(`<items node='n'><item id='a'><x xmlns='urn:x'>t</x></item></items>`),
      { withElement: false },
    );
    expect(structuredClone(event)).toEqual(event);
    expect(event?.type === 'items' && event.items[0]?.xml).toBe('<x xmlns="urn:x">t</x>');
  });
});
