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

/** Maps an AviaryError code to an HTTP status (unknown → 500). */
export function statusForError(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (!(error instanceof AviaryError)) return 500;
  const code = error.code;
  if (code.endsWith('.not-found') || code.endsWith('unknown-profile')) return 404;
  if (code.endsWith('.exists') || code.endsWith('.duplicate')) return 409;
  if (code.endsWith('.invalid') || code.startsWith('validation') || code === 'jid.invalid')
    return 400;
  if (code === 'actor.mailbox-full') return 503;
  if (code === 'actor.ask-timeout') return 504;
  return 500;
}
