/**
 * Where a CLI command acts. With a runtime running on the data folder, through its control API.
 * Without one: an operation that needs a live runtime (connect, send, ask a server) is refused at
 * once, before anything starts; the others run in-process on the data folder (a runtime that
 * serves no API and connects nothing), validated by the same schema as the API's.
 *
 * The operation table and the API client are loaded when a command runs, not when the CLI
 * starts, so `--help` and usage errors stay cheap.
 */
import type {
  AnyOperation,
  OperationInput,
  OperationName,
  OperationOutput,
} from '../api/operations.js';
import type { RuntimeClient } from './api-client.js';
import type { GlobalOptions } from './context.js';
import { requireDataFolder } from './data-folder.js';
import { checkDataDir } from './environment.js';
import { CliError } from './output.js';

/** The refusal of a command that needs a running runtime when none runs. */
export function noRuntimeError(dataDir: string): CliError {
  return new CliError(`no runtime is running on ${dataDir}; start one with \`aviary run\``, {
    code: 'cli.no-runtime',
  });
}

/** The running runtime's client, or the {@link noRuntimeError} refusal. */
export async function requireRuntime(global: GlobalOptions): Promise<RuntimeClient> {
  const { connectToRuntime } = await import('./api-client.js');
  const client = connectToRuntime(global.dataDir);
  if (client === undefined) throw noRuntimeError(global.dataDir);
  return client;
}

/**
 * Runs one operation for a command: on the running runtime, or in-process on the data folder
 * when the operation allows it and none runs.
 */
export async function callOperation<N extends OperationName>(
  global: GlobalOptions,
  name: N,
  input: OperationInput<N>,
): Promise<OperationOutput<N>> {
  const { connectToRuntime } = await import('./api-client.js');
  const client = connectToRuntime(global.dataDir);
  if (client) return client.call(name, input);
  // No runtime: the operation table and its schemas are needed only from here on.
  const [{ OPERATIONS, runOperation }, { parseInput }] = await Promise.all([
    import('../api/operations.js'),
    import('../api/request-schemas.js'),
  ]);
  const op: AnyOperation = OPERATIONS[name];
  if (op.needsRuntime) throw noRuntimeError(global.dataDir);
  // Bad input is refused before anything starts, by the schema the API uses.
  parseInput(op.input, input);
  // Only `run` and `init` create a store: a mistyped --data-dir is an error, not a new store.
  requireDataFolder(global.dataDir);
  // A read (GET, safe by RFC 9110 §9.2.1) leaves the folder as it found it: no journal record,
  // snapshot or key file. A change needs a writable folder with room.
  const readOnly = op.method === 'GET';
  if (!readOnly) checkDataDir(global.dataDir);
  // Loaded only here: a command served by a running runtime needs just the API client.
  const [{ createRuntime }, { createLogger }] = await Promise.all([
    import('../runtime/default-runtime.js'),
    import('../log.js'),
  ]);
  const runtime = createRuntime({
    api: false,
    autoconnect: false,
    readOnly,
    log: createLogger({ level: 'warn' }),
    config: { dataDir: global.dataDir, log: { level: 'warn' } },
  });
  await runtime.start();
  try {
    return await runOperation(runtime, name, input);
  } finally {
    await runtime.stop();
  }
}
