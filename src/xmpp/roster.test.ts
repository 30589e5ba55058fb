import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import {
  parseRosterPush,
  parseRosterResult,
  rosterGetIq,
  rosterRemoveIq,
  rosterSetIq,
} from './roster.js';

const own = 'romeo@montague.example/garden';
const push = (attrs: Record<string, string>, ...items: ReturnType<typeof xml>[]) =>
  xml(
    'iq',
    { type: 'set', id: 'p1', ...attrs },
    xml('query', { xmlns: 'jabber:iq:roster', ver: 'v7' }, ...items),
  );

describe('roster protocol (RFC 6121 §2)', () => {
  it('reads a full result with its version, and an empty result as unchanged', () => {
    const full = xml(
      'iq',
      { type: 'result' },
      xml(
        'query',
        { xmlns: 'jabber:iq:roster', ver: 'v3' },
        xml(
          'item',
          { jid: 'juliet@capulet.example', name: 'Juliet', subscription: 'both' },
          xml('group', {}, 'Friends'),
        ),
        xml('item', { jid: 'nurse@capulet.example', ask: 'subscribe' }),
      ),
    );
    expect(parseRosterResult(full)).toEqual({
      kind: 'full',
      ver: 'v3',
      items: [
        {
          jid: 'juliet@capulet.example',
          name: 'Juliet',
          subscription: 'both',
          groups: ['Friends'],
        },
        { jid: 'nurse@capulet.example', subscription: 'none', groups: [], ask: 'subscribe' },
      ],
    });
    expect(parseRosterResult(xml('iq', { type: 'result' }))).toEqual({ kind: 'unchanged' });
  });

  it('accepts a push from the account (or without from) and reads a removal', () => {
    const set = parseRosterPush(
      push(
        { from: 'romeo@montague.example' },
        xml('item', { jid: 'juliet@capulet.example', subscription: 'to' }),
      ),
      own,
    );
    expect(set).toEqual({
      ok: true,
      push: {
        item: { jid: 'juliet@capulet.example', subscription: 'to', groups: [] },
        removed: false,
        ver: 'v7',
      },
    });
    const removal = parseRosterPush(
      push({}, xml('item', { jid: 'juliet@capulet.example', subscription: 'remove' })),
      own,
    );
    expect(removal).toMatchObject({ ok: true, push: { removed: true } });
  });

  it('refuses a push from anyone else, or with other than one item', () => {
    expect(
      parseRosterPush(
        push({ from: 'mallory@evil.example' }, xml('item', { jid: 'x@y.example' })),
        own,
      ),
    ).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not from the account/),
    });
    expect(
      parseRosterPush(
        push({}, xml('item', { jid: 'a@b.example' }), xml('item', { jid: 'c@d.example' })),
        own,
      ),
    ).toMatchObject({ ok: false });
    expect(parseRosterPush(push({}), own)).toMatchObject({ ok: false });
  });

  it('builds get (with or without ver), set and remove requests', () => {
    expect(rosterGetIq().toString()).toBe('<iq type="get"><query xmlns="jabber:iq:roster"/></iq>');
    expect(rosterGetIq('v3').toString()).toBe(
      '<iq type="get"><query xmlns="jabber:iq:roster" ver="v3"/></iq>',
    );
    expect(
      rosterSetIq({
        jid: 'juliet@capulet.example',
        name: 'Juliet',
        groups: ['Friends'],
      }).toString(),
    ).toBe(
      '<iq type="set"><query xmlns="jabber:iq:roster"><item jid="juliet@capulet.example" name="Juliet"><group>Friends</group></item></query></iq>',
    );
    expect(rosterRemoveIq('juliet@capulet.example').toString()).toBe(
      '<iq type="set"><query xmlns="jabber:iq:roster"><item jid="juliet@capulet.example" subscription="remove"/></query></iq>',
    );
  });
});
