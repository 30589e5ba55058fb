/**
 * Parsed-data filters of `pubsub.items.search`: `{ path, op, value }` turned into one SQL
 * condition over `pubsub_items` aliased `i`. Operators come from a fixed table, paths from
 * {@link jsonExtractSql} (validated segments only) and every value is a bound parameter.
 * Negative operators are the exact complements of their positive ones (items without the
 * path match them). List operators (`overlap`, `disjoint` and their case-insensitive forms)
 * use the `pubsub_item_values` side table when the path is a registered list path, and a
 * `json_each` scan otherwise; both see the same elements.
 */
import { badArgument } from './handler-context.js';
import type { SqlValue } from './journal.js';
import type { ParsedOperator } from './messages.js';
import { jsonExtractSql, jsonPathText, validatePath } from './search-path.js';

/** Each operator's canonical name: the symbolic aliases map onto the word forms. */
export type Canonical = Exclude<ParsedOperator, '==' | '!=' | '>' | '>=' | '<' | '<='>;

export const OPERATORS: Readonly<Record<ParsedOperator, Canonical>> = {
  '==': 'eq',
  eq: 'eq',
  '!=': 'ne',
  ne: 'ne',
  '>': 'gt',
  gt: 'gt',
  '>=': 'ge',
  ge: 'ge',
  '<': 'lt',
  lt: 'lt',
  '<=': 'le',
  le: 'le',
  between: 'between',
  in: 'in',
  not_in: 'not_in',
  overlap: 'overlap',
  ioverlap: 'ioverlap',
  disjoint: 'disjoint',
  idisjoint: 'idisjoint',
  like: 'like',
  ilike: 'ilike',
  not_like: 'not_like',
  not_ilike: 'not_ilike',
};

const COMPARE: Readonly<Record<string, string>> = { gt: '>', ge: '>=', lt: '<', le: '<=' };
const MAX_VALUES = 1000;
const MAX_TEXT = 4096;

/** A bound condition. */
export interface BoundCondition {
  readonly sql: string;
  readonly params: SqlValue[];
}

export function scalar(value: unknown, field: string): SqlValue {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && value.length <= MAX_TEXT) return value;
  throw badArgument(
    `${field} must be a string (at most ${MAX_TEXT} characters), a finite number or a boolean, got ${JSON.stringify(value)}`,
    { field },
  );
}

export function scalars(value: unknown, field: string, single: boolean): SqlValue[] {
  if (!Array.isArray(value)) {
    if (single) return [scalar(value, field)];
    throw badArgument(`${field} must be a list of values`, { field });
  }
  if (value.length === 0 || value.length > MAX_VALUES) {
    throw badArgument(`${field} must hold 1 to ${MAX_VALUES} values`, { field });
  }
  return value.map((v, i) => scalar(v, `${field}[${i}]`));
}

export function patternText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length > MAX_TEXT) {
    throw badArgument(`${field} must be a pattern string (with % and _)`, { field });
  }
  return value;
}

/** A LIKE pattern (`%`, `_`) as a case-sensitive GLOB pattern with GLOB's own specials escaped. */
export function likeToGlob(pattern: string): string {
  const map: Record<string, string> = { '%': '*', _: '?', '*': '[*]', '?': '[?]', '[': '[[]' };
  return [...pattern].map((c) => map[c] ?? c).join('');
}

const qs = (n: number) => Array.from({ length: n }, () => '?').join(', ');

/**
 * The condition for filter number `index`; throws `storage.bad-argument` saying which part
 * is wrong. `listKeys` are the registered list paths (JSON path text).
 *
 * @example
 * parsedFilterSql({ path: ['tags'], op: 'overlap', value: ['xmpp'] }, 0, new Set(['$.tags']));
 */
export function parsedFilterSql(
  filter: unknown,
  index: number,
  listKeys: ReadonlySet<string>,
): BoundCondition {
  const field = `parsed[${index}]`;
  if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
    throw badArgument(`${field} must be { path, op, value }`, { field });
  }
  const { path: rawPath, op: rawOp, value } = filter as Record<string, unknown>;
  const path = validatePath(rawPath, `${field}.path`);
  const op = typeof rawOp === 'string' ? OPERATORS[rawOp as ParsedOperator] : undefined;
  if (op === undefined || !Object.hasOwn(OPERATORS, rawOp as string)) {
    throw badArgument(
      `${field}.op ${JSON.stringify(rawOp)} is not an operator; use one of ${Object.keys(OPERATORS).join(' ')}`,
      { field: `${field}.op` },
    );
  }
  const e = jsonExtractSql(path, 'i');
  const v = `${field}.value`;
  switch (op) {
    case 'eq':
      return value === null
        ? { sql: `${e} IS NULL`, params: [] }
        : { sql: `${e} = ?`, params: [scalar(value, v)] };
    case 'ne':
      return value === null
        ? { sql: `${e} IS NOT NULL`, params: [] }
        : { sql: `${e} IS NOT ?`, params: [scalar(value, v)] };
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return { sql: `${e} ${COMPARE[op]} ?`, params: [scalar(value, v)] };
    case 'between': {
      const bounds = scalars(value, v, false);
      if (bounds.length !== 2) throw badArgument(`${v} must be [low, high]`, { field: v });
      return { sql: `${e} BETWEEN ? AND ?`, params: bounds };
    }
    case 'in':
    case 'not_in': {
      const list = scalars(value, v, false);
      const inList = `${e} IN (${qs(list.length)})`;
      return { sql: op === 'in' ? inList : `(${e} IS NULL OR NOT ${inList})`, params: list };
    }
    case 'overlap':
    case 'ioverlap':
    case 'disjoint':
    case 'idisjoint': {
      const list = scalars(value, v, true);
      const folded = op === 'ioverlap' || op === 'idisjoint';
      const negate = op === 'disjoint' || op === 'idisjoint';
      const key = jsonPathText(path);
      const valueIn = (column: string) =>
        folded
          ? `lower(${column}) IN (${list.map(() => 'lower(?)').join(', ')})`
          : `${column} IN (${qs(list.length)})`;
      if (listKeys.has(key)) {
        const sub = `SELECT item_id FROM pubsub_item_values WHERE path_key = ? AND ${valueIn('value')}`;
        return { sql: `i.id ${negate ? 'NOT IN' : 'IN'} (${sub})`, params: [key, ...list] };
      }
      const sub = `SELECT 1 FROM json_each(i.parsed, ?) j WHERE ${valueIn('j.value')}`;
      return { sql: `${negate ? 'NOT ' : ''}EXISTS (${sub})`, params: [key, ...list] };
    }
    case 'like':
      return { sql: `${e} GLOB ?`, params: [likeToGlob(patternText(value, v))] };
    case 'not_like':
      return {
        sql: `(${e} IS NULL OR NOT (${e} GLOB ?))`,
        params: [likeToGlob(patternText(value, v))],
      };
    case 'ilike':
      return { sql: `${e} LIKE ?`, params: [patternText(value, v)] };
    case 'not_ilike':
      return { sql: `(${e} IS NULL OR NOT (${e} LIKE ?))`, params: [patternText(value, v)] };
  }
}
