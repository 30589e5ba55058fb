/**
 * The one XML model for stanzas in the whole runtime: `@xmpp/xml`'s `Element` (ltx's CommonJS
 * build), which the XMPP connections parse into and send from. Workflow, pubsub and cache build
 * and parse with this module, so elements cross between them without conversion.
 *
 * (Parser workers use a separate plain-data tree, `ItemNode` in `src/parsers`, because elements
 * never cross a thread boundary.)
 */
import { createRequire } from 'node:module';
import xml, { Element } from '@xmpp/xml';

export { Element, xml };

/** ltx's document parser from the same CommonJS build `@xmpp/xml` uses (it exports none). */
const ltxParse = (createRequire(import.meta.url)('ltx') as { parse(text: string): Element }).parse;

/**
 * Parses one XML document into an element. Throws on malformed input; rejects a DOCTYPE
 * explicitly because ltx's tokenizer silently skips everything after one.
 *
 * @example parseStanza('<message to="romeo@montague.lit"><body>hi</body></message>').name // 'message'
 */
export function parseStanza(text: string): Element {
  if (/<!DOCTYPE/i.test(text)) throw new Error('XML with a DOCTYPE is not accepted');
  const tree = ltxParse(text);
  if (tree === null || typeof tree !== 'object') throw new Error('no root element');
  return tree;
}
