import { AviaryError } from '../errors.js';

/** An error with an HTTP status for the control API. */
export class HttpError extends AviaryError<'api.http'> {
  readonly status: number;
  constructor(status: number, message: string, details?: Record<string, unknown>) {
    super('api.http', message, details ? { details } : {});
    this.name = 'HttpError';
    this.status = status;
  }
}

/**
 * Maps an AviaryError code to an HTTP status by its shape (`*.not-found`, `*.unknown-*` → 404,
 * `*-exists`, `*.duplicate`, `entity.offline` → 409, `*invalid`, `*bad-argument` → 400, full
 * mailbox → 503, ask timeout → 504); anything else is a 500.
 */
export function statusForError(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (!(error instanceof AviaryError)) return 500;
  const code = error.code;
  if (code.endsWith('not-found') || code.includes('.unknown-')) return 404;
  if (code.endsWith('exists') || code.endsWith('.duplicate') || code === 'entity.offline')
    return 409;
  if (code.endsWith('invalid') || code.endsWith('bad-argument') || code.startsWith('plugin.'))
    return 400;
  if (code === 'actor.mailbox-full') return 503;
  if (code === 'actor.ask-timeout') return 504;
  return 500;
}
