import { describe, expect, it } from 'vitest';
import { createStreamGuard } from './stream-guard.js';

const HEADER =
  "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' version='1.0'>";
const bytes = (s: string) => Buffer.from(s, 'utf8');

describe('createStreamGuard', () => {
  it('accepts a normal stream split at every byte', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 200 });
    const text = `${HEADER}<message to='a@b' type="chat"><body>a &lt; b &gt; c / "é"</body></message> <presence/><iq type='get' id='1'><ping xmlns='urn:xmpp:ping'/></iq><message><body><![CDATA[<x>]]></body></message></stream:stream>`;
    for (const byte of bytes(text)) expect(guard.scan(Uint8Array.of(byte))).toBeUndefined();
    expect(guard.depth).toBe(0);
  });

  it('refuses a DOCTYPE, also split across chunks', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 1000 });
    expect(guard.scan(bytes('<?xml version="1.0"?><!DOC'))).toBeUndefined();
    expect(guard.scan(bytes('TYPE stream [<!ENTITY a "b">]>'))).toEqual({
      condition: 'policy-violation',
      text: 'DOCTYPE is not allowed on an XMPP stream',
    });
    expect(guard.scan(bytes('<message/>'))?.condition).toBe('policy-violation');
  });

  it('refuses a DOCTYPE inside the stream, comments and processing instructions', () => {
    expect(
      createStreamGuard({ maxStanzaBytes: 1000 }).scan(bytes(`${HEADER}<!DOCTYPE x>`))?.condition,
    ).toBe('policy-violation');
    expect(
      createStreamGuard({ maxStanzaBytes: 1000 }).scan(bytes(`${HEADER}<message><!-- c -->`))
        ?.condition,
    ).toBe('restricted-xml');
    expect(
      createStreamGuard({ maxStanzaBytes: 1000 }).scan(bytes(`${HEADER}<message><?pi x?>`))
        ?.condition,
    ).toBe('restricted-xml');
  });

  it('limits the size of one stanza, not of the stream', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 100 });
    expect(guard.scan(bytes(HEADER))).toBeUndefined();
    const small = `<message><body>${'x'.repeat(60)}</body></message>`;
    for (let i = 0; i < 100; i++) expect(guard.scan(bytes(small))).toBeUndefined();
    const big = `<message><body>${'x'.repeat(100)}</body></message>`;
    expect(guard.scan(bytes(big))).toEqual({
      condition: 'policy-violation',
      text: 'stanza larger than 100 bytes',
    });
  });

  it('counts bytes, not characters, and quoted ">" does not end a tag', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 45 });
    expect(guard.scan(bytes(`${HEADER}<m a='>/>'><b>${'é'.repeat(10)}</b></m>`))).toBeUndefined();
    expect(guard.depth).toBe(1);
    expect(guard.scan(bytes(`<m><b>${'é'.repeat(20)}</b></m>`))?.condition).toBe(
      'policy-violation',
    );
  });

  it('starts over after reset (stream restart)', () => {
    const guard = createStreamGuard({ maxStanzaBytes: 100 });
    guard.scan(bytes(`${HEADER}<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`));
    guard.reset();
    expect(guard.depth).toBe(0);
    expect(guard.scan(bytes(HEADER))).toBeUndefined();
    expect(guard.depth).toBe(1);
  });
});
