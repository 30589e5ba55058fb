import xml, { type Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { SimulatedClock } from '../util/clock.js';
import { ArchiveQueries } from './archive-queries.js';
import { NS_MAM } from './mam-stanzas.js';

function result(queryId: string, id: string, from?: string): Element {
  return xml(
    'message',
    { to: 'alice@x.lit/r', ...(from ? { from } : {}) },
    xml(
      'result',
      { xmlns: NS_MAM, queryid: queryId, id },
      xml(
        'forwarded',
        { xmlns: 'urn:xmpp:forward:0' },
        xml('message', { xmlns: 'jabber:client', from: 'bob@x.lit/p' }, xml('body', {}, id)),
      ),
    ),
  );
}

function fin(last: string | undefined): Element {
  return xml(
    'iq',
    { type: 'result' },
    xml(
      'fin',
      { xmlns: NS_MAM, complete: 'true' },
      xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, last ? xml('last', {}, last) : null),
    ),
  );
}

describe('ArchiveQueries', () => {
  it('ends a page only once its last result was handled, even when the IQ reply came first', async () => {
    const clock = new SimulatedClock(0);
    const queries = new ArchiveQueries({ clock, newId: () => 'q1' });
    const handled: string[] = [];
    let sent: Element | undefined;
    const page = queries.page({
      query: { max: 10 },
      archive: 'alice@x.lit',
      iq: async (element) => {
        sent = element;
        return fin('A2'); // the IQ result overtakes the result messages
      },
      onResult: async (archived) => {
        handled.push(archived.archiveId);
      },
    });
    let done = false;
    void page.then(() => {
      done = true;
    });
    await Promise.resolve();
    expect(sent?.getChild('query', NS_MAM)?.attrs.queryid).toBe('q1');
    expect(await queries.accept(result('q1', 'A1', 'alice@x.lit'), async () => {})).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(false);
    expect(await queries.accept(result('q1', 'A2'), async () => {})).toBe(true);
    expect(await page).toMatchObject({ last: 'A2', received: 2, complete: true });
    expect(handled).toEqual(['A1', 'A2']);
  });

  it('drops results of unknown queries and results sent by anyone but the archive', async () => {
    const queries = new ArchiveQueries({ clock: new SimulatedClock(0), newId: () => 'q1' });
    const handled: string[] = [];
    let release: (e: Element) => void = () => {};
    const page = queries.page({
      query: { max: 10 },
      archive: 'alice@x.lit',
      iq: () => new Promise<Element>((r) => (release = r)),
      onResult: async (archived) => {
        handled.push(archived.archiveId);
      },
    });
    await Promise.resolve();
    expect(await queries.accept(result('guess', 'X1'), async () => {})).toBe(true);
    expect(await queries.accept(result('q1', 'X2', 'mallory@evil.lit'), async () => {})).toBe(true);
    expect(await queries.accept(result('q1', 'X3', 'alice@x.lit/other'), async () => {})).toBe(
      true,
    );
    expect(queries.rejected).toBe(3);
    expect(await queries.accept(xml('message', {}, xml('body', {}, 'live')), async () => {})).toBe(
      false,
    );
    release(fin(undefined));
    expect(await page).toMatchObject({ received: 0 });
    expect(handled).toEqual([]);
  });

  it('fails a page whose last result never arrives, after the settle timeout', async () => {
    const clock = new SimulatedClock(0);
    const queries = new ArchiveQueries({ clock, newId: () => 'q1', settleTimeoutMs: 1000 });
    const page = queries.page({
      query: { max: 10 },
      archive: 'alice@x.lit',
      iq: async () => fin('A9'),
      onResult: async () => {},
    });
    const outcome = page.catch((e: unknown) => e);
    await new Promise((r) => setImmediate(r));
    await clock.advance(1000);
    expect(await outcome).toMatchObject({ code: 'mam.incomplete' });
  });
});
