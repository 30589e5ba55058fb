/**
 * Text content of an XML fragment, for the full-text index of pubsub items (registered as the
 * SQL function `xml_text`). Tags, comments and CDATA markers are dropped; the five predefined
 * entities and numeric references are decoded. Deterministic, so FTS4 external-content
 * delete triggers see the same tokens as the insert did.
 *
 * @example
 * xmlText('<entry><title>Hi &amp; bye</title></entry>'); // ' Hi & bye '
 */
const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
};

export function xmlText(xml: string | null): string {
  if (xml === null) return '';
  return xml
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, ' $1 ')
    .replace(/<!--[\s\S]*?-->/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
      if (name[0] === '#') {
        const code =
          name[1] === 'x' || name[1] === 'X'
            ? Number.parseInt(name.slice(2), 16)
            : Number.parseInt(name.slice(1), 10);
        return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ' ';
      }
      return ENTITIES[name] ?? whole;
    });
}
