/**
 * Bundles the CLI's start path into `dist/cli/aviary.js` (the package's `bin`), run by
 * `npm run build` after tsc. A call to a live runtime (`aviary status`) is dominated by Node
 * resolving, reading and linking ~40 small modules one by one; one file costs one of each.
 *
 * What goes into the bundle: `dist/src/cli/bin.js` (which turns on Node's compile cache, then
 * loads the CLI as its own chunk), `main.js`, everything it imports statically
 * (commander, every command's registration) and the modules under `dist/src/cli/` that
 * commands import lazily (the API client), each lazy one as its own chunk so it still loads
 * only when a command asks for it. What stays outside, loaded from `dist/src/` as before:
 * - every lazy import of a module outside `dist/src/cli/` (the runtime, storage, config,
 *   logging): they start workers and find files relative to their own location;
 * - packages imported lazily (`cli-progress`): imported by name, as before;
 * - `dist/src/errors.js`: the error classes are checked with `instanceof` against errors the
 *   runtime throws, so there must be exactly one copy of the module.
 *
 * Usage: node scripts/bundle-cli.mjs [--out dist/cli]
 */

import { rmSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rolldown } from 'rolldown';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outIndex = process.argv.indexOf('--out');
const outDir = resolve(root, outIndex >= 0 ? (process.argv[outIndex + 1] ?? '') : 'dist/cli');
const compiled = join(root, 'dist', 'src');
const cliDir = join(compiled, 'cli') + sep;
const singleCopy = new Set([join(compiled, 'errors.js')]);

/** @type {import('rolldown').Plugin} */
const keepRuntimeOutside = {
  name: 'aviary-keep-runtime-outside',
  async resolveId(source, importer, options) {
    if (importer === undefined) return null;
    const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
    if (resolved === null || resolved.external) return resolved;
    const path = resolved.id;
    // A package imported lazily stays a lazy import by its own name (found in node_modules).
    if (options.kind === 'dynamic-import' && path.includes(`${sep}node_modules${sep}`))
      return { id: source, external: true };
    const lazyOutsideCli = options.kind === 'dynamic-import' && !path.startsWith(cliDir);
    if (!singleCopy.has(path) && !lazyOutsideCli) return resolved;
    // Every chunk is written into the output folder itself, so one relative path fits all.
    const specifier = relative(outDir, path).split(sep).join('/');
    return { id: specifier.startsWith('.') ? specifier : `./${specifier}`, external: true };
  },
};

rmSync(outDir, { recursive: true, force: true });
const build = await rolldown({
  input: { aviary: join(cliDir, 'bin.js') },
  platform: 'node',
  plugins: [keepRuntimeOutside],
  // Node's built-in modules have no side effect the CLI relies on: one imported only by code
  // the bundle dropped (`node:crypto`, ~20 internal modules) is not loaded at all.
  treeshake: { moduleSideEffects: (id, external) => !(external && id.startsWith('node:')) },
  onLog(level, log, handle) {
    // A module both bundled and lazily imported from outside the CLI: the lazy import loads
    // the compiled file, a second copy of a stateless module. Expected, not worth a line.
    if (log.code === 'INEFFECTIVE_DYNAMIC_IMPORT') return;
    handle(level, log);
  },
});
const { output } = await build.write({
  dir: outDir,
  format: 'esm',
  entryFileNames: '[name].js',
  chunkFileNames: '[name]-[hash].js',
  sourcemap: true,
});
await build.close();
const files = output.filter((o) => o.type === 'chunk').map((o) => o.fileName);
process.stdout.write(`bundled the CLI into ${relative(root, outDir)}: ${files.join(', ')}\n`);
