/**
 * The file Piscina starts each parser thread with: a CommonJS module that loads the real
 * worker (`parser-worker.js`, an ES module) with `import()`.
 *
 * Piscina loads its `filename` with `require()` first. Node ≥ 20.19 (and ≥ 22.12) can load an
 * ES module through `require()` ("require(esm)"), and a thread terminated at the wrong moment of
 * that load aborts the whole process, not only the thread: `Assertion failed:
 * facade->InstantiateModule(...)` in `ModuleWrap::CreateRequiredModuleFacade`, exit by SIGABRT.
 * That happened on Node 20.20 to `aviary profile import`, whose runtime closed the pool while
 * the pool's first thread was still starting. `require()` of this CommonJS file never takes
 * that path, and a termination during `import()` ends the thread like any other termination.
 */
import type { ParseRequest, ParseResponse } from './parser-protocol.js';

type Parse = (request: ParseRequest) => Promise<ParseResponse>;

// Started when the thread starts (as Piscina's preload did), awaited by each task.
const worker: Promise<{ default: Parse }> = import('./parser-worker.js');
// A failed load is reported by the first task that awaits it, not as an unhandled rejection.
worker.catch(() => undefined);

async function parse(request: ParseRequest): Promise<ParseResponse> {
  return (await worker).default(request);
}

export = parse;
