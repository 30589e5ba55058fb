/**
 * Argument checks shared by both backends' `history.*` handlers: what a message type and a
 * per-language text map must look like before any SQL runs (values are bound, never spliced).
 */
import { MESSAGE_TYPES, type MessageType } from '../workflow/message-data.js';
import { badArgument } from './handler-context.js';

const TYPES: ReadonlySet<string> = new Set(MESSAGE_TYPES);

/** A message type (RFC 6121 §5.2.2 plus `info`), or `storage.bad-argument`. */
export function checkType(type: unknown): MessageType {
  if (typeof type !== 'string' || !TYPES.has(type))
    throw badArgument(`bad message type ${String(type)}`);
  return type as MessageType;
}

/** `{ lang: text }` as entries; absent → none; anything else is `storage.bad-argument`. */
export function langMap(value: unknown, field: string): [string, string][] {
  if (value === undefined) return [];
  if (typeof value !== 'object' || value === null) throw badArgument(`${field} must be an object`);
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [, text] of entries) {
    if (typeof text !== 'string') throw badArgument(`${field} values must be strings`);
  }
  return entries as [string, string][];
}
