import { existsSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Resolves the compiled JavaScript file of a worker module.
 *
 * Worker threads (and Piscina tasks) load plain JavaScript. From compiled code
 * (`dist/src/...js`) the sibling file is used as is; when the caller runs from TypeScript
 * sources (vitest runs `src/...ts`, `test/...ts`) the same path under `dist/` is used, so
 * `npm run build` must have run first (`npm test` does it).
 *
 * @example new Worker(workerEntry(import.meta.url, './storage-worker.js'))
 */
export function workerEntry(callerUrl: string, relativeJs: string): URL {
  const direct = new URL(relativeJs, callerUrl);
  if (!callerUrl.endsWith('.ts')) return direct;
  const path = fileURLToPath(direct);
  const root = projectRoot(dirname(fileURLToPath(callerUrl)));
  const compiled = join(root, 'dist', relative(root, path));
  if (existsSync(compiled)) return pathToFileURL(compiled);
  throw new Error(
    `worker module ${relativeJs} has no compiled JavaScript at ${compiled}; run "npm run build" first`,
  );
}

/** The nearest folder above `from` that holds a package.json. */
export function projectRoot(from: string): string {
  let dir = from;
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no package.json above ${from}`);
    dir = parent;
  }
}
