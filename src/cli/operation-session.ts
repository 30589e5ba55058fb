/**
 * Several operations for one command on one target: the running runtime's API when one runs,
 * else ONE in-process runtime on the data folder for all of them (a bulk import of 10,000
 * profiles in batches must not start a runtime per batch, as `callOperation` would).
 */
import type {
  AnyOperation,
  OperationInput,
  OperationName,
  OperationOutput,
} from '../api/operations.js';
import type { GlobalOptions } from './context.js';
import { checkDataDir } from './environment.js';
import { noRuntimeError } from './target.js';

export interface OperationSession {
  /** True when the calls go to a running runtime (its API), false when in-process. */
  readonly live: boolean;
  call<N extends OperationName>(name: N, input: OperationInput<N>): Promise<OperationOutput<N>>;
}

/** Runs `work` with a session; an in-process runtime is stopped (and its store flushed) after. */
export async function withOperationSession<T>(
  global: GlobalOptions,
  operations: readonly OperationName[],
  work: (session: OperationSession) => Promise<T>,
): Promise<T> {
  const [{ connectToRuntime }, { OPERATIONS, runOperation }] = await Promise.all([
    import('./api-client.js'),
    import('../api/operations.js'),
  ]);
  const client = connectToRuntime(global.dataDir);
  if (client) return work({ live: true, call: (name, input) => client.call(name, input) });
  for (const name of operations) {
    const op: AnyOperation = OPERATIONS[name];
    if (op.needsRuntime) throw noRuntimeError(global.dataDir);
  }
  checkDataDir(global.dataDir);
  const [{ createRuntime }, { createLogger }] = await Promise.all([
    import('../runtime/default-runtime.js'),
    import('../log.js'),
  ]);
  const runtime = createRuntime({
    api: false,
    autoconnect: false,
    log: createLogger({ level: 'warn' }),
    config: { dataDir: global.dataDir, log: { level: 'warn' } },
  });
  await runtime.start();
  try {
    return await work({
      live: false,
      // Validated by the operation's schema, the same check the control API makes.
      call: (name, input) => runOperation(runtime, name, input),
    });
  } finally {
    await runtime.stop();
  }
}
