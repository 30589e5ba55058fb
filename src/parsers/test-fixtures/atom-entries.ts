/**
 * Realistic XEP-0277 item payloads (the `<entry/>` child of a pubsub `<item/>`), modelled on
 * what Libervia and Movim publish, plus edge cases. Used by tests and the parser benchmark.
 */

/** Libervia-style: text and XHTML title/content, categories, comments link, author JID. */
export const liberviaEntry = `<entry xmlns="http://www.w3.org/2005/Atom">
  <title type="text">Aviary 0.1 is out</title>
  <title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><em>Aviary</em> 0.1 is out</div></title>
  <content type="text">We are happy to announce the first release.
It hosts &lt;many&gt; accounts.</content>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>We are <strong>happy</strong> to announce the first release.</p><p>It hosts &lt;many&gt; accounts.</p><script>alert(1)</script><a href="javascript:alert(2)" onclick="x()">link</a></div></content>
  <author>
    <name>louise</name>
    <uri>xmpp:louise@example.org</uri>
    <email>louise@example.org</email>
  </author>
  <link href="xmpp:louise@example.org?;node=urn%3Axmpp%3Amicroblog%3A0;item=aviary-0-1-is-out-e1f2" rel="alternate"/>
  <link href="xmpp:pubsub.example.org?;node=urn%3Axmpp%3Amicroblog%3A0%3Acomments%2Faviary-0-1-is-out-e1f2__louise%40example.org" rel="replies" title="comments"/>
  <category term="release" label="release"/>
  <category term="xmpp"/>
  <category term="release"/>
  <id>xmpp:louise@example.org?;node=urn%3Axmpp%3Amicroblog%3A0;item=aviary-0-1-is-out-e1f2</id>
  <published>2024-03-14T09:26:53Z</published>
  <updated>2024-03-15T10:00:00.250+01:00</updated>
</entry>`;

/** Movim-style: XHTML only content, HTML alternate link, enclosure, generator, prefixed NS. */
export const movimEntry = `<entry xmlns="http://www.w3.org/2005/Atom" xmlns:thr="http://purl.org/syndication/thread/1.0">
  <title>Spring in the park 🌸</title>
  <author><name>Edhelas</name><uri>xmpp:edhelas@movim.eu</uri></author>
  <content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Look at this <a href="https://example.com/p">picture</a></p><br/><img src="https://example.com/a.jpg" alt="flowers"/><ul><li>one</li><li>two</li></ul></div></content>
  <link rel="alternate" type="text/html" href="https://mov.im/?blog/edhelas@movim.eu/spring-in-the-park-abc"/>
  <link rel="enclosure" type="image/jpeg" href="https://upload.movim.eu/a.jpg" title="flowers.jpg" length="245123"/>
  <link rel="replies" title="comments" href="xmpp:news.movim.eu?;node=urn:xmpp:microblog:0:comments/spring-in-the-park-abc"/>
  <category term="nature"/><category term="spring"/>
  <thr:in-reply-to ref="xmpp:goffi@goffi.org?;node=urn%3Axmpp%3Amicroblog%3A0;item=older" href="https://example.org/older"/>
  <generator uri="https://movim.eu" version="0.23">Movim</generator>
  <id>spring-in-the-park-abc</id>
  <published>2024-04-01T18:05:00+02:00</published>
  <updated>2024-04-01T18:05:00+02:00</updated>
</entry>`;

/** Minimal: only content, no id, no dates, no author. */
export const minimalEntry =
  '<entry xmlns="http://www.w3.org/2005/Atom"><content>just a status</content></entry>';

/** Only `updated` (published must fall back to it), HTML content, comments link w/o title. */
export const htmlEntry = `<?xml version="1.0" encoding="UTF-8"?>
<!-- exported by a feed bridge -->
<entry xmlns="http://www.w3.org/2005/Atom">
  <id>tag:example.org,2024:1</id>
  <title type="html">A &lt;b&gt;bold&lt;/b&gt; move</title>
  <content type="html">&lt;p&gt;Hello&amp;nbsp;world&lt;/p&gt;&lt;script&gt;evil()&lt;/script&gt;&lt;p&gt;Bye &amp;amp; thanks&lt;/p&gt;</content>
  <updated>2023-12-31T23:59:59z</updated>
  <author><name>Feed bot</name><uri>https://example.org/bot</uri></author>
  <link rel="replies" href="xmpp:pubsub.example.org?;node=comments-1"/>
</entry>`;

/** A comment on a blog post (published on a `urn:xmpp:microblog:0:comments/...` node). */
export const commentEntry = `<entry xmlns="http://www.w3.org/2005/Atom"><title><![CDATA[Nice <post>!]]> Really.</title><author><name>pierre</name><uri>xmpp:pierre@example.net</uri></author><id>c1</id><published>2024-03-14T10:00:00Z</published></entry>`;

/** Atom with a prefix instead of a default namespace. */
export const prefixedEntry =
  '<a:entry xmlns:a="http://www.w3.org/2005/Atom"><a:id>p1</a:id><a:title>Prefixed</a:title><a:category term="ns"/></a:entry>';

/** Malformed or refused payloads: each must make the parser throw. */
export const malformedEntries: readonly string[] = [
  '<entry xmlns="http://www.w3.org/2005/Atom"><title>unclosed</entry>',
  '<entry xmlns="http://www.w3.org/2005/Atom"><title>x</title>',
  '<!DOCTYPE entry [<!ENTITY x "y">]><entry xmlns="http://www.w3.org/2005/Atom"/>',
  '<entry xmlns="http://www.w3.org/2005/Atom"><title>&foo;</title></entry>',
  '<entry xmlns="http://www.w3.org/2005/Atom"/><entry xmlns="http://www.w3.org/2005/Atom"/>',
  '<entry xmlns="http://www.w3.org/2005/Atom"><x:title>y</x:title></entry>',
  'not xml at all',
  '',
  '<message xmlns="jabber:client"><body>not atom</body></message>',
];

/** A Libervia-style entry of realistic size (~1.2 KB) for benchmarks. */
export function benchEntry(i: number): string {
  return liberviaEntry
    .replace(/aviary-0-1-is-out-e1f2/g, `post-${i}`)
    .replace('Aviary 0.1 is out', `Post number ${i}`);
}
