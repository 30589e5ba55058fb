import { z } from 'zod';

/** True for a loopback host: 127.0.0.0/8, ::1 or localhost (RFC 6890, RFC 4291 §2.5.3). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return (
    bare === 'localhost' ||
    bare === '::1' ||
    bare === '0:0:0:0:0:0:0:1' ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare) ||
    /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare)
  );
}

/**
 * The runtime configuration. Every key has a default, so Aviary runs with no file at all.
 * Documented in README.md ("Configuration"); environment overrides in `env-overrides.ts`.
 */
export const configSchema = z
  .object({
    /** Folder for the database, journal, snapshots, key file, API token and lock. */
    dataDir: z.string().min(1).default('./data'),
    api: z
      .object({
        /** Loopback unless `allowRemote` is true (the token still applies). */
        host: z.string().min(1).default('127.0.0.1'),
        /**
         * Must be true for a non-loopback `host`: the control API then answers anyone who can
         * reach the port (with the token), and `aviary run` says so at start.
         */
        allowRemote: z.boolean().default(false),
        /** 0 picks a free port (several runtimes can coexist); the chosen port is written to runtime.json. */
        port: z.number().int().min(0).max(65535).default(0),
        /** Largest accepted request body. */
        maxBodyBytes: z.number().int().positive().default(1_048_576),
      })
      .strict()
      .refine((api) => api.allowRemote || isLoopbackHost(api.host), {
        message:
          'is not a loopback address; set api.allowRemote to true to serve the control API beyond this machine',
        path: ['host'],
      })
      .default({ host: '127.0.0.1', allowRemote: false, port: 0, maxBodyBytes: 1_048_576 }),
    log: z
      .object({
        level: z
          .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
          .default('info'),
      })
      .strict()
      .default({ level: 'info' }),
    storage: z
      .object({
        /**
         * `postgres://user:password@host:port/database` runs storage on PostgreSQL; absent,
         * the embedded sql.js database lives in the data folder. Environment: AVIARY_STORAGE_URL.
         */
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//i, 'storage.url must start with postgres:// or postgresql://')
          .optional(),
        /** Snapshot once the journal passes this size. */
        snapshotJournalBytes: z
          .number()
          .int()
          .positive()
          .default(64 * 1024 * 1024),
        /** Snapshot at least this often while there are writes. */
        snapshotIntervalMs: z
          .number()
          .int()
          .positive()
          .default(10 * 60 * 1000),
        mailboxCapacity: z.number().int().positive().default(10_000),
      })
      .strict()
      .default({
        snapshotJournalBytes: 64 * 1024 * 1024,
        snapshotIntervalMs: 600_000,
        mailboxCapacity: 10_000,
      }),
    xmpp: z
      .object({
        /** Runtime-wide logins per second (token bucket), so a server restart is no reconnection storm. */
        loginRate: z.number().positive().default(200),
        loginBurst: z.number().int().positive().default(50),
        reconnectBaseMs: z.number().int().positive().default(1000),
        reconnectMaxMs: z.number().int().positive().default(60_000),
        /** Stanzas larger than this close the stream before they are parsed. */
        maxStanzaBytes: z
          .number()
          .int()
          .positive()
          .default(256 * 1024),
        profileMailboxCapacity: z.number().int().positive().default(1000),
        /** XEP-0199 client pings every so often (0 = off); a missing pong drops the connection. */
        pingIntervalMs: z.number().int().min(0).default(300_000),
        /** Extra CA certificate (PEM file) trusted for every profile, on top of the system's. */
        tlsCaFile: z.string().min(1).optional(),
        /** Stream management (XEP-0198) for profiles that do not set it themselves. */
        streamManagement: z.boolean().default(true),
        /**
         * DNS servers (`host` or `host:port`) for SRV discovery of profiles without a host;
         * default: the system's.
         */
        dnsServers: z.array(z.string().min(1)).optional(),
      })
      .strict()
      .default({
        loginRate: 200,
        loginBurst: 50,
        reconnectBaseMs: 1000,
        reconnectMaxMs: 60_000,
        maxStanzaBytes: 256 * 1024,
        profileMailboxCapacity: 1000,
        pingIntervalMs: 300_000,
        streamManagement: true,
      }),
    cache: z
      .object({
        /** `false` sends every pubsub items request to the service. */
        enabled: z.boolean().default(true),
        /** Most items kept per node (Libervia: 5000). */
        limit: z.number().int().positive().default(5000),
        /** A sync running longer than this is reset and started again. */
        syncDeadlineMs: z
          .number()
          .int()
          .positive()
          .default(6 * 60 * 60 * 1000),
        /** RSM page size while synchronising. */
        pageSize: z.number().int().positive().max(10_000).default(1000),
        /** Parser pool threads (default: the cores). */
        parserThreads: z.number().int().positive().optional(),
        parserTimeoutMs: z.number().int().positive().default(10_000),
      })
      .strict()
      .default({
        enabled: true,
        limit: 5000,
        syncDeadlineMs: 6 * 60 * 60 * 1000,
        pageSize: 1000,
        parserTimeoutMs: 10_000,
      }),
    shutdownTimeoutMs: z.number().int().positive().default(15_000),
    plugins: z
      .object({
        /**
         * Demonstration plugins to turn on; none runs unless named here. `example-e2ee` marks
         * outgoing client messages `extra.e2ee: "example"` WITHOUT encrypting them.
         */
        enable: z.array(z.enum(['example-e2ee'])).default([]),
      })
      .strict()
      .default({ enable: [] }),
    security: z
      .object({
        /**
         * File holding the secret key (base64, 32 bytes) that encrypts stored passwords; default
         * `DATA/secret.key`. Cluster nodes must share one key (this file or AVIARY_SECRET_KEY).
         */
        keyFile: z.string().min(1).optional(),
      })
      .strict()
      .default({}),
    cluster: z
      .object({
        /** Run as one node of a cluster sharing the PostgreSQL `storage.url` (docs/cluster.md). */
        enabled: z.boolean().default(false),
        /** This node's name (unique in the cluster); default `<host>-<pid>`. */
        nodeName: z
          .string()
          .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-", at most 64')
          .optional(),
        /** A shard lease lasts this long without renewal (failover time after a crash). */
        leaseMs: z.number().int().min(1000).default(10_000),
        /** Heartbeat and lease renewal period. */
        heartbeatMs: z.number().int().min(100).default(1000),
        /** The control API address other nodes forward to (default: the address it listens on). */
        advertiseUrl: z.string().url().optional(),
      })
      .strict()
      .refine((c) => c.heartbeatMs * 3 <= c.leaseMs, {
        message: 'heartbeatMs must be at most a third of leaseMs (renewals must fit in a lease)',
        path: ['heartbeatMs'],
      })
      .default({ enabled: false, leaseMs: 10_000, heartbeatMs: 1000 }),
  })
  .strict();

export type AviaryConfig = z.infer<typeof configSchema>;
/** What a caller may pass: every key optional. */
export type AviaryConfigInput = z.input<typeof configSchema>;
