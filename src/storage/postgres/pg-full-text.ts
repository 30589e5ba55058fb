/**
 * The full-text query subset both backends accept, mapped onto PostgreSQL `tsquery` text
 * (https://www.postgresql.org/docs/15/datatype-textsearch.html#DATATYPE-TSQUERY):
 *
 * | query            | SQLite FTS4 MATCH             | PostgreSQL tsquery          |
 * |------------------|-------------------------------|-----------------------------|
 * | `hello world`    | both words                    | `'hello' & 'world'`         |
 * | `"hello world"`  | the phrase                    | `'hello' <-> 'world'`       |
 * | `hello OR bye`   | either word                   | `('hello' \| 'bye')`        |
 * | `hel*`           | a word starting with `hel`    | `'hel':*`                   |
 *
 * As in FTS4's standard syntax, `OR` binds tighter than the implicit AND (`a b OR c` is
 * `a AND (b OR c)`). Words are split like the `unicode61` tokenizer (letters and digits;
 * anything else separates), lower-cased, and each lexeme is quoted, so the text handed to
 * `to_tsquery('simple', $n)` (as a bound value) holds only quoted lexemes and operators.
 */
import { badArgument } from '../handler-context.js';

const WORD = /[\p{L}\p{N}]+/gu;
const TOKEN = /\s*(?:"([^"]*)"|(\S+))/y;

function lexemes(text: string): string[] {
  return [...text.toLowerCase().matchAll(WORD)].map((m) => `'${m[0]}'`);
}

/** One term: a word (maybe `word*`) or a phrase; null when it holds no letter or digit. */
function term(phrase: string | undefined, word: string | undefined): string | null {
  if (phrase !== undefined) {
    const parts = lexemes(phrase);
    return parts.length === 0 ? null : parts.join(' <-> ');
  }
  const raw = word ?? '';
  const prefix = raw.endsWith('*');
  const parts = lexemes(prefix ? raw.slice(0, -1) : raw);
  if (parts.length === 0) return null;
  if (prefix) parts[parts.length - 1] = `${parts[parts.length - 1]}:*`;
  return parts.join(' <-> ');
}

/**
 * Translates a query of the common subset to `tsquery` text; throws `storage.bad-argument`
 * for an unbalanced quote, a dangling `OR` or a query without words.
 *
 * @example
 * toTsQuery('xmpp "hello world" OR bye*'); // "'xmpp' & ('hello' <-> 'world' | 'bye':*)"
 */
export function toTsQuery(query: string): string {
  if ((query.match(/"/g)?.length ?? 0) % 2 !== 0) {
    throw badArgument(`full-text query ${JSON.stringify(query)} has an unbalanced quote`);
  }
  const groups: string[][] = [];
  let pendingOr = false;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(query); m !== null && m[0].trim() !== ''; m = TOKEN.exec(query)) {
    if (m[2] === 'OR') {
      if (groups.length === 0 || pendingOr)
        throw badArgument(`full-text query ${JSON.stringify(query)}: OR needs a term on each side`);
      pendingOr = true;
      continue;
    }
    const t = term(m[1], m[2]);
    if (t === null) continue;
    if (pendingOr) groups[groups.length - 1]?.push(t);
    else groups.push([t]);
    pendingOr = false;
  }
  if (pendingOr) throw badArgument(`full-text query ${JSON.stringify(query)} ends with OR`);
  if (groups.length === 0)
    throw badArgument(`full-text query ${JSON.stringify(query)} has no words`);
  return groups.map((g) => (g.length === 1 ? g[0] : `(${g.join(' | ')})`)).join(' & ');
}
