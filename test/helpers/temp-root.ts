/**
 * Vitest setup file: each test file gets its own temporary root, set as TMPDIR, so every folder
 * its tests, servers and spawned processes make with `os.tmpdir()` lands in one place. The root is
 * removed after the file when everything in it passed, and kept (its path printed) when a test or
 * hook failed, for the post-mortem.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach } from 'vitest';
import { hookErrors } from './hook-errors.js';

const previous = process.env.TMPDIR;
const root = mkdtempSync(join(tmpdir(), 'avt-'));
// Others may traverse it: when the tests run as root, the PostgreSQL helper runs its throwaway
// cluster as the `postgres` user in a folder below this one.
chmodSync(root, 0o711);
process.env.TMPDIR = root;

let failed = false;
beforeEach((context) => {
  context.onTestFailed(() => {
    failed = true;
  });
});

// biome-ignore lint/correctness/noEmptyPattern: vitest requires a destructured first argument.
afterAll(({}, suite) => {
  if (previous === undefined) delete process.env.TMPDIR;
  else process.env.TMPDIR = previous;
  if (failed || hookErrors(suite).length > 0) {
    process.stderr.write(`temporary files of the failed test file kept in ${root}\n`);
    return;
  }
  rmSync(root, { recursive: true, force: true });
});
