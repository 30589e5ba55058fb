/**
 * Environment faults (a read-only or full disk, a data folder that is a file, a port in use)
 * recognised by their errno code anywhere in an error's cause chain, so the CLI can end with one
 * line that says what to change, and exit status 1, instead of a stack trace.
 */
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { CliError } from './output.js';

const FAULTS: Readonly<Record<string, (where: string) => string>> = {
  EROFS: (where) => `cannot write ${where}: the file system is read-only (EROFS)`,
  EACCES: (where) => `cannot write ${where}: permission denied (EACCES)`,
  EPERM: (where) => `cannot write ${where}: operation not permitted (EPERM)`,
  ENOSPC: (where) => `no space left on the device holding ${where} (ENOSPC); free some space`,
  EDQUOT: (where) => `disk quota exceeded for ${where} (EDQUOT)`,
  ENOTDIR: (where) => `${where}: a path component is a file, not a folder (ENOTDIR)`,
  EISDIR: (where) => `${where} is a folder where a file was expected (EISDIR)`,
  EADDRINUSE: (where) => `the address ${where} is already in use (EADDRINUSE)`,
  EADDRNOTAVAIL: (where) => `the address ${where} is not available on this machine`,
};

/** The environment fault in `error` or its causes as a one-line CliError, or undefined. */
export function environmentFault(error: unknown): CliError | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current instanceof Error; depth++) {
    const { code, path, address, port } = current as NodeJS.ErrnoException & {
      address?: string;
      port?: number;
    };
    const describe = typeof code === 'string' ? FAULTS[code] : undefined;
    if (describe !== undefined) {
      const where =
        path ??
        (address !== undefined ? `${address}:${port ?? ''}` : pathInMessage(current.message));
      return new CliError(describe(where), { code: 'cli.environment', cause: error });
    }
    current = current.cause;
  }
  return undefined;
}

/** Node's messages end with `'PATH'`; a serialised error keeps only the message. */
function pathInMessage(message: string): string {
  return /'([^']+)'\s*$/.exec(message)?.[1] ?? 'the data folder';
}

/**
 * Checks that `dataDir` can hold a store before anything starts: a folder (created if missing),
 * writable, with room for a small write. Throws a one-line `cli.environment` CliError otherwise.
 */
export function checkDataDir(dataDir: string): void {
  try {
    const stat = statSync(dataDir, { throwIfNoEntry: false });
    if (stat !== undefined && !stat.isDirectory()) {
      throw new CliError(`the data folder ${dataDir} is a file, not a folder (check --data-dir)`, {
        code: 'cli.environment',
      });
    }
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const probe = join(dataDir, `.write-probe-${process.pid}`);
    try {
      // 64 KiB: enough that a disk with no room for a journal record or snapshot page refuses.
      writeFileSync(probe, Buffer.alloc(64 * 1024));
    } finally {
      rmSync(probe, { force: true });
    }
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw environmentFault(error) ?? error;
  }
}

/** Checks that `host:port` can be listened on (port 0 always can), before storage starts. */
export async function checkPortFree(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new CliError(
        `the control API port ${port} on ${host} is already in use; stop what holds it or choose another with --api-port (or api.port)`,
        { code: 'cli.environment', cause: error },
      );
    }
    throw environmentFault(error) ?? error;
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
