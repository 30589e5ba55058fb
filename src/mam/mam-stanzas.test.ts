import xml from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { hasFeature } from '../entities/disco-caps.js';
import { parseXml } from '../workflow/xml.js';
import {
  archivedForWorkflow,
  mamQueryIq,
  NS_MAM,
  parseArchiveResult,
  parseFin,
} from './mam-stanzas.js';

const RESULT = `<message xmlns='jabber:client' to='alice@x.lit/r'>
  <result xmlns='urn:xmpp:mam:2' queryid='q1' id='A1'>
    <forwarded xmlns='urn:xmpp:forward:0'>
      <delay xmlns='urn:xmpp:delay' stamp='2026-11-30T10:00:00.000Z'/>
      <message xmlns='jabber:client' from='bob@x.lit/phone' to='alice@x.lit' type='chat' id='m1'>
        <body>hello</body>
        <stanza-id xmlns='urn:xmpp:sid:0' by='alice@x.lit' id='FORGED'/>
        <stanza-id xmlns='urn:xmpp:sid:0' by='room@muc.x.lit' id='R9'/>
      </message>
    </forwarded>
  </result>
</message>`;

describe('mamQueryIq', () => {
  it('builds the data form and RSM set of XEP-0313 §4.1 / XEP-0059', () => {
    const iq = mamQueryIq({
      queryId: 'q1',
      with: 'bob@x.lit',
      start: Date.UTC(2026, 0, 2),
      max: 25,
      after: 'A9',
    });
    expect(iq.attrs.type).toBe('set');
    const query = iq.getChild('query', NS_MAM)!;
    expect(query.attrs.queryid).toBe('q1');
    const fields = Object.fromEntries(
      query
        .getChild('x', 'jabber:x:data')!
        .getChildren('field')
        .map((f) => [f.attrs.var, f.getChildText('value')]),
    );
    expect(fields).toEqual({
      FORM_TYPE: NS_MAM,
      with: 'bob@x.lit',
      start: '2026-01-02T00:00:00.000Z',
    });
    const set = query.getChild('set', 'http://jabber.org/protocol/rsm')!;
    expect([set.getChildText('max'), set.getChildText('after'), set.getChild('before')]).toEqual([
      '25',
      'A9',
      undefined,
    ]);
  });

  it('asks for the last page with an empty <before/>', () => {
    const set = mamQueryIq({ queryId: 'q', max: 10, before: '' })
      .getChild('query', NS_MAM)!
      .getChild('set', 'http://jabber.org/protocol/rsm')!;
    expect(set.getChild('before')?.getText()).toBe('');
  });
});

describe('parseFin', () => {
  it('reads complete, first, last and count', () => {
    const fin = parseFin(
      parseXml(
        `<iq type='result'><fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'><first index='0'>A1</first><last>A5</last><count>5</count></set></fin></iq>`,
      ),
    );
    expect(fin).toEqual({ complete: true, first: 'A1', last: 'A5', count: 5 });
  });

  it('treats a missing complete as more to come and an empty page as no cursor', () => {
    const fin = parseFin(
      parseXml(
        `<iq type='result'><fin xmlns='urn:xmpp:mam:2'><set xmlns='http://jabber.org/protocol/rsm'/></fin></iq>`,
      ),
    );
    expect(fin).toEqual({ complete: false, first: undefined, last: undefined, count: undefined });
    expect(parseFin(parseXml(`<iq type='result'/>`))).toBeUndefined();
  });
});

describe('parseArchiveResult and archivedForWorkflow', () => {
  it('unwraps the forwarded message with its archive id and original time', () => {
    const archived = parseArchiveResult(parseXml(RESULT))!;
    expect(archived.queryId).toBe('q1');
    expect(archived.archiveId).toBe('A1');
    expect(archived.stamp).toBe(Date.parse('2026-11-30T10:00:00.000Z'));
    expect(archived.message.attrs.from).toBe('bob@x.lit/phone');
  });

  it('gives the workflow the delay and the archive id as our stanza-id, replacing a forged one', () => {
    const element = archivedForWorkflow(parseArchiveResult(parseXml(RESULT))!, 'alice@x.lit');
    const ids = element
      .getChildren('stanza-id', 'urn:xmpp:sid:0')
      .map((s) => `${s.attrs.by}=${s.attrs.id}`);
    expect(ids).toEqual(['room@muc.x.lit=R9', 'alice@x.lit=A1']);
    expect(element.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp).toBe(
      '2026-11-30T10:00:00.000Z',
    );
    expect(element.getChildText('body')).toBe('hello');
    // The original stays as it was.
    expect(parseArchiveResult(parseXml(RESULT))!.message.getChildren('stanza-id')).toHaveLength(2);
  });

  it('refuses results without an id or a forwarded message', () => {
    expect(
      parseArchiveResult(
        parseXml(
          `<message><result xmlns='urn:xmpp:mam:2' queryid='q'><forwarded xmlns='urn:xmpp:forward:0'><message/></forwarded></result></message>`,
        ),
      ),
    ).toBeUndefined();
    expect(
      parseArchiveResult(
        parseXml(`<message><result xmlns='urn:xmpp:mam:2' queryid='q' id='A'/></message>`),
      ),
    ).toBeUndefined();
    expect(parseArchiveResult(parseXml(`<message><body>x</body></message>`))).toBeUndefined();
  });
});

describe('hasFeature', () => {
  it('finds a feature in a disco#info result', () => {
    const result = xml(
      'iq',
      { type: 'result' },
      xml(
        'query',
        { xmlns: 'http://jabber.org/protocol/disco#info' },
        xml('feature', { var: NS_MAM }),
      ),
    );
    expect(hasFeature(result, NS_MAM)).toBe(true);
    expect(hasFeature(result, 'urn:xmpp:mam:1')).toBe(false);
  });
});
