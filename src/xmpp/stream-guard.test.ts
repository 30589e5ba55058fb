import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { OversizeStanza } from './oversize-stanza.js';
import { createStreamGuard, type GuardViolation, type StreamGuard } from './stream-guard.js';

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' version='1.0'>";
const bytes = (s: string) => Buffer.from(s, 'utf8');

/** Feeds `chunks` and collects what the guard hands on, in order. */
function feed(guard: StreamGuard, chunks: Iterable<Uint8Array>) {
  const passed: Buffer[] = [];
  const oversize: OversizeStanza[] = [];
  const order: string[] = [];
  let violation: GuardViolation | undefined;
  for (const chunk of chunks) {
    for (const event of guard.scan(chunk)) {
      if (event.type === 'bytes') {
        passed.push(Buffer.from(event.bytes));
        order.push('bytes');
      } else if (event.type === 'oversize') {
        oversize.push(event.stanza);
        order.push(`oversize:${event.stanza.id}`);
      } else violation = event.violation;
    }
  }
  return { text: Buffer.concat(passed).toString('utf8'), oversize, violation, order };
}

const violationOf = (text: string, maxStanzaBytes = 1000) =>
  feed(createStreamGuard({ maxStanzaBytes }), [bytes(text)]).violation;

describe('createStreamGuard', () => {
  it('passes a normal stream split at every byte, without the character data between stanzas', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 200 });
    const stanzas = `<message to='a@b' type="chat"><body>a &lt; b &gt; c / "é" &#x1F600; &#233;</body></message><presence/><iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq><message><body><![CDATA[<x> & y]]></body></message>`;
    const text = `${HEADER}\n ${stanzas.replace('<presence/>', ' <presence/>\n')}</stream:stream>`;
    const result = feed(
      guard,
      [...bytes(text)].map((b) => Uint8Array.of(b)),
    );
    expect(result.violation).toBeUndefined();
    expect(result.text).toBe(`${HEADER}${stanzas}</stream:stream>`);
    expect(guard.depth).toBe(0);
  });

  it('passes consecutive complete stanzas of one chunk as one slice', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 200 });
    feed(guard, [bytes(HEADER)]);
    expect(guard.scan(bytes('<a/><b>x</b><c/>'))).toHaveLength(1);
    expect(guard.scan(bytes('<a/> <b>x</b>'))).toHaveLength(2);
  });

  it('refuses a DOCTYPE, also split across chunks', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 1000 });
    expect(feed(guard, [bytes('<?xml version="1.0"?><!DOC')]).violation).toBeUndefined();
    const refused = {
      condition: 'policy-violation',
      text: 'DOCTYPE is not allowed on an XMPP stream',
    };
    expect(feed(guard, [bytes('TYPE stream [<!ENTITY a "b">]>')]).violation).toEqual(refused);
    expect(feed(guard, [bytes('<message/>')]).violation).toEqual(refused);
  });

  it('refuses a DOCTYPE inside the stream, comments and processing instructions', () => {
    expect(violationOf(`${HEADER}<!DOCTYPE x>`)?.condition).toBe('policy-violation');
    expect(violationOf(`${HEADER}<message><!-- c -->`)?.condition).toBe('restricted-xml');
    expect(violationOf(`${HEADER}<message><?pi x?>`)?.condition).toBe('restricted-xml');
  });

  it('refuses what the XML parser would throw on: bad references, illegal characters', () => {
    const inBody = (s: string) => violationOf(`${HEADER}<message><body>${s}</body></message>`);
    expect(inBody('&#0;')).toEqual({
      condition: 'not-well-formed',
      text: '&#0; is not a legal XML character',
    });
    expect(inBody('&#xD800;')?.condition).toBe('not-well-formed');
    expect(inBody('&#x110000;')?.condition).toBe('not-well-formed');
    expect(inBody('&foo;')).toEqual({
      condition: 'restricted-xml',
      text: 'entity reference &foo; is not allowed',
    });
    expect(inBody('fish & chips')?.condition).toBe('not-well-formed');
    expect(inBody('&#;')?.condition).toBe('not-well-formed');
    expect(inBody(`&${'a'.repeat(100)};`)?.condition).toBe('not-well-formed');
    expect(inBody('\u0000')).toEqual({
      condition: 'not-well-formed',
      text: 'illegal character 0x0',
    });
    expect(inBody('\u001b[31m')?.condition).toBe('not-well-formed');
    expect(violationOf(`${HEADER}<message id='&bar;'/>`)?.condition).toBe('restricted-xml');
    expect(violationOf(`${HEADER}<message id="&#1;"/>`)?.condition).toBe('not-well-formed');
    expect(violationOf(`\u0000${HEADER}`)?.condition).toBe('not-well-formed');
  });

  it('refuses an end tag outside the stream', () => {
    expect(violationOf('</stream:stream>')).toEqual({
      condition: 'not-well-formed',
      text: 'end tag outside the stream',
    });
  });

  it('skips an oversize stanza whole, reports its start tag, and passes the next one', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 100 });
    const big = `<iq type='get' id='q&amp;1' from="x@y/z" to='me@y'><query>${'x'.repeat(150)}</query></iq>`;
    const after = `<message id='after'><body>ok</body></message>`;
    const text = `${HEADER}<presence id='before'/>${big}${after}`;
    for (const size of [1, 7, 64, text.length]) {
      const all = bytes(text);
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < all.length; i += size) chunks.push(all.subarray(i, i + size));
      const result = feed(createStreamGuard({ maxStanzaBytes: 100 }), chunks);
      expect(result.violation).toBeUndefined();
      expect(result.text).toBe(`${HEADER}<presence id='before'/>${after}`);
      expect(result.oversize).toEqual([
        {
          name: 'iq',
          id: 'q&1',
          type: 'get',
          from: 'x@y/z',
          to: 'me@y',
          bytes: bytes(big).length,
          limit: 'bytes',
        },
      ]);
    }
    // The report comes between the stanzas around it.
    expect(feed(guard, [bytes(`${HEADER}<a/>${big}<b/>`)]).order).toEqual([
      'bytes',
      'oversize:q&1',
      'bytes',
    ]);
  });

  it('closes the stream for an oversize element that is not a stanza, or past the hard limit', () => {
    expect(
      violationOf(`${HEADER}<stream:features><x>${'a'.repeat(200)}</x></stream:features>`, 100),
    ).toEqual({ condition: 'policy-violation', text: 'stanza larger than 100 bytes' });
    expect(violationOf(`${HEADER}<message><body>${'a'.repeat(399)}`, 100)).toEqual({
      condition: 'policy-violation',
      text: 'stanza larger than 400 bytes',
    });
    const guard = createStreamGuard({ maxStanzaBytes: 100, hardLimitBytes: 1000 });
    const result = feed(guard, [bytes(`${HEADER}<message>${'a'.repeat(900)}</message><x/>`)]);
    expect(result.violation).toBeUndefined();
    expect(result.oversize.map((s) => s.bytes)).toEqual([919]);
    expect(result.text).toBe(`${HEADER}<x/>`);
  });

  it('skips a stanza nested deeper than maxDepth; refuses a deep element that is not a stanza', () => {
    const deep = (n: number) => `${'<n>'.repeat(n)}${'</n>'.repeat(n)}`;
    const guard = createStreamGuard({ maxStanzaBytes: 10_000, maxDepth: 20 });
    const ok = `<message id='ok'>${deep(19)}</message>`;
    const tooDeep = `<message id='deep'>${deep(20)}</message>`;
    const result = feed(guard, [bytes(`${HEADER}${ok}${tooDeep}<presence/>`)]);
    expect(result.violation).toBeUndefined();
    expect(result.text).toBe(`${HEADER}${ok}<presence/>`);
    expect(result.oversize).toEqual([
      expect.objectContaining({
        name: 'message',
        id: 'deep',
        limit: 'depth',
        bytes: bytes(tooDeep).length,
      }),
    ]);
    expect(
      feed(createStreamGuard({ maxStanzaBytes: 10_000, maxDepth: 20 }), [
        bytes(`${HEADER}${deep(30)}`),
      ]).violation,
    ).toEqual({ condition: 'policy-violation', text: 'elements nested deeper than 20' });
    // The default keeps a parsed tree far from any recursion limit.
    const defaults = feed(createStreamGuard({ maxStanzaBytes: 1 << 20 }), [
      bytes(`${HEADER}<message>${deep(5000)}</message><presence/>`),
    ]);
    expect(defaults.oversize.map((s) => s.limit)).toEqual(['depth']);
    expect(defaults.text).toBe(`${HEADER}<presence/>`);
  });

  it('limits the size of one stanza, not of the stream', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 100 });
    expect(feed(guard, [bytes(HEADER)]).violation).toBeUndefined();
    const small = `<message><body>${'x'.repeat(60)}</body></message>`;
    const smalls = feed(
      guard,
      Array.from({ length: 100 }, () => bytes(small)),
    );
    expect(smalls.violation).toBeUndefined();
    expect(smalls.text).toBe(small.repeat(100));
    expect(feed(guard, [bytes(' '.repeat(10_000))]).violation).toBeUndefined();
  });

  it('counts bytes, not characters, and quoted ">" does not end a tag', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 45 });
    const fits = `<m a='>/>'><b>${'é'.repeat(10)}</b></m>`;
    expect(feed(guard, [bytes(`${HEADER}${fits}`)]).text).toBe(`${HEADER}${fits}`);
    expect(guard.depth).toBe(1);
    expect(feed(guard, [bytes(`<m><b>${'é'.repeat(20)}</b></m>`)]).violation?.condition).toBe(
      'policy-violation',
    );
  });

  it('starts over after reset (stream restart)', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 100 });
    feed(guard, [bytes(`${HEADER}<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><a`)]);
    guard.reset();
    expect(guard.depth).toBe(0);
    expect(feed(guard, [bytes(HEADER)]).text).toBe(HEADER);
    expect(guard.depth).toBe(1);
  });

  it('hands on the same bytes and reports whatever the chunking (property)', () => {
    const stanza = fc.oneof(
      fc.constantFrom('<presence/>', '<a b="&amp;&#10;"/>', ' ', '\n', '<c><![CDATA[</c>]]></c>'),
      fc
        .record({
          id: fc.nat(),
          body: fc.string({ maxLength: 150, unit: 'grapheme' }),
          quote: fc.boolean(),
        })
        .map(({ id, body, quote }) => {
          const text = body.replace(/&/g, '&amp;').replace(/</g, '&lt;');
          const q = quote ? '"' : "'";
          return `<message id=${q}m${id}${q}><body>${text}</body></message>`;
        }),
    );
    fc.assert(
      fc.property(
        fc.array(stanza, { maxLength: 30 }),
        fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
        (stanzas, cuts) => {
          const all = bytes(`${HEADER}${stanzas.join('')}`);
          const chunks: Uint8Array[] = [];
          for (let i = 0, k = 0; i < all.length; k++) {
            const size = cuts[k % cuts.length] as number;
            chunks.push(all.subarray(i, i + size));
            i += size;
          }
          const whole = feed(createStreamGuard({ maxStanzaBytes: 120 }), [all]);
          const split = feed(createStreamGuard({ maxStanzaBytes: 120 }), chunks);
          expect(split.violation).toEqual(whole.violation);
          expect(split.text).toBe(whole.text);
          expect(split.oversize).toEqual(whole.oversize);
          expect(whole.violation).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses hostile input the same way whatever the chunking (property)', () => {
    const fragment = fc.oneof(
      fc.constantFrom(
        '<message><body>ok</body></message>',
        `<message id='big'>${'b'.repeat(300)}</message>`,
        `<iq type='get' id='q'>${'<n/>'.repeat(100)}</iq>`,
        '&#0;',
        '<m>&#xD800;</m>',
        '<m>&foo;</m>',
        "<m a='&bar;'/>",
        '<m>a & b</m>',
        '<!DOCTYPE x>',
        '<m><!-- c --></m>',
        '<m><?pi?></m>',
        '</stream:stream></x>',
        '<m>\u0001</m>',
        `<features>${'f'.repeat(200)}</features>`,
        `<message>${'z'.repeat(700)}`,
      ),
      fc.string({ maxLength: 40 }),
    );
    fc.assert(
      fc.property(
        fc.array(fragment, { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 48 }), { minLength: 1, maxLength: 10 }),
        (fragments, cuts) => {
          const all = bytes(`${HEADER}${fragments.join('')}`);
          const chunks: Uint8Array[] = [];
          for (let i = 0, k = 0; i < all.length; k++) {
            const size = cuts[k % cuts.length] as number;
            chunks.push(all.subarray(i, i + size));
            i += size;
          }
          const whole = feed(createStreamGuard({ maxStanzaBytes: 150 }), [all]);
          const split = feed(createStreamGuard({ maxStanzaBytes: 150 }), chunks);
          expect(split.violation).toEqual(whole.violation);
          expect(split.text).toBe(whole.text);
          expect(split.oversize).toEqual(whole.oversize);
        },
      ),
      { numRuns: 300 },
    );
  });
});
