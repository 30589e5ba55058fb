/**
 * Paths into parsed item data (`jsonb`) as PostgreSQL expressions. The path literal
 * (`'{author,jid}'`) is built only from segments `validatePath` accepted (keys
 * `/^[A-Za-z_][A-Za-z0-9_]*$/`, non-negative integers), so it is safe to inline; index DDL
 * cannot bind, and an expression index only serves queries that repeat its expression.
 *
 * Comparisons follow SQLite's `json_extract` semantics so both backends agree: a value has a
 * class (0 = missing or JSON null, 1 = number or boolean, 2 = text, objects and arrays as
 * text), numbers sort before text, text compares bytewise (`COLLATE "C"`). The helper
 * functions `aviary_json_class|num|text` are IMMUTABLE (migration 0001), so they can be
 * indexed: one index per analyser path serves equality, ranges and ordering.
 */
import { createHash } from 'node:crypto';
import type { ParsedPath } from '../messages.js';
import { jsonPathText, validatePath } from '../search-path.js';

/** `(parsed #> '{a,0,b}')` on `table` (alias or nothing). */
export function jsonbAt(path: ParsedPath, table?: string): string {
  const column = table === undefined ? 'parsed' : `${table}.parsed`;
  return `(${column} #> '{${validatePath(path, 'path').join(',')}}')`;
}

/** The three sort/compare keys of a path: class, number, text. */
export function pathKeys(path: ParsedPath, table?: string) {
  const e = jsonbAt(path, table);
  return {
    json: e,
    cls: `aviary_json_class(${e})`,
    num: `aviary_json_num(${e})`,
    txt: `(aviary_json_text(${e}) COLLATE "C")`,
    /** Any scalar as text (numbers as written), for LIKE patterns. */
    raw: `(${e} #>> '{}')`,
    /** The value with ASCII letters folded, for case-insensitive list operators. */
    folded: `(lower(${e}::text)::jsonb)`,
  };
}

function hashOf(path: ParsedPath): string {
  return createHash('sha256').update(jsonPathText(path)).digest('hex').slice(0, 16);
}

/** The btree index of an indexed path (same name as on SQLite: `pubsub_items_path_<hash>`). */
export function pathIndexDdl(path: ParsedPath): { name: string; sql: string } {
  const k = pathKeys(path);
  const name = `pubsub_items_path_${hashOf(path)}`;
  return {
    name,
    sql: `CREATE INDEX IF NOT EXISTS ${name} ON pubsub_items (${k.cls}, ${k.num}, ${k.txt})`,
  };
}

/** The GIN indexes of a list path: elements as stored, and ASCII-folded. */
export function listIndexDdl(path: ParsedPath): string[] {
  const k = pathKeys(path);
  const hash = hashOf(path);
  return [
    `CREATE INDEX IF NOT EXISTS pubsub_items_list_${hash} ON pubsub_items USING gin (${k.json})`,
    `CREATE INDEX IF NOT EXISTS pubsub_items_ilist_${hash} ON pubsub_items USING gin (${k.folded})`,
  ];
}
