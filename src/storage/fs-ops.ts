/**
 * The filesystem seam of the storage engine. Journal and snapshots do all their I/O through
 * {@link FsOps}, so tests can inject failures (disk full, permission denied) at any step.
 */
import { closeSync, constants, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { type FileHandle, mkdir, open, readdir, readFile, rename, unlink } from 'node:fs/promises';

/** An open file, append-only from the journal's point of view. */
export interface FsFile {
  /** Writes all of `data` at `position`. */
  write(data: Uint8Array, position: number): Promise<void>;
  /** Flushes file data to stable storage (fdatasync). */
  datasync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

/** A file open for synchronous reads at any position (a snapshot loaded page by page). */
export interface FsSyncReader {
  readonly size: number;
  /** Reads up to `into.length` bytes at `position`; fewer only at the end of the file. */
  read(into: Uint8Array, position: number): number;
  close(): void;
}

/** The handful of filesystem operations storage needs. */
export interface FsOps {
  /** Opens (creating if missing) a file for reading and writing. */
  openFile(path: string): Promise<FsFile>;
  readFile(path: string): Promise<Uint8Array>;
  /**
   * Opens a file for synchronous reads. Optional: without it a snapshot is read whole with
   * `readFile` before it is loaded, instead of being streamed into the database.
   */
  openSyncReader?(path: string): FsSyncReader;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  /** fsyncs a directory so that renames and creations in it are durable. */
  syncDir(path: string): Promise<void>;
}

/**
 * Writes up to this size go straight to the page cache from the calling thread: a journal
 * record's write costs ~5 µs of CPU that way, against ~30 µs for a round trip through libuv's
 * thread pool. Larger ones (snapshot images) stay asynchronous and never block the thread.
 */
const SYNC_WRITE_BYTES = 64 * 1024;

function wrapHandle(handle: FileHandle): FsFile {
  return {
    async write(data, position) {
      let done = 0;
      if (data.length <= SYNC_WRITE_BYTES) {
        while (done < data.length) {
          done += writeSync(handle.fd, data, done, data.length - done, position + done);
        }
        return;
      }
      while (done < data.length) {
        const { bytesWritten } = await handle.write(
          data,
          done,
          data.length - done,
          position + done,
        );
        done += bytesWritten;
      }
    },
    datasync: () => handle.datasync(),
    truncate: (length) => handle.truncate(length),
    size: async () => (await handle.stat()).size,
    close: () => handle.close(),
  };
}

/** The real filesystem (node:fs/promises). */
export const nodeFsOps: FsOps = {
  openFile: async (path) => wrapHandle(await open(path, constants.O_RDWR | constants.O_CREAT)),
  readFile: async (path) => {
    // A view of the Buffer (itself a Uint8Array), not a copy: snapshots run to hundreds of MB.
    const bytes = await readFile(path);
    return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  },
  openSyncReader(path) {
    const fd = openSync(path, 'r');
    let size: number;
    try {
      size = fstatSync(fd).size;
    } catch (error) {
      closeSync(fd);
      throw error;
    }
    return {
      size,
      read(into, position) {
        let done = 0;
        while (done < into.length) {
          const n = readSync(fd, into, done, into.length - done, position + done);
          if (n === 0) break;
          done += n;
        }
        return done;
      },
      close: () => closeSync(fd),
    };
  },
  rename: (from, to) => rename(from, to),
  unlink: (path) => unlink(path),
  readdir: (path) => readdir(path),
  mkdir: async (path) => {
    await mkdir(path, { recursive: true });
  },
  async syncDir(path) {
    const handle = await open(path, constants.O_RDONLY);
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};
