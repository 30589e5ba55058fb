import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from '../util/worker-entry.js';

/** The package version, read once from package.json. */
export const VERSION: string = (() => {
  try {
    const root = projectRoot(fileURLToPath(new URL('.', import.meta.url)));
    return (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
})();
