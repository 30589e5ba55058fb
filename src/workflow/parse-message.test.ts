import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isAviaryError } from '../errors.js';
import { SimulatedClock } from '../util/clock.js';
import { buildMessage } from './build-message.js';
import { isValidJid } from './jid.js';
import { WIRE_MESSAGE_TYPES } from './message-data.js';
import { type ParseDeps, parseMessage } from './parse-message.js';
import { counterUids, sampleMessage } from './test-fixtures.js';
import { parseXml } from './xml.js';

const NOW = Date.UTC(2026, 0, 2, 3, 4, 5);

function deps(overrides: Partial<ParseDeps> = {}): ParseDeps {
  return {
    ownJid: 'romeo@montague.lit/orchard',
    entityKind: 'client',
    newUid: counterUids('new'),
    clock: new SimulatedClock(NOW),
    ...overrides,
  };
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(isAviaryError(error, 'stanza.invalid')).toBe(true);
    return (error as { details: { reason: string } }).details.reason;
  }
  throw new Error('expected stanza.invalid');
}

describe('parseMessage', () => {
  it('applies defaults: from = server domain, to = own JID, type normal, fresh uid, now', () => {
    const m = parseMessage('<message xmlns="jabber:client"><body>hi</body></message>', deps());
    expect(m).toEqual({
      uid: 'new-1',
      from: 'montague.lit',
      to: 'romeo@montague.lit/orchard',
      type: 'normal',
      message: { '': 'hi' },
      subject: {},
      timestamp: NOW,
      extra: {},
    });
    expect(
      parseMessage('<message xmlns="jabber:client"/>', deps({ serverDomain: 'srv.lit' })).from,
    ).toBe('srv.lit');
  });

  it('reads bodies and subjects by language, inheriting the stanza language', () => {
    const m = parseMessage(
      `<message xmlns="jabber:client" xml:lang="en" from="Juliet@Capulet.lit/Balcony" to="romeo@montague.lit" type="chat" id="m1">
        <body>Hello</body><body xml:lang="fr">Bonjour</body><body xml:lang="fr">ignored</body>
        <subject xml:lang="de">Gruß</subject><thread parent="p0">t1</thread></message>`,
      deps(),
    );
    expect(m.message).toEqual({ en: 'Hello', fr: 'Bonjour' });
    expect(m.subject).toEqual({ de: 'Gruß' });
    expect(m.from).toBe('juliet@capulet.lit/Balcony');
    expect(m.type).toBe('chat');
    expect(m.id).toBe('m1');
    expect(m.thread).toBe('t1');
    expect(m.threadParent).toBe('p0');
  });

  it('takes the timestamp from a XEP-0203 delay and keeps when it was received', () => {
    const m = parseMessage(
      `<message xmlns="jabber:client" from="juliet@capulet.lit"><body>late</body>
        <delay xmlns="urn:xmpp:delay" from="Capulet.lit" stamp="2002-09-10T23:08:25.5+02:00"/></message>`,
      deps(),
    );
    expect(m.timestamp).toBe(Date.UTC(2002, 8, 10, 21, 8, 25, 500));
    expect(m.receivedTimestamp).toBe(NOW);
    expect(m.delaySender).toBe('capulet.lit');
  });

  it('rejects a delay with a missing or non-XEP-0082 stamp', () => {
    const delay = (stamp: string) =>
      `<message xmlns="jabber:client"><delay xmlns="urn:xmpp:delay" ${stamp}/></message>`;
    expect(reasonOf(() => parseMessage(delay(''), deps()))).toBe('delay without stamp');
    expect(reasonOf(() => parseMessage(delay('stamp="2002-09-10 23:08:25"'), deps()))).toMatch(
      /invalid delay stamp/,
    );
    // A delay in another namespace is not a delay.
    const foreign = parseMessage(
      '<message xmlns="jabber:client"><delay xmlns="urn:other" stamp="x"/></message>',
      deps(),
    );
    expect(foreign.timestamp).toBe(NOW);
  });

  it('trusts a stanza-id only when `by` is our own bare JID (XEP-0359 §5)', () => {
    const ids = `<stanza-id xmlns="urn:xmpp:sid:0" id="forged" by="evil.lit"/>
      <stanza-id xmlns="urn:xmpp:sid:0" id="archived" by="Romeo@Montague.lit"/>
      <origin-id xmlns="urn:xmpp:sid:0" id="orig-9"/>`;
    const m = parseMessage(`<message xmlns="jabber:client">${ids}</message>`, deps());
    expect(m.stanzaId).toEqual({ id: 'archived', by: 'romeo@montague.lit' });
    expect(m.originId).toBe('orig-9');
    const untrusted = parseMessage(
      '<message xmlns="jabber:client"><stanza-id xmlns="urn:xmpp:sid:0" id="x" by="evil.lit"/></message>',
      deps(),
    );
    expect(untrusted.stanzaId).toBeUndefined();
    const room = parseMessage(
      '<message xmlns="jabber:client"><stanza-id xmlns="urn:xmpp:sid:0" id="r1" by="room@muc.lit"/></message>',
      deps({ trustStanzaIdBy: (by) => by === 'room@muc.lit' }),
    );
    expect(room.stanzaId).toEqual({ id: 'r1', by: 'room@muc.lit' });
  });

  it('maps a stanza id back to the uid of a message we sent', () => {
    const seen: [string, string][] = [];
    const m = parseMessage(
      '<message xmlns="jabber:client" from="room@muc.lit/romeo" type="groupchat" id="s1"><body>x</body></message>',
      deps({
        uidForId: (fromBare, id) => {
          seen.push([fromBare, id]);
          return id === 's1' ? 'sent-uid' : undefined;
        },
      }),
    );
    expect(m.uid).toBe('sent-uid');
    expect(seen).toEqual([['room@muc.lit', 's1']]);
  });

  it('reads XEP-0066, XEP-0447 and XEP-0385 attachments, one per URL', () => {
    const m = parseMessage(
      `<message xmlns="jabber:client"><body>https://up.lit/a.png</body>
        <file-sharing xmlns="urn:xmpp:sfs:0"><file xmlns="urn:xmpp:file:metadata:0">
          <media-type>image/png</media-type><name>a.png</name><size>1234</size>
          <hash xmlns="urn:xmpp:hashes:2" algo="sha-256">AAAA</hash></file>
          <sources><url-data xmlns="http://jabber.org/protocol/url-data" target="https://up.lit/a.png"/></sources>
        </file-sharing>
        <reference xmlns="urn:xmpp:reference:0" type="data"><media-sharing xmlns="urn:xmpp:sims:1">
          <file xmlns="urn:xmpp:jingle:apps:file-transfer:5"><name>b.pdf</name><desc>Report</desc></file>
          <sources><reference xmlns="urn:xmpp:reference:0" type="data" uri="https://up.lit/b.pdf"/></sources>
        </media-sharing></reference>
        <x xmlns="jabber:x:oob"><url>https://up.lit/a.png</url></x>
        <x xmlns="jabber:x:oob"><url> https://up.lit/c%20d.ogg </url><desc>voice</desc></x>
        <x xmlns="jabber:x:oob"><url>not a url</url></x></message>`,
      deps(),
    );
    expect(m.extra['attachments']).toEqual([
      {
        url: 'https://up.lit/a.png',
        sources: [{ url: 'https://up.lit/a.png' }],
        name: 'a.png',
        mediaType: 'image/png',
        size: 1234,
        hashes: { 'sha-256': 'AAAA' },
      },
      {
        url: 'https://up.lit/b.pdf',
        sources: [{ url: 'https://up.lit/b.pdf' }],
        name: 'b.pdf',
        desc: 'Report',
      },
      { url: 'https://up.lit/c%20d.ogg', desc: 'voice' },
    ]);
  });

  it('reads back what buildMessage wrote', () => {
    const sent = sampleMessage({
      message: { '': 'Hello', fr: 'Bonjour' },
      subject: { en: 'S' },
      thread: 't',
      threadParent: 'p',
    });
    const { xml } = buildMessage(sent, { isRoom: () => false });
    const m = parseMessage(xml, deps());
    expect(m).toMatchObject({
      from: sent.from,
      to: sent.to,
      type: 'chat',
      id: sent.uid,
      originId: sent.uid,
      message: sent.message,
      subject: sent.subject,
      thread: 't',
      threadParent: 'p',
    });
  });

  it.each([
    ['<message xmlns="jabber:client"', 'malformed XML'],
    ['<!DOCTYPE x><message xmlns="jabber:client"/>', 'DOCTYPE is not allowed'],
    ['<presence xmlns="jabber:client"/>', '<presence/> is not a message'],
    ['<message xmlns="jabber:server"/>', 'message in namespace "jabber:server"'],
    ['<message/>', 'message in namespace ""'],
    [
      '<message xmlns="jabber:component:accept"/>',
      'message in namespace "jabber:component:accept"',
    ],
    ['<message xmlns="jabber:client" type="chatty"/>', 'invalid type "chatty"'],
    ['<message xmlns="jabber:client" type="info"/>', 'invalid type "info"'],
    ['<message xmlns="jabber:client" from="a@@b"/>', 'invalid from JID "a@@b"'],
    ['<message xmlns="jabber:client" to=""/>', 'invalid to JID ""'],
    [
      '<message xmlns="jabber:client"><thread parent="p"/></message>',
      'thread parent without thread',
    ],
    [
      '<message xmlns="jabber:client"><delay xmlns="urn:xmpp:delay" stamp="2002-09-10T23:08:25Z" from="x y"/></message>',
      'invalid delay from JID "x y"',
    ],
  ])('rejects %s with stanza.invalid (%s)', (xml, reason) => {
    expect(reasonOf(() => parseMessage(xml, deps()))).toBe(reason);
  });

  it('rejects things that are not elements', () => {
    // biome-ignore lint/suspicious/noExplicitAny: untyped input from outside.
    expect(reasonOf(() => parseMessage({ name: 1 } as any, deps()))).toBe('not an XML element');
  });
});

