import type { Route } from './control-server.js';
import { decodeRequest } from './operation-codec.js';
import { type AnyOperation, type ControlFacade, OPERATIONS, runParsed } from './operations.js';

/** The control API route of one operation: decode, validate, run the library call, answer. */
export function operationRoute(op: AnyOperation, aviary: ControlFacade): Route {
  return {
    method: op.method,
    path: op.path,
    async handle({ params, query, body }) {
      const output = await runParsed(op, aviary, decodeRequest(op, params, query, body));
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
