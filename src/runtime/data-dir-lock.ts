/**
 * One owner per data folder, decided atomically.
 *
 * A single pid file cannot be taken over safely: two processes that both find it stale both
 * delete it and both create their own (and a reader can find it empty between create and
 * write). Instead every contender first creates its OWN claim file
 * (`aviary.lock.<pid>.<nonce>.claim`, exclusive create) and only then lists the folder:
 *
 *   invariant: of two live contenders, the one that lists later sees the other's claim,
 *   because each claim is created before its owner lists and stays until its owner leaves.
 *
 * So two processes can never both win; if both see each other, both withdraw and retry after
 * a random pause. Claims of dead processes are removed by anyone (a dead process owns
 * nothing). The winner then writes `aviary.lock` (its pid, written to a temp file and renamed,
 * so it is never seen half-written) for readers such as `aviary status`.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { AviaryError } from '../errors.js';

export const LOCK_FILE = 'aviary.lock';
const CLAIM = /^aviary\.lock\.(\d+)\.([0-9a-f]+)\.claim$/;
const ATTEMPTS = 12;

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

function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function writeNew(path: string, text: string, flag: 'wx' | 'w'): void {
  const fd = openSync(path, flag, 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Blocks this thread for `ms` (lock taking is synchronous and happens once, at start). */
function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Live rivals' pids; removes claims left by dead processes (or by an earlier us). */
function rivals(dataDir: string, pid: number, own: string): number[] {
  const live: number[] = [];
  for (const name of readdirSync(dataDir)) {
    const match = CLAIM.exec(name);
    if (match === null || name === own) continue;
    const holder = Number(match[1]);
    if (holder !== pid && processAlive(holder)) live.push(holder);
    else unlinkIfPresent(join(dataDir, name));
  }
  return live;
}

/**
 * Takes the data folder for this process, or throws {@link DataDirLockedError} naming the live
 * owner. Returns the release function (idempotent).
 *
 * @example
 * const release = acquireDataDirLock('./data');
 * try { ... } finally { release(); }
 */
export function acquireDataDirLock(dataDir: string, pid = process.pid): () => void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  let rival: number | undefined;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const owner = readLockPid(dataDir);
    if (owner !== undefined && owner !== pid && processAlive(owner)) {
      throw new DataDirLockedError(dataDir, owner);
    }
    const nonce = randomBytes(6).toString('hex');
    const claim = `${LOCK_FILE}.${pid}.${nonce}.claim`;
    const claimPath = join(dataDir, claim);
    writeNew(claimPath, `${pid}\n`, 'wx');
    const live = rivals(dataDir, pid, claim);
    if (live.length === 0) {
      const temp = join(dataDir, `${LOCK_FILE}.${pid}.${nonce}.new`);
      try {
        writeNew(temp, `${pid}\n`, 'w');
        renameSync(temp, join(dataDir, LOCK_FILE));
      } catch (error) {
        unlinkIfPresent(temp);
        unlinkIfPresent(claimPath);
        throw error;
      }
      let released = false;
      return () => {
        if (released) return;
        released = true;
        if (readLockPid(dataDir) === pid) unlinkIfPresent(join(dataDir, LOCK_FILE));
        unlinkIfPresent(claimPath);
      };
    }
    // Withdraw, so that contenders cannot block each other forever, and retry after a pause.
    unlinkIfPresent(claimPath);
    rival = live[0];
    pause(5 + Math.floor(Math.random() * 20 * (attempt + 1)));
  }
  if (rival !== undefined) throw new DataDirLockedError(dataDir, rival);
  throw new AviaryError('runtime.lock-failed', `could not take the lock in ${dataDir}`);
}

/**
 * Runs `task` while holding the data folder lock (for offline commands that read or write the
 * store); throws {@link DataDirLockedError} when a runtime or another command holds it.
 *
 * @example
 * await withDataDirLock(dataDir, () => dbStatus(dataDir));
 */
export async function withDataDirLock<T>(dataDir: string, task: () => Promise<T>): Promise<T> {
  const release = acquireDataDirLock(dataDir);
  try {
    return await task();
  } finally {
    release();
  }
}