describe('component namespace', () => {
  const body = `from="juliet@capulet.lit/b" to="bot.montague.lit" type="chat" id="i1"><body xml:lang="en">hi</body>
    <thread>t</thread><delay xmlns="urn:xmpp:delay" stamp="2020-01-01T00:00:00Z"/>
    <x xmlns="jabber:x:oob"><url>https://x.lit/f.txt</url></x>`;
  const componentDeps = () => deps({ ownJid: 'bot.montague.lit', entityKind: 'component' });

  it('a jabber:component:accept stanza parses exactly like the jabber:client one', () => {
    const asClient = parseMessage(
      `<message xmlns="jabber:client" ${body}</message>`,
      componentDeps(),
    );
    const asComponent = parseMessage(
      `<message xmlns="jabber:component:accept" ${body}</message>`,
      componentDeps(),
    );
    expect(asComponent).toEqual(asClient);
    expect(asComponent.message).toEqual({ en: 'hi' });
    expect(asComponent.extra['attachments']).toEqual([{ url: 'https://x.lit/f.txt' }]);
  });

  it('handles a stanza inheriting the namespace from its stream and prefixed declarations', () => {
    const stream = parseXml(
      `<stream:stream xmlns:stream="http://etherx.jabber.org/streams" xmlns="jabber:component:accept"><message ${body}</message></stream:stream>`,
    );
    const stanza = stream.children.find((c) => typeof c !== 'string');
    const fromStream = parseMessage(stanza as never, componentDeps());
    const prefixed = parseMessage(
      `<c:message xmlns:c="jabber:component:accept" from="juliet@capulet.lit/b"><c:body>hi</c:body></c:message>`,
      componentDeps(),
    );
    expect(fromStream.message).toEqual({ en: 'hi' });
    expect(fromStream.thread).toBe('t');
    expect(prefixed.message).toEqual({ '': 'hi' });
  });

  it('clients do not accept the component namespace', () => {
    expect(
      reasonOf(() =>
        parseMessage(`<message xmlns="jabber:component:accept" ${body}</message>`, deps()),
      ),
    ).toMatch(/namespace/);
  });
});

