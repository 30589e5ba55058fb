/**
 * Which commands may create a data folder. Only `aviary run` and `aviary init` do; every other
 * command needs an existing store, so a mistyped `--data-dir` ends with a clear error instead of
 * a new empty store with a new secret key (which would then hide the real one).
 */
import { readdirSync, statSync } from 'node:fs';
import { CliError } from './output.js';

/**
 * Files only an Aviary store holds: the sql.js manifest, snapshots and journals, the key, the
 * API token (also written when storage lives on PostgreSQL) and the lock.
 */
const STORE_FILE =
  /^(manifest\.json|secret\.key|api-token|aviary\.lock|snapshot-\d+\.db|journal-\d+\.log)$/;

/** True when `dataDir` is a folder that holds an Aviary store. Reads, never writes. */
export function isAviaryDataFolder(dataDir: string): boolean {
  const stat = statSync(dataDir, { throwIfNoEntry: false });
  if (stat === undefined || !stat.isDirectory()) return false;
  return readdirSync(dataDir).some((name) => STORE_FILE.test(name));
}

/** Throws `cli.no-data-folder` (exit 1) unless `dataDir` holds an Aviary store. */
export function requireDataFolder(dataDir: string): void {
  if (isAviaryDataFolder(dataDir)) return;
  const stat = statSync(dataDir, { throwIfNoEntry: false });
  const what =
    stat === undefined
      ? 'does not exist'
      : stat.isDirectory()
        ? 'holds no Aviary store'
        : 'is a file, not a folder';
  throw new CliError(
    `the data folder ${dataDir} ${what}; check --data-dir (or AVIARY_DATA_DIR), or create a store there with \`aviary init\``,
    { code: 'cli.no-data-folder' },
  );
}
