import { describe, expect, it } from 'vitest';
import { parseMicroblog } from './microblog.js';
import {
  commentEntry,
  htmlEntry,
  liberviaEntry,
  malformedEntries,
  minimalEntry,
  movimEntry,
  prefixedEntry,
} from './test-fixtures/atom-entries.js';

describe('parseMicroblog', () => {
  it('reads a Libervia entry: text and XHTML, dates, author JID, tags, comments node', () => {
    const item = parseMicroblog(liberviaEntry);
    expect(item.id).toBe(
      'xmpp:louise@example.org?;node=urn%3Axmpp%3Amicroblog%3A0;item=aviary-0-1-is-out-e1f2',
    );
    expect(item.title?.text).toBe('Aviary 0.1 is out');
    expect(item.title?.xhtml).toBe(
      '<div xmlns="http://www.w3.org/1999/xhtml"><em>Aviary</em> 0.1 is out</div>',
    );
    expect(item.content?.text).toBe(
      'We are happy to announce the first release.\nIt hosts <many> accounts.',
    );
    // XHTML is filtered of active content and keeps escaping.
    expect(item.content?.xhtml).toContain('<p>It hosts &lt;many&gt; accounts.</p>');
    expect(item.content?.xhtml).not.toContain('script');
    expect(item.content?.xhtml).not.toContain('javascript:');
    expect(item.content?.xhtml).not.toContain('onclick');
    expect(item.published).toBe(Date.UTC(2024, 2, 14, 9, 26, 53));
    expect(item.publishedIso).toBe('2024-03-14T09:26:53.000Z');
    expect(item.updated).toBe(Date.UTC(2024, 2, 15, 9, 0, 0, 250));
    expect(item.author).toEqual({
      name: 'louise',
      uri: 'xmpp:louise@example.org',
      jid: 'louise@example.org',
      email: 'louise@example.org',
    });
    expect(item.tags).toEqual(['release', 'xmpp']);
    expect(item.comments).toEqual([
      {
        uri: 'xmpp:pubsub.example.org?;node=urn%3Axmpp%3Amicroblog%3A0%3Acomments%2Faviary-0-1-is-out-e1f2__louise%40example.org',
        service: 'pubsub.example.org',
        node: 'urn:xmpp:microblog:0:comments/aviary-0-1-is-out-e1f2__louise@example.org',
      },
    ]);
    expect(item.links.map((l) => l.rel)).toEqual(['alternate', 'replies']);
    expect(item.text).toContain('Aviary 0.1 is out\nWe are happy');
    expect(JSON.parse(JSON.stringify(item))).toEqual(item);
  });

  it('reads a Movim entry: XHTML-only content as text, enclosure, in-reply-to, generator', () => {
    const item = parseMicroblog(movimEntry);
    expect(item.title).toEqual({ text: 'Spring in the park 🌸' });
    expect(item.content?.text).toBe('Look at this picture\none\ntwo');
    expect(item.content?.xhtml).toContain('<img src="https://example.com/a.jpg" alt="flowers"/>');
    expect(item.author?.jid).toBe('edhelas@movim.eu');
    expect(item.published).toBe(Date.UTC(2024, 3, 1, 16, 5, 0));
    expect(item.links).toContainEqual({
      rel: 'enclosure',
      type: 'image/jpeg',
      href: 'https://upload.movim.eu/a.jpg',
      title: 'flowers.jpg',
      length: 245123,
    });
    expect(item.comments[0]).toMatchObject({
      service: 'news.movim.eu',
      node: 'urn:xmpp:microblog:0:comments/spring-in-the-park-abc',
    });
    expect(item.inReplyTo).toEqual([
      {
        ref: 'xmpp:goffi@goffi.org?;node=urn%3Axmpp%3Amicroblog%3A0;item=older',
        href: 'https://example.org/older',
      },
    ]);
    expect(item.generator).toBe('Movim');
    expect(item.tags).toEqual(['nature', 'spring']);
  });

  it('accepts a minimal entry and leaves missing fields out', () => {
    const item = parseMicroblog(minimalEntry);
    expect(item).toEqual({
      content: { text: 'just a status' },
      tags: [],
      links: [],
      comments: [],
      text: 'just a status',
    });
  });

  it('handles an XML declaration, a comment, HTML content and a lone updated date', () => {
    const item = parseMicroblog(htmlEntry);
    expect(item.id).toBe('tag:example.org,2024:1');
    expect(item.title?.text).toBe('A bold move');
    expect(item.title?.html).toBe('A <b>bold</b> move');
    // &nbsp; decodes to U+00A0, which the whitespace collapse turns into a plain space.
    expect(item.content?.text).toBe('Hello world\nBye & thanks');
    expect(item.published).toBe(Date.UTC(2023, 11, 31, 23, 59, 59));
    expect(item.updated).toBe(item.published);
    expect(item.author).toEqual({ name: 'Feed bot', uri: 'https://example.org/bot' });
    expect(item.comments).toEqual([
      {
        uri: 'xmpp:pubsub.example.org?;node=comments-1',
        service: 'pubsub.example.org',
        node: 'comments-1',
      },
    ]);
  });

  it('keeps text around CDATA (an ltx quirk drops it otherwise)', () => {
    const item = parseMicroblog(commentEntry);
    expect(item.title?.text).toBe('Nice <post>! Really.');
    expect(item.author?.jid).toBe('pierre@example.net');
  });

  it('keeps text after a comment (an ltx quirk drops it otherwise)', () => {
    const item = parseMicroblog(
      '<entry xmlns="http://www.w3.org/2005/Atom"><title><!-- c -->after</title></entry>',
    );
    expect(item.title?.text).toBe('after');
  });

  it('resolves prefixed Atom elements', () => {
    const item = parseMicroblog(prefixedEntry);
    expect(item.id).toBe('p1');
    expect(item.title?.text).toBe('Prefixed');
    expect(item.tags).toEqual(['ns']);
  });

  it('ignores unparsable dates instead of inventing one', () => {
    const item = parseMicroblog(
      '<entry xmlns="http://www.w3.org/2005/Atom"><published>yesterday</published></entry>',
    );
    expect(item.published).toBeUndefined();
    expect(item.publishedIso).toBeUndefined();
  });

  it.each(malformedEntries.map((xml) => [xml]))('throws on malformed input %#', (xml) => {
    expect(() => parseMicroblog(xml)).toThrow();
  });

  it('says why a DOCTYPE is refused', () => {
    expect(() => parseMicroblog(malformedEntries[2]!)).toThrow(/DOCTYPE/);
  });
});
