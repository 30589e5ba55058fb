/**
 * The full-text query syntax both backends accept — SQLite FTS4's enhanced query syntax
 * (https://www.sqlite.org/fts3.html#full_text_index_queries), which is the one sql.js is built
 * with — mapped onto PostgreSQL `tsquery` text
 * (https://www.postgresql.org/docs/15/datatype-textsearch.html#DATATYPE-TSQUERY):
 *
 * | query            | meaning                       | PostgreSQL tsquery          |
 * |------------------|-------------------------------|-----------------------------|
 * | `hello world`    | both words                    | `'hello' & 'world'`         |
 * | `hello AND bye`  | both words                    | `'hello' & 'bye'`           |
 * | `"hello world"`  | the phrase                    | `'hello' <-> 'world'`       |
 * | `hello OR bye`   | either word                   | `'hello' \| 'bye'`          |
 * | `hel*`           | a word starting with `hel`    | `'hel':*`                   |
 * | `hello NOT bye`  | hello without bye             | `'hello' & !'bye'`          |
 * | `(a OR b) c`     | grouping                      | `('a' \| 'b') & 'c'`        |
 *
 * Precedence is the same on both: NOT, then AND (explicit or implicit), then OR. Words are
 * split like the `unicode61` tokenizer (letters and digits; anything else separates) and
 * lower-cased; each lexeme is quoted, so the text handed to `to_tsquery('simple', $n)` (a bound
 * value) holds only quoted lexemes and operators. NEAR is not supported (bad argument).
 */
import { badArgument } from '../handler-context.js';

const WORD = /[\p{L}\p{N}]+/gu;
const TOKEN = /\s*(?:(\()|(\))|"([^"]*)"|([^\s()"]+))/y;

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
  return parts.length === 1 ? (parts[0] as string) : `(${parts.join(' <-> ')})`;
}

/**
 * Translates a query to `tsquery` text; throws `storage.bad-argument` for an unbalanced quote
 * or parenthesis, an operator without operands, NEAR, or a query without words.
 *
 * @example
 * toTsQuery('xmpp "hello world" OR bye*'); // "'xmpp' & 'hello' <-> 'world' | 'bye':*"
 */
export function toTsQuery(query: string): string {
  const bad = (why: string) => badArgument(`full-text query ${JSON.stringify(query)}: ${why}`);
  if ((query.match(/"/g)?.length ?? 0) % 2 !== 0) throw bad('unbalanced quote');
  const out: string[] = [];
  let depth = 0;
  /** True after an operand or `)`: a following operand needs an implicit AND. */
  let afterOperand = false;
  let pendingNot = false;
  const operand = (text: string) => {
    if (afterOperand) out.push('&');
    if (pendingNot) out.push('!');
    out.push(text);
    pendingNot = false;
  };
  TOKEN.lastIndex = 0;
  let end = 0;
  for (let m = TOKEN.exec(query); m !== null; m = TOKEN.exec(query)) {
    end = TOKEN.lastIndex;
    const [, open, close, phrase, word] = m;
    if (open !== undefined) {
      operand('(');
      depth++;
      afterOperand = false;
    } else if (close !== undefined) {
      if (depth === 0 || !afterOperand) throw bad('unbalanced or empty parentheses');
      out.push(')');
      depth--;
      afterOperand = true;
    } else if (word === 'AND' || word === 'OR' || word === 'NOT') {
      if (!afterOperand) throw bad(`${word} needs a term before it`);
      if (word === 'NOT') {
        out.push('&');
        pendingNot = true;
      } else out.push(word === 'AND' ? '&' : '|');
      afterOperand = false;
    } else if (word === 'NEAR' || word?.startsWith('NEAR/')) {
      throw bad('NEAR is not supported');
    } else {
      const t = term(phrase, word);
      if (t === null) continue;
      operand(t);
      afterOperand = true;
    }
  }
  if (query.slice(end).trim() !== '') throw bad('bad syntax');
  if (depth !== 0) throw bad('unbalanced parentheses');
  if (out.length === 0) throw bad('no words');
  if (!afterOperand) throw bad('it ends with an operator');
  return out.join(' ');
}
