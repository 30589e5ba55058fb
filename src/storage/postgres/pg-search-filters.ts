/**
 * Parsed-data filters of `pubsub.items.search` on PostgreSQL: the same operators, with the
 * same results, as `search-filters.ts` (SQLite). Every value is bound; paths come only from
 * {@link pathKeys}. List operators use `?|` (string elements) and `@>` (other values) on the
 * path's `jsonb`, which the GIN indexes of registered list paths serve; the case-insensitive
 * forms use the ASCII-folded expression. Negative operators are exact complements.
 */
import { badArgument } from '../handler-context.js';
import type { ParsedOperator } from '../messages.js';
import { OPERATORS, patternText, scalar, scalars } from '../search-filters.js';
import { validatePath } from '../search-path.js';
import type { Params } from './pg-access.js';
import { pathKeys } from './pg-json-path.js';

type Keys = ReturnType<typeof pathKeys>;
type Scalar = string | number;

const asciiLower = (s: string) => s.replace(/[A-Z]/g, (c) => c.toLowerCase());

function eq(k: Keys, v: Scalar, p: Params): string {
  return typeof v === 'number'
    ? `(${k.cls} = 1 AND ${k.num} = ${p.add(v)}::numeric)`
    : `(${k.cls} = 2 AND ${k.txt} = ${p.add(v)}::text)`;
}

function compare(k: Keys, op: 'gt' | 'ge' | 'lt' | 'le', v: Scalar, p: Params): string {
  const sign = { gt: '>', ge: '>=', lt: '<', le: '<=' }[op];
  const above = op === 'gt' || op === 'ge';
  if (typeof v === 'number') {
    const own = `(${k.cls} = 1 AND ${k.num} ${sign} ${p.add(v)}::numeric)`;
    return above ? `(${own} OR ${k.cls} = 2)` : own;
  }
  const own = `(${k.cls} = 2 AND ${k.txt} ${sign} ${p.add(v)}::text)`;
  return above ? own : `(${k.cls} = 1 OR ${own})`;
}

function inList(k: Keys, values: readonly Scalar[], p: Params): string {
  const numbers = values.filter((v): v is number => typeof v === 'number');
  const strings = values.filter((v): v is string => typeof v === 'string');
  const parts: string[] = [];
  if (numbers.length > 0)
    parts.push(`(${k.cls} = 1 AND ${k.num} = ANY(${p.add(numbers)}::numeric[]))`);
  if (strings.length > 0)
    parts.push(`(${k.cls} = 2 AND ${k.txt} = ANY(${p.add(strings)}::text[]))`);
  return `(${parts.join(' OR ')})`;
}

function overlap(k: Keys, values: readonly Scalar[], folded: boolean, p: Params): string {
  const strings = values.filter((v): v is string => typeof v === 'string');
  const others = values.filter((v): v is number => typeof v === 'number');
  const parts: string[] = [];
  if (strings.length > 0) {
    parts.push(
      folded
        ? `${k.folded} ?| ${p.add(strings.map(asciiLower))}::text[]`
        : `${k.json} ?| ${p.add(strings)}::text[]`,
    );
  }
  for (const n of others) parts.push(`${k.json} @> ${p.add(JSON.stringify(n))}::jsonb`);
  // Bare operators (NULL when the path is missing, which WHERE treats as false): a wrapper
  // such as coalesce() would hide them from the GIN index.
  return `(${parts.join(' OR ')})`;
}

/**
 * The condition for filter number `index`; throws `storage.bad-argument` saying which part
 * is wrong.
 *
 * @example
 * pgParsedFilterSql({ path: ['tags'], op: 'overlap', value: ['xmpp'] }, 0, new Params());
 */
export function pgParsedFilterSql(filter: unknown, index: number, p: Params): string {
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
  const k = pathKeys(path, 'i');
  const v = `${field}.value`;
  const one = () => scalar(value, v) as Scalar;
  switch (op) {
    case 'eq':
      return value === null ? `${k.cls} = 0` : eq(k, one(), p);
    case 'ne':
      return value === null ? `${k.cls} <> 0` : `NOT ${eq(k, one(), p)}`;
    case 'gt':
    case 'ge':
    case 'lt':
    case 'le':
      return compare(k, op, one(), p);
    case 'between': {
      const bounds = scalars(value, v, false) as Scalar[];
      if (bounds.length !== 2) throw badArgument(`${v} must be [low, high]`, { field: v });
      return `(${compare(k, 'ge', bounds[0] as Scalar, p)} AND ${compare(k, 'le', bounds[1] as Scalar, p)})`;
    }
    case 'in':
      return inList(k, scalars(value, v, false) as Scalar[], p);
    case 'not_in':
      return `NOT ${inList(k, scalars(value, v, false) as Scalar[], p)}`;
    case 'overlap':
    case 'ioverlap':
      return overlap(k, scalars(value, v, true) as Scalar[], op === 'ioverlap', p);
    case 'disjoint':
    case 'idisjoint':
      return `NOT coalesce(${overlap(k, scalars(value, v, true) as Scalar[], op === 'idisjoint', p)}, false)`;
    case 'like':
      return `coalesce(${k.raw} LIKE ${p.add(patternText(value, v))} ESCAPE '', false)`;
    case 'not_like':
      return `NOT coalesce(${k.raw} LIKE ${p.add(patternText(value, v))} ESCAPE '', false)`;
    case 'ilike':
      return `coalesce(${k.raw} ILIKE ${p.add(patternText(value, v))} ESCAPE '', false)`;
    case 'not_ilike':
      return `NOT coalesce(${k.raw} ILIKE ${p.add(patternText(value, v))} ESCAPE '', false)`;
  }
}
