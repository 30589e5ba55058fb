import { describe, expect, it } from 'vitest';
import { endpointOf, OPERATION_ENDPOINTS } from './operation-endpoints.js';
import { OPERATIONS, type OperationName } from './operations.js';

describe('the light endpoint table of the CLI client', () => {
  it('agrees with the operation table on every entry', () => {
    for (const [name, endpoint] of Object.entries(OPERATION_ENDPOINTS)) {
      const op = OPERATIONS[name as OperationName];
      expect(op, name).toBeDefined();
      expect(endpoint, name).toEqual({
        method: op.method,
        path: op.path,
        needsRuntime: op.needsRuntime,
      });
    }
  });

  it('covers what status and the list commands call', () => {
    for (const name of ['runtime.health', 'profile.list', 'component.list'] as const)
      expect(OPERATION_ENDPOINTS[name], name).toBeDefined();
  });

  it('lists every operation of the table', () => {
    for (const name of Object.keys(OPERATIONS) as OperationName[]) {
      const endpoint = endpointOf(name);
      expect(endpoint.path, name).toBe(OPERATIONS[name].path);
      expect(endpoint.method, name).toBe(OPERATIONS[name].method);
    }
  });
});
