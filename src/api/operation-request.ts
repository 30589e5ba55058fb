/**
 * The client side of an operation's HTTP form (the rules are in `operation-codec.ts`): fields
 * named in the path fill it, percent-encoded; the rest go in the JSON body (POST) or the query
 * string (GET, DELETE, one key per list item). It needs no schema, so the CLI's API client loads
 * without zod.
 */
import type { HttpShape } from './operation-codec.js';

/** Builds the method, path (with query) and body for calling `shape` with `input`. */
export function encodeRequest(
  shape: Pick<HttpShape, 'method' | 'path'>,
  input: Readonly<Record<string, unknown>>,
): { method: HttpShape['method']; path: string; body?: Record<string, unknown> } {
  const rest: Record<string, unknown> = { ...input };
  const path = shape.path
    .split('/')
    .map((part) => {
      if (!part.startsWith(':')) return part;
      const value = rest[part.slice(1)];
      delete rest[part.slice(1)];
      return encodeURIComponent(String(value));
    })
    .join('/');
  if (shape.method === 'POST') return { method: shape.method, path, body: rest };
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(rest)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) query.append(key, String(item));
  }
  const text = query.toString();
  return { method: shape.method, path: text === '' ? path : `${path}?${text}` };
}
