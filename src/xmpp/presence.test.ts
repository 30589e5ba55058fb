import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { readPresence, subscriptionAnswer } from './presence.js';

describe('readPresence (RFC 6121 §3–4)', () => {
  it('reads availability with show, status and a clamped priority', () => {
    const stanza = xml(
      'presence',
      { from: 'juliet@capulet.example/balcony' },
      xml('show', {}, 'dnd'),
      xml('status', {}, 'busy'),
      xml('priority', {}, '500'),
    );
    expect(readPresence(stanza)).toEqual({
      kind: 'availability',
      from: 'juliet@capulet.example/balcony',
      available: true,
      show: 'dnd',
      status: 'busy',
      priority: 127,
    });
    expect(
      readPresence(
        xml('presence', { from: 'juliet@capulet.example/balcony', type: 'unavailable' }),
      ),
    ).toMatchObject({
      kind: 'availability',
      available: false,
    });
  });

  it('reads subscription stanzas and ignores errors, probes and presence without from', () => {
    expect(
      readPresence(xml('presence', { from: 'juliet@capulet.example', type: 'subscribe' })),
    ).toEqual({
      kind: 'subscription',
      type: 'subscribe',
      from: 'juliet@capulet.example',
    });
    expect(readPresence(xml('presence', { from: 'x@y.example', type: 'error' }))).toMatchObject({
      kind: 'ignored',
    });
    expect(readPresence(xml('presence', { from: 'x@y.example', type: 'probe' }))).toMatchObject({
      kind: 'ignored',
    });
    expect(readPresence(xml('presence'))).toMatchObject({ kind: 'ignored' });
  });

  it('answers a request', () => {
    expect(subscriptionAnswer('juliet@capulet.example', true).toString()).toBe(
      '<presence to="juliet@capulet.example" type="subscribed"/>',
    );
    expect(subscriptionAnswer('juliet@capulet.example', false).attrs.type).toBe('unsubscribed');
  });
});
