#!/usr/bin/env node
/**
 * The `aviary` executable: turns on Node's on-disk compile cache where the running Node has it
 * (`module.enableCompileCache`, Node 22.1 on; absent on Node 20, where this is a no-op), then
 * loads the CLI. The cache must be on before the CLI's code is loaded to cover it, hence this
 * separate entry. The build bundles it with the CLI into `dist/cli/aviary.js` (the package's
 * `bin`); `NODE_DISABLE_COMPILE_CACHE=1` turns the cache off.
 * See https://nodejs.org/api/module.html#module-compile-cache
 */
import * as nodeModule from 'node:module';

type CompileCacheModule = { enableCompileCache?: () => unknown };

try {
  (nodeModule as CompileCacheModule).enableCompileCache?.();
} catch {
  // A cache that cannot be used (read-only temp folder) only costs speed.
}
await import('./main.js');
