/**
 * One control operation: what it takes (a zod schema), what it answers (the type `run`
 * returns), where it lives over HTTP, whether it needs a live runtime, and the library call
 * that does it. The table of every operation is `operations.ts`.
 */
import type { z } from 'zod';
import type { Aviary } from '../runtime/default-runtime.js';
import { parseInput } from './request-schemas.js';

/** The library calls operations use: the runtime as a library ({@link Aviary}). */
export type ControlFacade = Pick<
  Aviary,
  | 'addProfile'
  | 'modifyProfile'
  | 'exportProfiles'
  | 'snapshotStorage'
  | 'addComponent'
  | 'remove'
  | 'connect'
  | 'disconnect'
  | 'entities'
  | 'entity'
  | 'sendMessage'
  | 'history'
  | 'cache'
  | 'health'
  | 'contacts'
  | 'archives'
  | 'muc'
>;

/** One control operation. */
export interface Operation<Input extends z.ZodType, Output> {
  readonly summary: string;
  readonly input: Input;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path with `:field` segments naming input fields, e.g. `/profiles/:name/connect`. */
  readonly path: string;
  /**
   * True when only a running runtime can do it (it connects, sends, or asks a server). The CLI
   * refuses such a command at once when no runtime runs, instead of starting one.
   */
  readonly needsRuntime: boolean;
  /** HTTP status of a success (default 200, or 204 when there is no output). */
  status?(output: NoInfer<Output>): number;
  run(aviary: ControlFacade, input: z.infer<Input>): Promise<Output>;
}

/** Any operation of the table, its types erased (the routes and the CLI handle them alike). */
export type AnyOperation = Operation<z.ZodType, unknown>;

export function operation<Input extends z.ZodType, Output>(
  spec: Operation<Input, Output>,
): Operation<Input, Output> {
  return spec;
}

/** Validates `input` with the operation's schema, then runs it (one body for every operation). */
export function runParsed<Input extends z.ZodType, Output>(
  op: Operation<Input, Output>,
  aviary: ControlFacade,
  input: unknown,
): Promise<Output> {
  return op.run(aviary, parseInput(op.input, input) as z.infer<Input>);
}
