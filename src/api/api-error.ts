import { type ErrorCode, httpStatusFor } from '../error-catalogue.js';
import { AviaryError } from '../errors.js';

/** The codes the control API itself raises (bad path, body, token...). */
export type ApiErrorCode = Extract<ErrorCode, `api.${string}`>;

/**
 * A request the control API refuses before any operation runs. Its HTTP status comes from the
 * error catalogue, like every other code's.
 *
 * @example
 * throw new ApiError('api.invalid-request', 'limit: expected a number', { problems });
 */
export class ApiError extends AviaryError<ApiErrorCode> {
  constructor(code: ApiErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details ? { details } : {});
    this.name = 'ApiError';
  }
}

/** The HTTP status for any thrown value: the catalogue's for an {@link AviaryError}, else 500. */
export function statusForError(error: unknown): number {
  return error instanceof AviaryError ? httpStatusFor(error.code) : 500;
}

/** The body of every control API error answer. */
export interface ApiErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Readonly<Record<string, unknown>> | undefined;
  };
}

/** Builds the error answer: an {@link AviaryError} keeps its code, anything else is `internal`. */
export function errorBody(error: unknown): ApiErrorBody {
  if (error instanceof AviaryError)
    return { error: { code: error.code, message: error.message, details: error.details } };
  return {
    error: { code: 'internal', message: error instanceof Error ? error.message : String(error) },
  };
}
