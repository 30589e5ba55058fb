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

/**
 * A value that cannot cross to another thread (`postMessage` threw a DataCloneError) becomes a
 * typed 400; anything else keeps its code, or is `internal`.
 */
function codeOf(error: unknown): string {
  if (error instanceof AviaryError) return error.code;
  if (error instanceof Error && error.name === 'DataCloneError') return 'api.not-cloneable';
  return 'internal';
}

/** The HTTP status for any thrown value, from the error catalogue (500 when uncatalogued). */
export function statusForError(error: unknown): number {
  return httpStatusFor(codeOf(error));
}

/** The body of every control API error answer. */
export interface ApiErrorBody {
  readonly error: {
    readonly code: string;
    readonly message: string;
    readonly details?: Readonly<Record<string, unknown>> | undefined;
  };
}

/** Builds the error answer: an {@link AviaryError} keeps its code (see `codeOf` for the rest). */
export function errorBody(error: unknown): ApiErrorBody {
  const details = error instanceof AviaryError ? error.details : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return { error: { code: codeOf(error), message, details } };
}