describe('parseMessage property', () => {
  const valid =
    '<message xmlns="jabber:client" from="a@b.lit/r" to="c@d.lit" type="chat" id="1">' +
    '<body xml:lang="en">hi</body><thread parent="p">t</thread>' +
    '<delay xmlns="urn:xmpp:delay" stamp="2002-09-10T23:08:25Z" from="b.lit"/>' +
    '<stanza-id xmlns="urn:xmpp:sid:0" id="s" by="c@d.lit"/>' +
    '<x xmlns="jabber:x:oob"><url>https://x.lit/a%ZZ.png</url></x></message>';

  it('never throws anything but AviaryError on random or mutated stanzas', () => {
    const mutated = fc
      .tuple(fc.nat({ max: valid.length }), fc.nat({ max: 12 }), fc.string({ maxLength: 12 }))
      .map(([at, cut, insert]) => valid.slice(0, at) + insert + valid.slice(at + cut));
    const anything = fc.oneof(
      fc.string(),
      mutated,
      fc.string({
        unit: fc.constantFrom('<', '>', '/', '"', '=', 'a', ' ', 'message', 'xmlns', ':', '&'),
      }),
    );
    let parsed = 0;
    const run = (xml: string, entityKind: 'client' | 'component') => {
      try {
        const m = parseMessage(xml, deps({ entityKind }));
        parsed++;
        expect(isValidJid(m.from) && isValidJid(m.to)).toBe(true);
        expect(WIRE_MESSAGE_TYPES).toContain(m.type);
        expect(Number.isFinite(m.timestamp)).toBe(true);
        expect(structuredClone(m)).toEqual(m);
      } catch (error) {
        if (!isAviaryError(error, 'stanza.invalid')) throw error;
        // An internal exception would surface as the catch-all reason: there must be none.
        expect(error.details?.['reason']).not.toBe('unreadable stanza');
      }
    };
    fc.assert(
      fc.property(anything, fc.constantFrom<'client' | 'component'>('client', 'component'), run),
      { numRuns: 2_000 },
    );
    // Some mutations keep the stanza valid: the property is not vacuous.
    expect(parsed).toBeGreaterThan(0);
  });

  it('never throws anything but AviaryError on random element trees', () => {
    const names = fc.constantFrom(
      'message',
      'body',
      'subject',
      'thread',
      'delay',
      'stanza-id',
      'origin-id',
      'x',
      'url',
      'file-sharing',
      'file',
      'sources',
      'url-data',
      'reference',
      'media-sharing',
      'p:body',
    );
    const values = fc.oneof(
      fc.constantFrom(
        'jabber:client',
        'jabber:component:accept',
        'urn:xmpp:delay',
        'urn:xmpp:sid:0',
        'jabber:x:oob',
        'urn:xmpp:sfs:0',
        'romeo@montague.lit',
        '2002-09-10T23:08:25Z',
        'chat',
        'https://x.lit/a.png',
      ),
      fc.string({ maxLength: 8 }),
      fc.integer(),
      fc.constant(undefined),
    );
    const attrs = fc.dictionary(
      fc.constantFrom(
        'xmlns',
        'xmlns:p',
        'from',
        'to',
        'type',
        'id',
        'by',
        'stamp',
        'xml:lang',
        'parent',
        'target',
        'uri',
        'algo',
        '__proto__',
      ),
      values,
      { maxKeys: 5 },
    );
    const { tree } = fc.letrec<{ tree: unknown }>((tie) => ({
      tree: fc.record({
        name: names,
        attrs,
        children: fc.array(
          fc.oneof({ depthSize: 'small' }, fc.string({ maxLength: 6 }), tie('tree')),
          { maxLength: 4 },
        ),
      }),
    }));
    // Roots are messages in one of the two stanza namespaces, so parsing gets past the root.
    const root = fc
      .tuple(tree, fc.constantFrom('jabber:client', 'jabber:component:accept'))
      .map(([t, xmlns]) => {
        const r = t as { attrs: Record<string, unknown> };
        return { ...r, name: 'message', attrs: { ...r.attrs, xmlns } };
      });
    let parsed = 0;
    fc.assert(
      fc.property(
        root,
        fc.constantFrom<'client' | 'component'>('client', 'component'),
        (element, entityKind) => {
          try {
            const m = parseMessage(element as never, deps({ entityKind }));
            parsed++;
            expect(structuredClone(m)).toEqual(m);
          } catch (error) {
            if (!isAviaryError(error, 'stanza.invalid')) throw error;
            expect(error.details?.['reason']).not.toBe('unreadable stanza');
          }
        },
      ),
      { numRuns: 1_000 },
    );
    expect(parsed).toBeGreaterThan(50);
  });
});
