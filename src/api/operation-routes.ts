import { ApiError } from './api-error.js';
import type { Route } from './control-server.js';
import { type AnyOperation, type ControlFacade, runParsed } from './operation.js';
import { decodeRequest } from './operation-codec.js';
import { OPERATIONS } from './operations.js';

/**
 * Refuses, as a typed 400, a value that could not be posted to another thread. Request values
 * reach the storage and parser threads by structured clone; a failure there would surface far
 * from the request (or not at all), so it is found here, in the request's own turn.
 */
export function checkCloneable(value: unknown): void {
  try {
    structuredClone(value);
  } catch (error) {
    throw new ApiError(
      'api.not-cloneable',
      `the request holds a value that cannot cross to a worker thread: ${(error as Error).message}`,
    );
  }
}

/** The control API route of one operation: decode, validate, run the library call, answer. */
export function operationRoute(op: AnyOperation, aviary: ControlFacade): Route {
  return {
    method: op.method,
    path: op.path,
    summary: op.summary,
    input: op.input,
    async handle({ params, query, body }) {
      const raw = decodeRequest(op, params, query, body);
      checkCloneable(raw);
      const output = await runParsed(op, aviary, raw);
      return {
        status: op.status?.(output) ?? (output === undefined ? 204 : 200),
        body: output,
      };
    },
  };
}

/** Every operation of the table as a control API route. */
export function operationRoutes(aviary: ControlFacade): Route[] {
  return Object.values(OPERATIONS).map((op: AnyOperation) => operationRoute(op, aviary));
}
