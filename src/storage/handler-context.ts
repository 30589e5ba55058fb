/**
 * What every request handler receives, plus the argument checks they share. Handlers throw
 * {@link AviaryError}s with `storage.*` codes; the engine turns them into `ok: false` outcomes.
 */
import { AviaryError } from '../errors.js';
import type { SqlValue } from './journal.js';
import type { Json } from './messages.js';
import type { SqlAccess } from './sql-database.js';

export interface HandlerContext {
  readonly db: SqlAccess;
  /** Current time in seconds since the epoch (from the injected clock). */
  readonly now: () => number;
}

/** A bad argument (malformed JID, bad filter, wrong type). */
export function badArgument(message: string, details?: Record<string, unknown>): AviaryError {
  return new AviaryError('storage.bad-argument', message, details ? { details } : {});
}

export function requireString(value: unknown, field: string, maxLength = 4096): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw badArgument(`${field} must be a non-empty string of at most ${maxLength} characters`, {
      field,
    });
  }
  return value;
}

export function optionalNumber(value: unknown, field: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw badArgument(`${field} must be a finite number`, { field });
  }
  return value;
}

export function optionalLimit(value: unknown, field: string): number | undefined {
  const n = optionalNumber(value, field);
  if (n !== undefined && (!Number.isInteger(n) || n < 0)) {
    throw badArgument(`${field} must be a non-negative integer`, { field });
  }
  return n;
}

/** Checks a list argument: an array of strings (or null when `allowNull`). */
export function optionalList(
  value: unknown,
  field: string,
  allowNull = false,
): (string | null)[] | undefined {
  if (value === undefined) return undefined;
  if (
    !Array.isArray(value) ||
    value.some((v) => !(typeof v === 'string' || (allowNull && v === null)))
  ) {
    throw badArgument(`${field} must be a list of strings`, { field });
  }
  return value as (string | null)[];
}

const JID_PART = /^[^\s@/]+$/;

/**
 * Validates a JID (RFC 7622 shape: `[local@]domain[/resource]`) and splits it into bare and
 * resource parts. Bare parts are lower-cased (case-insensitive nodeprep/nameprep subset).
 */
export function parseJid(value: unknown, field: string): { bare: string; resource: string | null } {
  if (typeof value !== 'string' || value.length === 0 || value.length > 3071) {
    throw badArgument(`${field} must be a JID`, { field });
  }
  const slash = value.indexOf('/');
  const bare = slash === -1 ? value : value.slice(0, slash);
  const resource = slash === -1 ? null : value.slice(slash + 1);
  const at = bare.indexOf('@');
  const local = at === -1 ? null : bare.slice(0, at);
  const domain = at === -1 ? bare : bare.slice(at + 1);
  if (
    !JID_PART.test(domain) ||
    (local !== null && !JID_PART.test(local)) ||
    (resource !== null && (resource.length === 0 || resource.length > 1023))
  ) {
    throw badArgument(`${field} is not a valid JID: ${JSON.stringify(value)}`, { field, value });
  }
  return { bare: bare.toLowerCase(), resource };
}

/** The id of a profile, or a `storage.unknown-profile` error. */
export function profileId(db: SqlAccess, name: unknown): number {
  const profile = requireString(name, 'profile');
  const row = db.get('SELECT id FROM profiles WHERE name = ?', [profile]);
  if (row === undefined) {
    throw new AviaryError(
      'storage.unknown-profile',
      `no profile named ${JSON.stringify(profile)}`,
      {
        details: { profile },
      },
    );
  }
  return Number(row.id);
}

export function toJsonText(value: Json | undefined): string | null {
  return value === undefined ? null : JSON.stringify(value);
}

export function fromJsonText(value: SqlValue | undefined): Json {
  return typeof value === 'string' ? (JSON.parse(value) as Json) : null;
}

/** `?, ?, ?` for a bound IN list. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}
