/**
 * Turns a rejected Piscina task into a typed {@link AviaryError}. The parser worker never
 * rejects on purpose (bad items and unloadable modules are response values), so a rejection
 * is an abort (deadline, caller, pool closing), a full queue, or a dead worker.
 */
import { AviaryError } from '../errors.js';
import type { ParserRef } from './parser-protocol.js';

/** Typed error codes thrown by `ParserPool.parseBatch`. */
export type ParserPoolErrorCode =
  | 'parser.timeout'
  | 'parser.crashed'
  | 'parser.aborted'
  | 'parser.load-failed'
  | 'parser.overloaded'
  | 'parser.closed';

/** What the pool knew when the task failed. */
export interface TaskFailureContext {
  readonly closing: boolean;
  /** The task's own deadline signal fired. */
  readonly timedOut: boolean;
  readonly parser: ParserRef;
  readonly items: number;
  readonly timeoutMs: number;
}

/** Classifies a task rejection; see the module comment. */
export function classifyTaskError(
  error: unknown,
  context: TaskFailureContext,
): AviaryError<ParserPoolErrorCode> {
  const { parser, items, timeoutMs } = context;
  const details = { module: parser.module, export: parser.export, items };
  const text = describeError(error);
  const aborted =
    (error instanceof Error && error.name === 'AbortError') ||
    (error as { code?: unknown } | null)?.code === 'ABORT_ERR';
  if (context.closing) {
    return new AviaryError('parser.closed', 'the parser pool closed', { cause: error, details });
  }
  if (aborted && context.timedOut) {
    return new AviaryError(
      'parser.timeout',
      `parser ${parser.export} took over ${timeoutMs} ms on ${items} item(s); its worker was replaced`,
      { cause: error, details: { ...details, timeoutMs } },
    );
  }
  if (aborted) {
    return new AviaryError('parser.aborted', 'parsing was cancelled', { cause: error, details });
  }
  if (/task queue is at limit/i.test(text)) {
    return new AviaryError('parser.overloaded', 'the parser pool queue is full', {
      cause: error,
      details,
    });
  }
  return new AviaryError('parser.crashed', `parser worker failed: ${text}`, {
    cause: error,
    details,
  });
}

/** The message of an error, or its string form. */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
