/**
 * A throwaway PostgreSQL for tests and benchmarks: `initdb` of a cluster in a temp folder,
 * `postgres` on a free loopback port (`listen_addresses=127.0.0.1`, socket in the folder),
 * run as the `postgres` user when the tests run as root (the folder is chowned to it),
 * stopped and removed afterwards. With `AVIARY_TEST_PG_URL` set, that server is used instead
 * (databases are created and dropped in it; it cannot be stopped or restarted).
 *
 * @example
 * const pg = await startPostgres();
 * const url = await pg.createDatabase(); // a fresh, empty database
 * await pg.stop();
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from './ports.js';

export interface PostgresFixture {
  /** URL of the maintenance database (`postgres`). */
  readonly adminUrl: string;
  /** False when the server comes from `AVIARY_TEST_PG_URL`. */
  readonly ownCluster: boolean;
  /** Creates an empty database and returns its URL. */
  createDatabase(): Promise<string>;
  /**
   * Stops the server, keeping the cluster: `fast` (SIGINT: sessions cut, clean shutdown) or
   * `immediate` (SIGQUIT: no checkpoint, crash recovery on the next start). Own cluster only.
   */
  halt(mode?: 'fast' | 'immediate'): Promise<void>;
  /** Starts the server again on the same port after {@link halt}. */
  resume(): Promise<void>;
  /** Last lines of the server log. */
  logTail(lines?: number): string;
  /** Stops the server and removes the cluster (or drops the databases made in an external one). */
  stop(): Promise<void>;
}

export interface PostgresOptions {
  /** fsync and synchronous commit as in production (default false: tests need no crash safety). */
  readonly durable?: boolean;
  /** Ignore `AVIARY_TEST_PG_URL` (tests that stop the server). */
  readonly ownCluster?: boolean;
}

const MISSING =
  'PostgreSQL server binaries (initdb, postgres) not found under /usr/lib/postgresql/*/bin: install them with `apt-get install -y postgresql`';

/** The newest installed server's bin folder, or a clear error. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined) throw new Error(MISSING);
  return join(root, versions[0], 'bin');
}

async function waitReady(url: string, child: () => ChildProcess | undefined, log: () => string) {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const current = child();
    if (current !== undefined && current.exitCode !== null) {
      throw new Error(`postgres exited with ${current.exitCode}:\n${log()}`);
    }
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => undefined);
      if (Date.now() > deadline) throw new Error(`postgres did not start:\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

async function admin<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function databaseFactory(adminUrl: string, prefix: string) {
  const made: string[] = [];
  return {
    made,
    create: async () => {
      // Names are generated here, never taken from input.
      const name = `${prefix}_${made.length + 1}`;
      await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name} TEMPLATE template0`));
      made.push(name);
      const url = new URL(adminUrl);
      url.pathname = `/${name}`;
      return url.toString();
    },
  };
}

function externalFixture(adminUrl: string): PostgresFixture {
  const dbs = databaseFactory(adminUrl, `aviary_test_${process.pid}_${Date.now()}`);
  const unsupported = async () => {
    throw new Error('AVIARY_TEST_PG_URL server: the tests cannot stop or restart it');
  };
  return {
    adminUrl,
    ownCluster: false,
    createDatabase: dbs.create,
    halt: unsupported,
    resume: unsupported,
    logTail: () => '(external server)',
    stop: async () => {
      await admin(adminUrl, async (c) => {
        for (const name of dbs.made) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      });
    },
  };
}

/** Starts a throwaway cluster (or wraps `AVIARY_TEST_PG_URL`). */
export async function startPostgres(options: PostgresOptions = {}): Promise<PostgresFixture> {
  const external = process.env.AVIARY_TEST_PG_URL;
  if (external !== undefined && external !== '' && options.ownCluster !== true) {
    return externalFixture(external);
  }
  const bin = postgresBinDir();
  const dir = mkdtempSync(join(tmpdir(), 'aviary-pg-'));
  const data = join(dir, 'data');
  const asRoot = process.getuid?.() === 0;
  let user: { uid: number; gid: number } | undefined;
  if (asRoot) {
    try {
      user = {
        uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()),
        gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()),
      };
    } catch {
      throw new Error(
        'running as root needs the `postgres` user (created by `apt-get install -y postgresql`)',
      );
    }
    chownSync(dir, user.uid, user.gid);
  }
  const as = user === undefined ? {} : { uid: user.uid, gid: user.gid };
  execFileSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'aviary', '--auth=trust', '--no-sync', '--locale=C', '--encoding=UTF8'],
    { ...as, stdio: 'pipe', cwd: dir },
  );
  const port = await freePort();
  const durable = options.durable === true;
  const args = [
    '-D',
    data,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    '-c',
    `unix_socket_directories=${dir}`,
    '-c',
    `fsync=${durable ? 'on' : 'off'}`,
    '-c',
    `full_page_writes=${durable ? 'on' : 'off'}`,
    '-c',
    'max_connections=50',
    '-c',
    'shared_buffers=128MB',
    '-c',
    `logging_collector=off`,
  ];
  let child: ChildProcess | undefined;
  let log = '';
  const launch = () => {
    const started = spawn(join(bin, 'postgres'), args, { ...as, cwd: dir, stdio: 'pipe' });
    started.stdout?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-20_000);
    });
    started.stderr?.on('data', (d: Buffer) => {
      log = (log + d.toString()).slice(-20_000);
    });
    child = started;
  };
  const adminUrl = `postgres://aviary@127.0.0.1:${port}/postgres`;
  const logTail = (lines = 40) => log.split('\n').slice(-lines).join('\n');
  const halt = async (mode: 'fast' | 'immediate' = 'fast') => {
    const running = child;
    if (running === undefined || running.exitCode !== null) return;
    const exited = new Promise((r) => running.once('exit', r));
    running.kill(mode === 'fast' ? 'SIGINT' : 'SIGQUIT');
    const timer = setTimeout(() => running.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(timer);
  };
  launch();
  await waitReady(adminUrl, () => child, logTail);
  const dbs = databaseFactory(adminUrl, 'aviary_test');
  return {
    adminUrl,
    ownCluster: true,
    createDatabase: dbs.create,
    halt,
    resume: async () => {
      launch();
      await waitReady(adminUrl, () => child, logTail);
    },
    logTail,
    stop: async () => {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
