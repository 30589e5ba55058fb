/**
 * One error base for the whole runtime. Every real failure is an `AviaryError` subclass with a
 * literal `code` (stable, for programs) and an optional `cause` (for people). Expected outcomes
 * (cancelled, not found, migration results) are values, not errors.
 *
 * Errors cross thread boundaries as {@link SerializedError} and are rebuilt with
 * {@link deserializeError}, so a caller on the main thread sees the same `code`.
 *
 * @example
 * throw new AviaryError('storage.unknown-profile', `no profile named ${name}`);
 */
export class AviaryError<Code extends string = string> extends Error {
  readonly code: Code;
  /** Structured details, always structured-clone-able. */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(
    code: Code,
    message: string,
    options: { cause?: unknown; details?: Record<string, unknown> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AviaryError';
    this.code = code;
    this.details = options.details;
  }
}

/** Plain-data form of an error, safe to post across a MessagePort. */
export interface SerializedError {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly stack?: string | undefined;
  readonly details?: Readonly<Record<string, unknown>> | undefined;
  readonly cause?: SerializedError | undefined;
}

export function serializeError(error: unknown, depth = 0): SerializedError {
  if (error instanceof Error) {
    const nodeCode = (error as { code?: unknown }).code;
    const code =
      error instanceof AviaryError
        ? error.code
        : typeof nodeCode === 'string'
          ? nodeCode
          : 'internal';
    return {
      name: error.name,
      code,
      message: error.message,
      stack: error.stack,
      details: error instanceof AviaryError ? error.details : undefined,
      cause:
        error.cause !== undefined && depth < 4 ? serializeError(error.cause, depth + 1) : undefined,
    };
  }
  return { name: 'Error', code: 'internal', message: String(error) };
}

/** Rebuilds an {@link AviaryError} from its plain-data form, keeping code, details and cause. */
export function deserializeError(data: SerializedError): AviaryError {
  const cause = data.cause === undefined ? undefined : deserializeError(data.cause);
  const error = new AviaryError(data.code, data.message, {
    cause,
    details: data.details as Record<string, unknown> | undefined,
  });
  error.name = data.name === 'Error' ? 'AviaryError' : data.name;
  if (data.stack !== undefined) error.stack = data.stack;
  return error;
}

/** Narrowing helper: `isAviaryError(e, 'mailbox-full')`. */
export function isAviaryError<C extends string>(error: unknown, code?: C): error is AviaryError<C> {
  return error instanceof AviaryError && (code === undefined || error.code === code);
}
