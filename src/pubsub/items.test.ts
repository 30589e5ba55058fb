import { describe, expect, it } from 'vitest';
import { buildGetItems, parseItemsResult } from './items.js';
import { NS } from './namespaces.js';
import { PubsubResponseError } from './pubsub-error.js';
import { parseXml } from './xml.js';

// XEP-0060 §6.5.3 Example 78 (abridged), with the XEP-0059 <set/> a paging service adds.
const RESULT = `<iq type='result' from='pubsub.shakespeare.lit' to='francisco@denmark.lit/barracks' id='items1'>
  <pubsub xmlns='http://jabber.org/protocol/pubsub'>
    <items node='princely_musings'>
      <item id='368866411b877c30064a5f62b917cffe' publisher='hamlet@denmark.lit'>
        <entry xmlns='http://www.w3.org/2005/Atom'>
          <title>The Uses of This World</title>
          <summary>O, that this too too solid flesh would melt &amp; thaw</summary>
        </entry>
      </item>
      <item id='3300659945416e274474e469a1f0154c'>
        <entry xmlns='http://www.w3.org/2005/Atom'><title>Ghostly Encounters</title></entry>
      </item>
      <item id='notification-only'/>
    </items>
    <set xmlns='http://jabber.org/protocol/rsm'>
      <first index='20'>368866411b877c30064a5f62b917cffe</first>
      <last>3300659945416e274474e469a1f0154c</last>
      <count>19000</count>
    </set>
  </pubsub>
</iq>`;

describe('items (XEP-0060 §6.5)', () => {
  it('builds a request with max_items, item ids, subid and an RSM set', () => {
    const iq = buildGetItems('pubsub.shakespeare.lit', 'princely_musings', {
      maxItems: 2,
      itemIds: ['ae890ac52d0df67ed7cfdf51b644e901'],
      subid: 'sub-1',
      rsm: { max: 10, after: 'key-9' },
    });
    expect(iq.toString()).toBe(
      '<iq type="get" to="pubsub.shakespeare.lit"><pubsub xmlns="http://jabber.org/protocol/pubsub">' +
        '<items node="princely_musings" max_items="2" subid="sub-1"><item id="ae890ac52d0df67ed7cfdf51b644e901"/></items>' +
        '<set xmlns="http://jabber.org/protocol/rsm"><max>10</max><after>key-9</after></set>' +
        '</pubsub></iq>',
    );
  });

  it('leaves out what was not asked for', () => {
    const iq = buildGetItems('s', 'n');
    expect(iq.toString()).toBe(
      `<iq type="get" to="s"><pubsub xmlns="${NS.pubsub}"><items node="n"/></pubsub></iq>`,
    );
  });

  it('parses items with payload XML text, publisher and RSM info', () => {
    const page = parseItemsResult(parseXml(RESULT));
    expect(page.node).toBe('princely_musings');
    expect(page.items.map((i) => i.id)).toEqual([
      '368866411b877c30064a5f62b917cffe',
      '3300659945416e274474e469a1f0154c',
      'notification-only',
    ]);
    expect(page.items[0]?.publisher).toBe('hamlet@denmark.lit');
    expect(page.items[1]?.publisher).toBeUndefined();
    const xml = page.items[0]?.xml ?? '';
    expect(xml.startsWith('<entry xmlns="http://www.w3.org/2005/Atom">')).toBe(true);
    expect(xml).toContain('melt &amp; thaw');
    expect(parseXml(xml).getChild('title')?.getText()).toBe('The Uses of This World');
    expect(page.items[0]?.element?.name).toBe('entry');
    expect(page.items[2]).toMatchObject({ id: 'notification-only', xml: '' });
    expect(page.rsm).toEqual({
      count: 19000,
      first: '368866411b877c30064a5f62b917cffe',
      firstIndex: 20,
      last: '3300659945416e274474e469a1f0154c',
    });
  });

  it('can drop the payload elements (for posting to another thread)', () => {
    const page = parseItemsResult(parseXml(RESULT), { withElement: false });
    expect(page.items.every((i) => i.element === undefined)).toBe(true);
    expect(structuredClone(page)).toEqual(page);
  });

  it('has no rsm when the service sent no <set/>', () => {
    const page = parseItemsResult(
      parseXml(
        `<iq type='result'><pubsub xmlns='${NS.pubsub}'><items node='n'><item id='a'><x xmlns='urn:x'/></item></items></pubsub></iq>`,
      ),
    );
    expect(page.rsm).toBeUndefined();
    expect(page.items[0]?.xml).toBe('<x xmlns="urn:x"/>');
  });

  it('writes an inherited namespace on the payload so its XML text stands alone', () => {
    const page = parseItemsResult(
      parseXml(
        `<iq type='result'><pubsub xmlns='${NS.pubsub}'><items node='n'><item id='a'><bare><c/></bare></item></items></pubsub></iq>`,
      ),
    );
    expect(page.items[0]?.xml).toBe(`<bare xmlns="${NS.pubsub}"><c/></bare>`);
  });

  it('rejects a result without <pubsub><items/>', () => {
    expect(() => parseItemsResult(parseXml(`<iq type='result'/>`), { node: 'n' })).toThrow(
      PubsubResponseError,
    );
  });
});
