/**
 * The shape shared by the send and receive pipelines: an ordered list of named stages (data),
 * each a function from the current state to the next state or to a final result, run by
 * {@link runStages}. Stages that need the outside world receive it through the deps object.
 */
import { isAviaryError } from '../errors.js';
import { StageError } from './errors.js';
import type { MessageData } from './message-data.js';

/** What a stage returns: go on with a new state, or stop with the pipeline's result. */
export type StageStep<S, R> = { readonly next: S } | { readonly done: R };

/** One named stage. */
export interface Stage<S, D, R> {
  readonly name: string;
  /** Whether `sendOnly` skips this stage (hooks, storage and the echo signal). */
  readonly skippedWhenSendOnly?: boolean;
  readonly run: (state: S, deps: D) => StageStep<S, R> | Promise<StageStep<S, R>>;
}

/** A pino-compatible logger, narrowed to what the workflow uses. */
export interface WorkflowLogger {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** The signal announcing a message to the entity's listeners (Libervia's `messageNew`). */
export interface MessageNewSignal {
  readonly type: 'messageNew';
  readonly direction: 'in' | 'out';
  readonly message: MessageData;
}

/** Why a message was not written to history. */
export type NotStoredReason =
  | 'empty'
  | 'groupchat'
  | 'history-disabled'
  | 'send-only'
  | 'no-storage';

/**
 * Runs `stages` in order from `initial` until one returns `done`.
 *
 * @example
 * const result = await runStages(SEND_STAGES, state, deps, { sendOnly: false });
 */
export async function runStages<S, D, R>(
  stages: readonly Stage<S, D, R>[],
  initial: S,
  deps: D,
  options: { readonly sendOnly?: boolean } = {},
): Promise<R> {
  let state = initial;
  for (const stage of stages) {
    if (options.sendOnly === true && stage.skippedWhenSendOnly === true) continue;
    const step = await stage.run(state, deps);
    if ('done' in step) return step.done;
    state = step.next;
  }
  throw new Error('pipeline ended without a result'); // the last stage always returns `done`
}

/**
 * Runs `fn`, logging a failure (with its code and details) before rethrowing it: a failed
 * message is reported once, where it failed, and the caller still gets the typed error.
 */
export async function logFailure<T>(
  logger: WorkflowLogger | undefined,
  what: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const { code, details } = isAviaryError(error)
      ? error
      : { code: 'internal', details: undefined };
    logger?.warn({ err: error, code, details }, `${what} failed`);
    throw error;
  }
}

/**
 * Calls an outside-world function for `stage`, turning a non-Aviary failure into a
 * {@link StageError} (`workflow.stage-failed`, `details.stage`).
 */
export async function callOutside<T>(stage: string, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    if (isAviaryError(error)) throw error;
    throw new StageError(stage, error);
  }
}
