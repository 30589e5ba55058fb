/**
 * How an operation's input travels over HTTP, in one place for both sides: fields named in the
 * path (`/profiles/:name`) fill the path, percent-encoded; the rest go in the JSON body (POST) or
 * the query string (GET, DELETE). Query fields are read back by the type their schema declares
 * (number, boolean, string, or a list of those: repeated keys), and the schema then validates.
 *
 * @example
 * encodeRequest(operations['history.query'], { profile: 'alice', limit: 10, types: ['chat'] });
 * // { method: 'GET', path: '/profiles/alice/history?limit=10&types=chat' }
 */
import { z } from 'zod';
import { ApiError } from './api-error.js';

/** The HTTP side of an operation. */
export interface HttpShape {
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path with `:field` segments naming input fields. */
  readonly path: string;
  readonly input: z.ZodType;
}

/** What a query field's schema says its text means. */
export type QueryFieldKind = 'string' | 'number' | 'boolean' | 'list';

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  while (current instanceof z.ZodOptional || current instanceof z.ZodDefault)
    current = current.unwrap() as z.ZodType;
  return current;
}

/** The kind of each query-string field of an object schema; undefined for a field no query can carry. */
export function queryFieldKinds(schema: z.ZodType): Record<string, QueryFieldKind | undefined> {
  const kinds: Record<string, QueryFieldKind | undefined> = {};
  if (!(schema instanceof z.ZodObject)) return kinds;
  for (const [key, field] of Object.entries(schema.shape as Record<string, z.ZodType>)) {
    const inner = unwrap(field);
    kinds[key] =
      inner instanceof z.ZodNumber
        ? 'number'
        : inner instanceof z.ZodBoolean
          ? 'boolean'
          : inner instanceof z.ZodString || inner instanceof z.ZodEnum
            ? 'string'
            : inner instanceof z.ZodArray || inner instanceof z.ZodTuple
              ? 'list'
              : undefined;
  }
  return kinds;
}

/** The `:field` names of a path, in order. */
export function pathFields(path: string): string[] {
  return path
    .split('/')
    .filter((part) => part.startsWith(':'))
    .map((part) => part.slice(1));
}

// Encoding needs no schema; it lives apart so the CLI's API client loads without zod.
export { encodeRequest } from './operation-request.js';

/** Rebuilds the raw (not yet validated) input from path parameters and the query or body. */
export function decodeRequest(
  shape: HttpShape,
  params: Readonly<Record<string, string>>,
  query: URLSearchParams,
  body: unknown,
): Record<string, unknown> {
  let raw: Record<string, unknown>;
  if (shape.method === 'POST') {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new ApiError('api.invalid-request', 'the request body must be a JSON object');
    raw = { ...(body as Record<string, unknown>) };
  } else {
    raw = {};
    const kinds = queryFieldKinds(shape.input);
    for (const key of new Set(query.keys())) {
      const values = query.getAll(key);
      const kind = kinds[key];
      const one = values.at(-1) as string;
      raw[key] =
        kind === 'list'
          ? values
          : kind === 'number'
            ? one === ''
              ? Number.NaN
              : Number(one)
            : kind === 'boolean'
              ? one === 'true'
                ? true
                : one === 'false'
                  ? false
                  : one
              : one;
    }
  }
  for (const [name, value] of Object.entries(params)) {
    if (name in raw && raw[name] !== value)
      throw new ApiError('api.invalid-request', `${name} is given by the path; leave it out`);
    raw[name] = value;
  }
  return raw;
}
