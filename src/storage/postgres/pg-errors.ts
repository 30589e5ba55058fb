/**
 * PostgreSQL failures as typed errors. A lost connection (SQLSTATE class 08, server shutdown
 * 57P01-57P03, socket errors) is `storage.unavailable`: the batch's writes fail and are never
 * acknowledged. Rejected data (classes 22 and 23) is `storage.bad-argument`; anything else
 * `storage.statement-failed`. See https://www.postgresql.org/docs/15/errcodes-appendix.html
 */
import { AviaryError, isAviaryError } from '../../errors.js';

const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ENOTFOUND']);

/**
 * True when `error` means the server or the connection went away — including a request's
 * failure already typed `storage.unavailable` on its way up (a server still starting up,
 * 57P03, is found by the request that meets it, not by the batch).
 */
export function isConnectionLoss(error: unknown): boolean {
  if (isAviaryError(error, 'storage.unavailable')) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || ['57P01', '57P02', '57P03'].includes(code)) return true;
    if (SOCKET_CODES.has(code)) return true;
  }
  if (error instanceof AggregateError) return error.errors.some(isConnectionLoss);
  return /Connection terminated|not queryable|connection error|timeout exceeded when trying to connect/i.test(
    error.message,
  );
}

/** The error a batch's requests get when the server is unreachable. */
export function unavailable(cause: unknown): AviaryError {
  if (isAviaryError(cause, 'storage.unavailable')) return cause;
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new AviaryError(
    'storage.unavailable',
    `PostgreSQL is unreachable (${reason}); the write was not stored`,
    { cause },
  );
}

export function classifyPgError(error: unknown, what: string): AviaryError {
  if (isConnectionLoss(error)) return unavailable(error);
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  const bad = typeof code === 'string' && (code.startsWith('22') || code.startsWith('23'));
  return new AviaryError(
    bad ? 'storage.bad-argument' : 'storage.statement-failed',
    `${what}: ${message}`,
    { cause: error },
  );
}
