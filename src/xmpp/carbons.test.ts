import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { carbonsEnableIq, readCarbon } from './carbons.js';

const own = 'romeo@montague.example/garden';

function carbon(kind: 'sent' | 'received', wrapperFrom: string | undefined) {
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
          {
            xmlns: 'jabber:client',
            from: 'juliet@capulet.example/balcony',
            to: 'romeo@montague.example/home',
            type: 'chat',
          },
          xml('body', {}, 'Wherefore art thou, Romeo?'),
        ),
      ),
    ),
  );
}

describe('readCarbon (XEP-0280)', () => {
  it('unwraps a received carbon from the own bare JID into a detached jabber:client message', () => {
    const reading = readCarbon(carbon('received', 'romeo@montague.example'), own);
    if (reading.kind !== 'carbon') throw new Error(`not a carbon: ${reading.kind}`);
    expect(reading.direction).toBe('received');
    expect(reading.message.parent).toBeNull();
    expect(reading.message.attrs).toMatchObject({
      xmlns: 'jabber:client',
      from: 'juliet@capulet.example/balcony',
    });
    expect(reading.message.getChildText('body')).toBe('Wherefore art thou, Romeo?');
  });

  it('tells a sent carbon, and compares the bare JID normalised', () => {
    const reading = readCarbon(carbon('sent', 'Romeo@Montague.Example'), own);
    expect(reading).toMatchObject({ kind: 'carbon', direction: 'sent' });
  });

  it('refuses a carbon from another JID, from a full JID of another account, or without from', () => {
    expect(readCarbon(carbon('received', 'mallory@evil.example'), own)).toEqual({
      kind: 'forged',
      direction: 'received',
      from: 'mallory@evil.example',
    });
    expect(readCarbon(carbon('sent', 'juliet@capulet.example/balcony'), own)).toMatchObject({
      kind: 'forged',
      direction: 'sent',
    });
    expect(readCarbon(carbon('received', undefined), own)).toMatchObject({
      kind: 'forged',
      from: '',
    });
  });

  it('reports a genuine wrapper without a forwarded message as malformed', () => {
    const empty = xml(
      'message',
      { from: 'romeo@montague.example' },
      xml('received', { xmlns: 'urn:xmpp:carbons:2' }),
    );
    expect(readCarbon(empty, own)).toMatchObject({ kind: 'malformed', direction: 'received' });
  });

  it('leaves other messages alone', () => {
    expect(readCarbon(xml('message', { from: 'juliet@capulet.example' }), own)).toEqual({
      kind: 'none',
    });
    expect(readCarbon(xml('presence'), own)).toEqual({ kind: 'none' });
  });

  it('builds the enable request', () => {
    expect(carbonsEnableIq().toString()).toBe(
      '<iq type="set"><enable xmlns="urn:xmpp:carbons:2"/></iq>',
    );
  });
});
