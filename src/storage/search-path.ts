/**
 * Paths into parsed item JSON, as used by search filters, ordering and the indexes of
 * `pubsub.paths.ensure`. A path is a list of object keys and array indexes
 * (`['author', 'jid']`, `['tags', 0]`). Index DDL cannot bind parameters and an expression
 * index is only used when a query repeats its exact text, so the SQL JSON path
 * (`'$.author.jid'`) is built here, and only here, from segments validated against a strict
 * alphabet: keys `/^[A-Za-z_][A-Za-z0-9_]*$/`, indexes non-negative integers. Nothing else
 * ever reaches SQL text. See https://www.sqlite.org/json1.html#path_arguments and
 * https://www.sqlite.org/expridx.html
 */
import { createHash } from 'node:crypto';
import { badArgument } from './handler-context.js';
import type { ParsedPath } from './messages.js';

const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_DEPTH = 16;
const MAX_INDEX = 2 ** 31 - 1;

/**
 * Checks a path and returns it as a fresh array, or throws `storage.bad-argument` naming the
 * bad segment.
 *
 * @example
 * validatePath(['tags', 0], 'parsed[0].path'); // ['tags', 0]
 * validatePath(["a'); DROP TABLE x;--"], 'p'); // throws storage.bad-argument
 */
export function validatePath(path: unknown, field: string): (string | number)[] {
  if (!Array.isArray(path) || path.length === 0 || path.length > MAX_DEPTH) {
    throw badArgument(
      `${field} must be a non-empty list of at most ${MAX_DEPTH} keys and indexes`,
      {
        field,
      },
    );
  }
  return path.map((segment: unknown, i) => {
    if (typeof segment === 'string' && KEY.test(segment)) return segment;
    if (typeof segment === 'number' && Number.isInteger(segment) && segment >= 0) {
      if (segment <= MAX_INDEX) return segment;
    }
    throw badArgument(
      `${field}[${i}] must be a key matching ${KEY.source} or a non-negative integer index, got ${JSON.stringify(segment)}`,
      { field: `${field}[${i}]` },
    );
  });
}

/** The SQLite JSON path of a validated path: `['a', 0, 'b']` → `$.a[0].b`. */
export function jsonPathText(path: ParsedPath): string {
  let text = '$';
  for (const segment of validatePath(path, 'path')) {
    text += typeof segment === 'number' ? `[${segment}]` : `.${segment}`;
  }
  return text;
}

/**
 * The SQL expression reading `path` from the `parsed` column of `table` (alias or name).
 * Indexes and queries both come from here, so their text is identical and SQLite matches
 * them. The path literal is safe to inline: it only holds `[A-Za-z0-9_$.[\]]`.
 */
export function jsonExtractSql(path: ParsedPath, table?: string): string {
  const column = table === undefined ? 'parsed' : `${table}.parsed`;
  return `json_extract(${column}, '${jsonPathText(path)}')`;
}

/** Deterministic index name for an indexed path: `pubsub_items_path_<hash of the path>`. */
export function pathIndexName(path: ParsedPath): string {
  const digest = createHash('sha256').update(jsonPathText(path)).digest('hex');
  return `pubsub_items_path_${digest.slice(0, 16)}`;
}

/**
 * Parses the textual form used on the command line: keys separated by dots, indexes in
 * brackets (`title`, `tags[0]`, `author.jid`, `items[2].name`).
 *
 * @example
 * parsePathText('items[2].name'); // ['items', 2, 'name']
 */
export function parsePathText(text: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const pattern = /([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|(\.)/y;
  let expectKey = true;
  let position = 0;
  while (position < text.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(text);
    if (match === null) {
      throw badArgument(`bad path ${JSON.stringify(text)} at character ${position + 1}`, {
        path: text,
      });
    }
    if (match[1] !== undefined) {
      if (!expectKey)
        throw badArgument(`bad path ${JSON.stringify(text)}: missing "." before a key`);
      segments.push(match[1]);
      expectKey = false;
    } else if (match[2] !== undefined) {
      if (segments.length === 0 || expectKey) {
        throw badArgument(`bad path ${JSON.stringify(text)}: an index must follow a key`);
      }
      segments.push(Number(match[2]));
    } else {
      if (expectKey) throw badArgument(`bad path ${JSON.stringify(text)}: empty key`);
      expectKey = true;
    }
    position = pattern.lastIndex;
  }
  if (segments.length === 0 || expectKey) {
    throw badArgument(`bad path ${JSON.stringify(text)}: it must end with a key or an index`);
  }
  return validatePath(segments, 'path');
}
