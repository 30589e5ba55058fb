/**
 * The conformance harness: every test file under `test/storage/conformance/` describes its
 * behaviour once and runs it against each storage backend (sql.js in a temp data folder,
 * PostgreSQL in a fresh database of a throwaway cluster started per file), so the two
 * backends cannot drift. Tests talk only through `StorageBackend.applyBatch` — the storage
 * messages are the contract.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { SimulatedClock } from '../../../src/actors/clock.js';
import { openStorageBackend, type StorageBackend } from '../../../src/storage/backend.js';
import type {
  StorageOutcome,
  StorageRequest,
  StorageResponse,
} from '../../../src/storage/messages.js';
import type { StorageLog } from '../../../src/storage/storage-log.js';
import { type PostgresFixture, startPostgres } from '../../helpers/postgres.js';

export type BackendName = 'sqljs' | 'postgres';

export interface Harness {
  readonly name: BackendName;
  readonly backend: StorageBackend;
  readonly clock: SimulatedClock;
  /** The value of one request, or throws an error carrying the outcome's `code`. */
  one<R extends StorageRequest>(request: R): Promise<StorageResponse<R>>;
  /** The error code of one request that must fail. */
  fail(request: StorageRequest): Promise<string>;
  /** Reopens the same store (data folder or database), e.g. after a migration. */
  reopen(options?: { autoMigrate?: boolean; log?: StorageLog }): Promise<Harness>;
  close(): Promise<void>;
}

export interface OpenOptions {
  readonly clockStart?: number;
  readonly autoMigrate?: boolean;
  readonly log?: StorageLog;
}

export type Open = (options?: OpenOptions) => Promise<Harness>;

export class OutcomeError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function harness(
  name: BackendName,
  backend: StorageBackend,
  clock: SimulatedClock,
  location: { dataDir: string; url?: string },
): Harness {
  const one = async <R extends StorageRequest>(request: R): Promise<StorageResponse<R>> => {
    const [outcome] = await backend.applyBatch([request]);
    if (!outcome?.ok) {
      throw new OutcomeError(outcome?.error.code ?? 'none', outcome?.error.message ?? 'none');
    }
    return outcome.value as StorageResponse<R>;
  };
  const fail = async (request: StorageRequest) => {
    const [outcome] = await backend.applyBatch([request]);
    if (outcome?.ok !== false) throw new Error(`expected a failure: ${JSON.stringify(outcome)}`);
    return (outcome as Extract<StorageOutcome, { ok: false }>).error.code;
  };
  return {
    name,
    backend,
    clock,
    one,
    fail,
    reopen: async (options = {}) => {
      await backend.close();
      const reopened = await openStorageBackend({
        ...location,
        clock,
        snapshotOnClose: true,
        ...options,
      });
      return harness(name, reopened, clock, location);
    },
    close: () => backend.close(),
  };
}

/**
 * `describe`s `title` once per backend; `body` receives `open`, which gives each test a fresh,
 * empty, migrated store on that backend.
 */
export function describeBackends(
  title: string,
  body: (open: Open, name: BackendName) => void,
): void {
  for (const name of ['sqljs', 'postgres'] as const) {
    describe(`${title} [${name}]`, () => {
      let server: PostgresFixture | undefined;
      const opened: Harness[] = [];
      beforeAll(async () => {
        if (name === 'postgres') server = await startPostgres();
      });
      afterAll(async () => {
        for (const h of opened) await h.close().catch(() => undefined);
        await server?.stop();
      });
      body(async (options = {}) => {
        const clock = new SimulatedClock(options.clockStart ?? 0);
        const location =
          name === 'postgres'
            ? {
                dataDir: mkdtempSync(join(tmpdir(), 'aviary-conf-')),
                url: await (server as PostgresFixture).createDatabase(),
              }
            : { dataDir: mkdtempSync(join(tmpdir(), 'aviary-conf-')) };
        const backend = await openStorageBackend({
          ...location,
          clock,
          snapshotOnClose: false,
          ...(options.autoMigrate === undefined ? {} : { autoMigrate: options.autoMigrate }),
          ...(options.log === undefined ? {} : { log: options.log }),
        });
        const h = harness(name, backend, clock, location);
        opened.push(h);
        return h;
      }, name);
    });
  }
}
