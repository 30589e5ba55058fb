import { describe, expect, it } from 'vitest';
import { describeStartTag, isStanzaName, oversizeReply } from './oversize-stanza.js';

describe('oversize stanzas', () => {
  it('reads name and routing attributes from a start tag, references expanded', () => {
    expect(
      describeStartTag(
        `<iq\ntype="set" id='a&amp;&#x41;' from='x@y/z' to="me@y" xmlns='jabber:client'>`,
      ),
    ).toEqual({
      name: 'iq',
      id: 'a&A',
      type: 'set',
      from: 'x@y/z',
      to: 'me@y',
    });
    expect(describeStartTag('<message>')).toMatchObject({ name: 'message', id: undefined });
    expect(describeStartTag('')).toBeUndefined();
  });

  it('only message, presence and iq are stanzas', () => {
    expect(
      ['message', 'presence', 'iq', 'stream:features', 'success', 'a'].map(isStanzaName),
    ).toEqual([true, true, true, false, false, false]);
  });

  it('answers an IQ get/set with policy-violation, and nothing else', () => {
    const iq = {
      name: 'iq',
      id: "q'1",
      type: 'get',
      from: 'a@b/c',
      to: 'svc.example',
      bytes: 5000,
      limit: 'bytes' as const,
    };
    expect(oversizeReply(iq, 'jabber:client')).toBe(
      "<iq type='error' id='q&apos;1' to='a@b/c'><error type='modify'><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>stanza of 5000 bytes is larger than the receiver accepts</text></error></iq>",
    );
    // A component names itself as the sender (XEP-0114).
    expect(oversizeReply(iq, 'jabber:component:accept')).toContain("from='svc.example'");
    expect(oversizeReply({ ...iq, limit: 'depth' }, 'jabber:client')).toContain(
      '>stanza nested deeper than the receiver accepts<',
    );
    expect(oversizeReply({ ...iq, type: 'result' }, 'jabber:client')).toBeUndefined();
    expect(oversizeReply({ ...iq, type: 'error' }, 'jabber:client')).toBeUndefined();
    expect(oversizeReply({ ...iq, id: undefined }, 'jabber:client')).toBeUndefined();
    expect(
      oversizeReply({ ...iq, name: 'message', type: 'chat' }, 'jabber:client'),
    ).toBeUndefined();
  });
});
