import { describe, expect, it } from 'vitest';
import { buildXmppUri, parseXmppUri } from './xmpp-uri.js';

describe('parseXmppUri (RFC 5122)', () => {
  it('parses a XEP-0277 comments link with percent-encoded node', () => {
    expect(
      parseXmppUri('xmpp:pubsub.example.org?;node=urn%3Axmpp%3Amicroblog%3A0%3Acomments%2Fabc'),
    ).toEqual({
      jid: 'pubsub.example.org',
      action: '',
      params: { node: 'urn:xmpp:microblog:0:comments/abc' },
    });
  });

  it('parses actions, several parameters, authority, fragment and escaped JIDs', () => {
    expect(
      parseXmppUri('xmpp://me@example.com/room%40muc.example.com?join;password=a%3Bb#top'),
    ).toEqual({
      jid: 'room@muc.example.com',
      authority: 'me@example.com',
      action: 'join',
      params: { password: 'a;b' },
      fragment: 'top',
    });
    expect(parseXmppUri('xmpp:louise@example.org')).toEqual({
      jid: 'louise@example.org',
      params: {},
    });
    expect(parseXmppUri('XMPP:a@b?pubsub;action=subscribe;node=n')?.params).toEqual({
      action: 'subscribe',
      node: 'n',
    });
  });

  it('returns undefined for other schemes, an empty JID or a bad escape', () => {
    expect(parseXmppUri('https://example.org')).toBeUndefined();
    expect(parseXmppUri('xmpp:?;node=x')).toBeUndefined();
    expect(parseXmppUri('xmpp:a@b?;node=%E0%A4%A')).toBeUndefined();
  });

  it('round-trips what buildXmppUri writes', () => {
    const uri = buildXmppUri('pubsub.example.org', '', {
      node: 'urn:xmpp:microblog:0:comments/a;b',
    });
    expect(uri).toBe('xmpp:pubsub.example.org?;node=urn%3Axmpp%3Amicroblog%3A0%3Acomments%2Fa%3Bb');
    expect(parseXmppUri(uri)?.params['node']).toBe('urn:xmpp:microblog:0:comments/a;b');
  });
});
