import type { AviaryConfigInput } from '../config/config-schema.js';
import type { Logger } from '../log.js';
import { createRuntime, type Runtime } from './runtime.js';
import { StoragePart } from './storage-part.js';

/**
 * The runtime as `aviary run` starts it: storage, entities, workflow, cache and the control API
 * on the embedded default (sql.js in the data folder).
 */
export function createDefaultRuntime(options: {
  config: AviaryConfigInput;
  log?: Logger;
}): Runtime {
  const storage = new StoragePart();
  return createRuntime({
    config: options.config,
    ...(options.log ? { log: options.log } : {}),
    parts: [storage],
  });
}
