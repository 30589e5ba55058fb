import type { Element } from '@xmpp/xml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type FakePeer,
  type FakeXmppServer,
  SERVER_HEADER,
  startFakeXmppServer,
} from '../../test/helpers/fake-xmpp-server.js';
import { systemClock } from '../actors/clock.js';
import { type AviaryError, isAviaryError } from '../errors.js';
import type { OversizeStanza } from './oversize-stanza.js';
import { XmlStream, type XmlStreamHandlers } from './xml-stream.js';
import { silentLog } from './xmpp-log.js';

let server: FakeXmppServer;
beforeEach(async () => {
  server = await startFakeXmppServer();
});
afterEach(async () => {
  await server.close();
});

interface Opened {
  readonly stream: XmlStream;
  readonly peer: FakePeer;
  readonly elements: Element[];
  /** Every onClose call, in order (must end up with exactly one). */
  readonly closes: Array<AviaryError | undefined>;
  readonly closed: Promise<AviaryError | undefined>;
}

async function openStream(
  options: { maxStanzaBytes?: number; handlers?: Partial<XmlStreamHandlers> } = {},
): Promise<Opened> {
  const elements: Element[] = [];
  const closes: Array<AviaryError | undefined> = [];
  let onClosed: (error: AviaryError | undefined) => void = () => {};
  const closed = new Promise<AviaryError | undefined>((resolve) => {
    onClosed = resolve;
  });
  const stream = await XmlStream.connect(
    {
      host: '127.0.0.1',
      port: server.port,
      ns: 'jabber:client',
      clock: systemClock,
      connectTimeoutMs: 5000,
      maxStanzaBytes: options.maxStanzaBytes ?? 4096,
      log: silentLog,
    },
    {
      onHeader: () => {},
      onElement: (element) => elements.push(element),
      onClose: (error) => {
        closes.push(error);
        onClosed(error);
      },
      ...options.handlers,
    },
  );
  const peer = await server.nextPeer();
  await stream.open('fake.test');
  await peer.waitFor('<stream:stream');
  await peer.send(SERVER_HEADER);
  return { stream, peer, elements, closes, closed };
}

/** Resolves once `condition()` holds, checking after each turn of the event loop. */
function until(condition: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = () => (condition() ? resolve() : setImmediate(check));
    check();
  });
}

/** The stream error the client sent, e.g. `not-well-formed`; then the server closes too. */
async function sentCondition(peer: FakePeer): Promise<string | undefined> {
  await peer.waitFor('</stream:error>');
  peer.end();
  await peer.closed;
  return /<stream:error><([a-z-]+) xmlns='urn:ietf:params:xml:ns:xmpp-streams'/.exec(
    peer.received(),
  )?.[1];
}

describe('XmlStream: malformed input from the server', () => {
  const cases: Array<[string, string | Uint8Array, string, string]> = [
    [
      'a NUL character reference',
      '<message><body>&#0;</body></message>',
      'not-well-formed',
      'xmpp.stream-error',
    ],
    [
      'a surrogate reference',
      '<message><body>&#xD800;</body></message>',
      'not-well-formed',
      'xmpp.stream-error',
    ],
    [
      'an undefined entity',
      '<message><body>&foo;</body></message>',
      'restricted-xml',
      'xmpp.policy-violation',
    ],
    [
      'an undefined entity in an attribute',
      "<message id='&foo;'/>",
      'restricted-xml',
      'xmpp.policy-violation',
    ],
    [
      'a mismatched end tag',
      '<message><body>x</message></body>',
      'not-well-formed',
      'xmpp.stream-error',
    ],
    [
      'a raw control character',
      '<message><body>\u0007</body></message>',
      'not-well-formed',
      'xmpp.stream-error',
    ],
    [
      'invalid UTF-8',
      Buffer.concat([
        Buffer.from('<message><body>'),
        Buffer.from([0xc3, 0x28, 0xff]),
        Buffer.from('</body></message>'),
      ]),
      'unsupported-encoding',
      'xmpp.stream-error',
    ],
    ['a DOCTYPE', '<!DOCTYPE x [<!ENTITY a "b">]>', 'policy-violation', 'xmpp.policy-violation'],
  ];
  it.each(cases)(
    '%s ends the stream with a stream error and a typed onClose',
    async (_, payload, condition, code) => {
      const { peer, elements, closes, closed } = await openStream();
      await peer.send('<message id="before"/>');
      await peer.send(payload);
      expect(await sentCondition(peer)).toBe(condition);
      const error = await closed;
      expect(isAviaryError(error, code)).toBe(true);
      expect(error?.details).toMatchObject({ condition, sent: true });
      expect(elements.map((e) => e.attrs.id)).toEqual(['before']);
      expect(closes).toHaveLength(1);
    },
  );

  it('invalid UTF-8 in the same chunk as good stanzas: those before it are delivered', async () => {
    const { peer, elements } = await openStream();
    await peer.send(
      Buffer.concat([
        Buffer.from("<message id='1'>é</message><message id='2'>"),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('</message>'),
      ]),
    );
    expect(await sentCondition(peer)).toBe('unsupported-encoding');
    expect(elements.map((e) => [e.attrs.id, e.text()])).toEqual([['1', 'é']]);
  });

  it('a malformed byte in the same chunk as good stanzas: those before it are delivered', async () => {
    const { peer, elements, closed } = await openStream();
    await peer.send("<message id='1'/><message id='2'>&#0;</message><message id='3'/>");
    expect(await sentCondition(peer)).toBe('not-well-formed');
    expect((await closed)?.details).toMatchObject({ condition: 'not-well-formed' });
    expect(elements.map((e) => e.attrs.id)).toEqual(['1']);
  });

  it('an exception from the owner’s handler closes the stream, not the process', async () => {
    const { peer, closed } = await openStream({
      handlers: {
        onElement: () => {
          throw new Error('handler bug');
        },
      },
    });
    await peer.send('<message/><message/>');
    expect(await sentCondition(peer)).toBe('undefined-condition');
    const error = await closed;
    expect(isAviaryError(error, 'xmpp.stream-error')).toBe(true);
    expect(error?.cause).toEqual(new Error('handler bug'));
  });

  it('a throwing onClose handler does not escape', async () => {
    let calls = 0;
    const { peer } = await openStream({
      handlers: {
        onClose: () => {
          calls++;
          throw new Error('onClose bug');
        },
      },
    });
    await peer.send('<a>&#0;</a>');
    expect(await sentCondition(peer)).toBe('not-well-formed');
    await until(() => calls > 0);
    expect(calls).toBe(1);
  });
});

