import type { Element } from '@xmpp/xml';
import { describe, expect, it } from 'vitest';
import { createXmlReader } from './xml-reader.js';

const HEADER =
  "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='r'>";

function reader(maxStanzaBytes = 1000) {
  const log: string[] = [];
  const r = createXmlReader(
    { maxStanzaBytes },
    {
      header: (h: Element) => log.push(`header:${h.attrs.id}`),
      element: (e: Element) => log.push(`element:${e.name}:${e.text()}`),
      end: () => log.push('end'),
      oversize: (s) => log.push(`oversize:${s.name}:${s.bytes}`),
      refuse: (condition) => log.push(`refuse:${condition}`),
    },
  );
  return { r, log };
}

describe('createXmlReader', () => {
  it('reads nothing before start() and after stop()', () => {
    const { r, log } = reader();
    r.push(Buffer.from(`${HEADER}<a>1</a>`));
    expect(log).toEqual([]);
    r.start();
    r.push(Buffer.from(`${HEADER}<a>1</a>`));
    r.stop();
    r.push(Buffer.from('<a>2</a>'));
    expect(log).toEqual(['header:r', 'element:a:1']);
    expect(r.active).toBe(false);
  });

  it('decodes UTF-8 split across chunks and reports the end of the stream once', () => {
    const { r, log } = reader();
    r.start();
    const bytes = Buffer.from(`${HEADER}<a>é😀</a></stream:stream><a>after</a>`);
    for (const b of bytes) r.push(Uint8Array.of(b));
    expect(log).toEqual(['header:r', 'element:a:é😀', 'end']);
  });

  it('refuses once, keeping what came before the bad byte in the same chunk', () => {
    const { r, log } = reader();
    r.start();
    r.push(
      Buffer.concat([
        Buffer.from(`${HEADER}<a>ok</a><a>`),
        Buffer.from([0xff]),
        Buffer.from('</a><a>x</a>'),
      ]),
    );
    r.push(Buffer.from('<a>more</a>'));
    expect(log).toEqual(['header:r', 'element:a:ok', 'refuse:unsupported-encoding']);
  });

  it('turns what the parser throws or reports into not-well-formed, and restarts clean', () => {
    const { r, log } = reader();
    r.start();
    r.push(Buffer.from(`${HEADER}<a><b></a></b>`));
    expect(log.at(-1)).toBe('refuse:not-well-formed');
    r.start();
    r.push(Buffer.from(`${HEADER}<a>again</a>`));
    expect(log.slice(-2)).toEqual(['header:r', 'element:a:again']);
  });

  it('skips an oversize stanza and goes on', () => {
    const { r, log } = reader(100);
    r.start();
    r.push(Buffer.from(`${HEADER}<message>${'x'.repeat(200)}</message><a>next</a>`));
    expect(log).toEqual(['header:r', 'oversize:message:219', 'element:a:next']);
  });
});
