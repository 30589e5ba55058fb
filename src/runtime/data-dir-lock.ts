import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { AviaryError } from '../errors.js';

export const LOCK_FILE = 'aviary.lock';

/** Another live runtime holds the data folder. */
export class DataDirLockedError extends AviaryError<'runtime.data-dir-locked'> {
  constructor(dataDir: string, pid: number) {
    super(
      'runtime.data-dir-locked',
      `another Aviary runtime (pid ${pid}) is already running on ${dataDir}; stop it first, or use another --data-dir`,
      { details: { dataDir, pid } },
    );
    this.name = 'DataDirLockedError';
  }
}

/** True when a process with this pid exists (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid recorded in the lock, if any. */
export function readLockPid(dataDir: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(join(dataDir, LOCK_FILE), 'utf8').trim(), 10);
    return Number.isInteger(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Takes the data folder for this process: creates `aviary.lock` holding our pid with O_EXCL.
 * A lock left by a dead process is taken over; a live one refuses with DataDirLockedError.
 * Returns the release function.
 */
export function acquireDataDirLock(dataDir: string, pid = process.pid): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const path = join(dataDir, LOCK_FILE);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${pid}\n`);
      closeSync(fd);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (readLockPid(dataDir) === pid) unlinkSync(path);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = readLockPid(dataDir);
      if (holder !== undefined && holder !== pid && processAlive(holder)) {
        throw new DataDirLockedError(dataDir, holder);
      }
      // Stale (dead pid, or unreadable half-written lock): take it over.
      try {
        unlinkSync(path);
      } catch (unlinkError) {
        if ((unlinkError as NodeJS.ErrnoException).code !== 'ENOENT') throw unlinkError;
      }
    }
  }
  throw new AviaryError('runtime.lock-failed', `could not take the lock ${path}`);
}