describe('XmlStream: oversize stanzas', () => {
  const big = 'x'.repeat(6000);

  it('skips an oversize IQ, answers it with policy-violation and keeps the stream open', async () => {
    const { stream, peer, elements } = await openStream({ maxStanzaBytes: 4096 });
    await peer.send(
      `<iq type='set' id='big1' from='juliet@fake.test/a'><query xmlns='q'>${big}</query></iq><message id='big2'><body>${big}</body></message><message id='after'/>`,
    );
    const reply = (await peer.waitFor(/<iq[^>]*id='big1'[^>]*>.*?<\/iq>/)) as RegExpMatchArray;
    expect(reply[0]).toContain("type='error'");
    expect(reply[0]).toContain("to='juliet@fake.test/a'");
    expect(reply[0]).toContain("<error type='modify'><policy-violation");
    await peer.send("<message id='last'/>");
    const ids = () => elements.map((e) => e.attrs.id);
    await until(() => ids().includes('last'));
    expect(ids()).toEqual(['after', 'last']);
    expect(stream.closed).toBe(false);
    expect(peer.received()).not.toContain('big2');
    stream.destroy();
  });

  it('reports to onOversize when the owner handles it, in stream order', async () => {
    const seen: string[] = [];
    const stanzas: OversizeStanza[] = [];
    const { stream, peer } = await openStream({
      maxStanzaBytes: 4096,
      handlers: {
        onElement: (e) => seen.push(`element:${e.attrs.id}`),
        onOversize: (s) => {
          stanzas.push(s);
          seen.push(`oversize:${s.id}`);
        },
      },
    });
    const bigIq = `<iq type='get' id='g1' to='me@fake.test'><q>${big}</q></iq>`;
    await peer.send(`<message id='a'/>${bigIq}<message id='b'/>`);
    await until(() => seen.length === 3);
    expect(seen).toEqual(['element:a', 'oversize:g1', 'element:b']);
    expect(stanzas[0]).toEqual({
      name: 'iq',
      id: 'g1',
      type: 'get',
      from: undefined,
      to: 'me@fake.test',
      bytes: Buffer.byteLength(bigIq),
      limit: 'bytes',
    });
    stream.destroy();
    expect(peer.received()).not.toContain("id='g1'");
  });

  it('closes with policy-violation past the hard limit', async () => {
    const { peer, closed } = await openStream({ maxStanzaBytes: 1024 });
    await peer.send(`<message><body>${'y'.repeat(5000)}`);
    expect(await sentCondition(peer)).toBe('policy-violation');
    expect(isAviaryError(await closed, 'xmpp.policy-violation')).toBe(true);
  });
});

describe('XmlStream: pause and resume', () => {
  it('stops delivering while paused and delivers on resume; both are idempotent', async () => {
    const { stream, peer, elements } = await openStream();
    stream.pause();
    stream.pause();
    expect(stream.paused).toBe(true);
    await peer.send("<message id='held'/>");
    // A full round trip through the server: the message is in our receive buffer by now.
    await stream.write('<r/>');
    await peer.waitFor('<r/>');
    await new Promise((resolve) => setImmediate(resolve));
    expect(elements).toHaveLength(0);
    stream.resume();
    stream.resume();
    expect(stream.paused).toBe(false);
    await until(() => elements.length === 1);
    expect(elements[0]?.attrs.id).toBe('held');
    stream.destroy();
  });

  it('pause and resume after close do nothing', async () => {
    const { stream, peer, closed } = await openStream();
    await peer.send('</stream:stream>');
    await peer.waitFor('</stream:stream>');
    peer.end();
    expect(isAviaryError(await closed, 'xmpp.connection-failed')).toBe(true);
    stream.pause();
    stream.resume();
    expect(stream.closed).toBe(true);
  });
});
