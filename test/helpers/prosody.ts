/**
 * A throwaway Prosody (Debian's /usr/bin/prosody, 0.12) for integration tests and benchmarks:
 * its own config, data and certificates in a temp folder, loopback only, free ports, no rate
 * limits, PEP with many items, a XEP-0114 component host, in-band registration (XEP-0077).
 *
 * @example
 * const prosody = await startProsody({ users: [{ username: 'alice', password: 'pw' }] });
 * // connect to 127.0.0.1:prosody.c2sPort as alice@prosody.domain, verify TLS with prosody.caCertPem
 * await prosody.stop();
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, listensOn, waitForPort } from './ports.js';
import { registerServerLog } from './server-logs.js';
import { makeTestCertificates } from './tls-certs.js';
import { waitFor } from './wait-for.js';

const PROSODY = '/usr/bin/prosody';

export interface ProsodyUser {
  readonly username: string;
  readonly password: string;
}

export interface ProsodyOptions {
  readonly users?: readonly ProsodyUser[];
  readonly domain?: string;
  readonly componentSecret?: string;
  /** `c2s_require_encryption` (default false: plain-text loopback clients may log in). */
  readonly requireEncryption?: boolean;
  /**
   * Account storage: `internal_hashed` (default; stable salts, SCRAM-SHA-1 and PLAIN) or
   * `internal_plain` (also offers SCRAM-SHA-256, but a fresh salt on every login).
   */
  readonly auth?: 'internal_hashed' | 'internal_plain';
  /** Prosody log level written to `prosody.log` (default 'info'). */
  readonly logLevel?: 'debug' | 'info' | 'warn';
  /**
   * Extra Lua lines appended to the global section. They may not set an option this helper
   * sets (Prosody refuses a duplicated option): use the options below for those.
   */
  readonly extraConfig?: string;
  /** Ports for direct TLS (XEP-0368), beside the STARTTLS port. */
  readonly directTlsPorts?: readonly number[];
  /** No TLS at all (`tls` disabled) and SASL PLAIN allowed in the clear: loopback tests only. */
  readonly withoutTls?: boolean;
  /** SASL PLAIN allowed without TLS (TLS still offered): loopback benchmarks only. */
  readonly plainAuthInClear?: boolean;
  /** Issue TLS session tickets (Prosody's default is `no_ticket`: no resumption). */
  readonly tlsSessionTickets?: boolean;
  /** Modules loaded beside the defaults (e.g. `mam`, `carbons`, `smacks`). */
  readonly modules?: readonly string[];
  /**
   * Default modules to leave out (e.g. `offline`, so messages to an offline account go only to
   * MAM). Also listed in `modules_disabled`: Prosody loads some (`offline`) even when
   * `modules_enabled` omits them.
   */
  readonly withoutModules?: readonly string[];
  /** Hosts a MUC service (XEP-0045) at `conference.<domain>`, with room archives (`muc_mam`). */
  readonly muc?: boolean;
  /**
   * Stores kept in memory instead of files (e.g. `pep`, `pep_data`): with file storage Prosody
   * rewrites a PEP node's whole file on every publish. Accounts always stay in files (they are
   * created before the server starts).
   */
  readonly memoryStores?: readonly string[];
}

export interface ProsodyFixture {
  readonly domain: string;
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly componentDomain: string;
  readonly componentSecret: string;
  /** `conference.<domain>` when started with `muc: true`. */
  readonly mucDomain: string | undefined;
  /** PEM of the throwaway CA that signed the server certificate. */
  readonly caCertPem: string;
  readonly dataDir: string;
  readonly logFile: string;
  /**
   * Creates (or overwrites) an account by writing its data file with a plain password
   * (internal_hashed converts it on first login); works while running.
   */
  createUser(username: string, password: string): void;
  /** Last lines of Prosody's log. */
  logTail(lines?: number): string;
  /** SIGTERM, then SIGKILL after 3 s; always leaves no process behind. Removes the folder. */
  stop(): Promise<void>;
  /** SIGKILL now (crash simulation); the folder stays for `restart()`. */
  kill(): Promise<void>;
  /** Starts Prosody again with the same config, ports and data. */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that hangs without closing its sockets. */
  pause(): void;
  resume(): void;
}

/** Prosody's datamanager encoding of a path component (`.` → `%2e`). */
function encode(part: string): string {
  return part.replace(/[^a-zA-Z0-9]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function luaString(value: string): string {
  return JSON.stringify(value);
}

/** Options the generated configuration sets in its global section. */
const GENERATED_OPTIONS = new Set([
  'run_as_root',
  'pidfile',
  'data_path',
  'interfaces',
  'local_interfaces',
  'c2s_ports',
  'c2s_interfaces',
  'component_ports',
  'component_interfaces',
  's2s_ports',
  'http_ports',
  'https_ports',
  'c2s_direct_tls_ports',
  'admin_socket',
  'log',
  'modules_enabled',
  'modules_disabled',
  'limits',
  'network_settings',
  'authentication',
  'storage',
  'default_storage',
  'allow_registration',
  'min_seconds_between_registrations',
  'registration_throttle_max',
  'c2s_require_encryption',
  's2s_require_encryption',
  'allow_unencrypted_plain_auth',
  'pep_max_items',
  'c2s_stanza_size_limit',
  'ssl',
]);

/**
 * Prosody refuses a configuration that sets an option twice (and, when the file's path is long,
 * fails while reporting it), so extra lines must not repeat what this helper generates.
 */
function refuseDuplicatedOptions(extraConfig: string): void {
  for (const match of extraConfig.matchAll(/^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/gm)) {
    const option = match[1] as string;
    if (GENERATED_OPTIONS.has(option))
      throw new Error(
        `startProsody: extraConfig sets ${option}, which the helper already sets: use its option instead`,
      );
  }
}

export async function startProsody(options: ProsodyOptions = {}): Promise<ProsodyFixture> {
  if (!existsSync(PROSODY))
    throw new Error(`${PROSODY} not found; install with: apt-get install -y prosody`);
  const domain = options.domain ?? 'aviary.test';
  const componentDomain = `component.${domain}`;
  const componentSecret = options.componentSecret ?? 'component-secret';
  const mucDomain = options.muc === true ? `conference.${domain}` : undefined;
  const defaultModules = [
    'roster',
    'saslauth',
    'tls',
    'disco',
    'pep',
    'private',
    'ping',
    'register',
    'offline',
    'version',
  ];
  const withoutModules = new Set([
    ...(options.withoutModules ?? []),
    ...(options.withoutTls === true ? ['tls'] : []),
  ]);
  const modules = [
    ...defaultModules.filter((name) => !withoutModules.has(name)),
    ...(options.modules ?? []),
  ];
  const dir = mkdtempSync(join(tmpdir(), 'aviary-prosody-'));
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'prosody.log');
  mkdirSync(dataDir, { recursive: true });
  const certs = makeTestCertificates(dir, [
    domain,
    componentDomain,
    `*.${domain}`,
    ...(mucDomain ? [mucDomain] : []),
  ]);
  const [c2sPort, componentPort] = [await freePort(), await freePort()];

  refuseDuplicatedOptions(options.extraConfig ?? '');
  const config = `
-- Generated by test/helpers/prosody.ts
run_as_root = true
pidfile = ${luaString(join(dir, 'prosody.pid'))}
data_path = ${luaString(dataDir)}
interfaces = { "127.0.0.1" }
local_interfaces = { "127.0.0.1" }
c2s_ports = { ${c2sPort} }
c2s_interfaces = { "127.0.0.1" }
component_ports = { ${componentPort} }
component_interfaces = { "127.0.0.1" }
s2s_ports = { }
http_ports = { }
https_ports = { }
c2s_direct_tls_ports = { ${(options.directTlsPorts ?? []).join(', ')} }
admin_socket = ${luaString(join(dir, 'admin.sock'))}
log = { { levels = { min = ${luaString(options.logLevel ?? 'info')} }, to = "file", filename = ${luaString(logFile)} } }
modules_enabled = { ${modules.map(luaString).join(', ')} }
modules_disabled = { ${['posix', 'limits', 's2s', ...withoutModules].map(luaString).join(', ')} }
limits = { }
-- Nagle off: otherwise the stream header and features after SASL wait for a delayed ACK (~40 ms).
network_settings = { nagle = false, opportunistic_writes = true }
authentication = ${luaString(options.auth ?? 'internal_hashed')}
${
  (options.memoryStores ?? []).length > 0
    ? `default_storage = "internal"\nstorage = { ${(options.memoryStores ?? []).map((store) => `[${luaString(store)}] = "memory"`).join(', ')} }`
    : 'storage = "internal"'
}
allow_registration = true
min_seconds_between_registrations = 0
registration_throttle_max = 1000000
c2s_require_encryption = ${options.requireEncryption === true ? 'true' : 'false'}
s2s_require_encryption = false
allow_unencrypted_plain_auth = ${options.withoutTls === true || options.plainAuthInClear === true ? 'true' : 'false'}
pep_max_items = 10000
c2s_stanza_size_limit = 10 * 1024 * 1024
ssl = { key = ${luaString(certs.keyPath)}, certificate = ${luaString(certs.certPath)}${options.tlsSessionTickets === true ? ', options = { no_ticket = false }' : ''} }
${options.extraConfig ?? ''}

VirtualHost ${luaString(domain)}

Component ${luaString(componentDomain)}
  component_secret = ${luaString(componentSecret)}
${
  mucDomain
    ? `
Component ${luaString(mucDomain)} "muc"
  modules_enabled = { "muc_mam" }
  restrict_room_creation = false
  muc_room_default_public = true
`
    : ''
}`;
  const configFile = join(dir, 'prosody.cfg.lua');
  writeFileSync(configFile, config);

  const createUser = (username: string, password: string) => {
    const accounts = join(dataDir, encode(domain), 'accounts');
    mkdirSync(accounts, { recursive: true });
    writeFileSync(
      join(accounts, `${encode(username.toLowerCase())}.dat`),
      `return {\n\t["password"] = ${luaString(password)};\n};\n`,
    );
  };
  for (const user of options.users ?? []) createUser(user.username, user.password);

  const logTail = (lines = 30) => {
    try {
      return readFileSync(logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log yet)';
    }
  };

  let child: ChildProcess | undefined;
  let output = '';
  const onExit = () => child?.kill('SIGKILL');

  const launch = async () => {
    output = '';
    const proc = spawn(PROSODY, ['--config', configFile, '-F'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    proc.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    process.once('exit', onExit);
    try {
      const alive = () => proc.exitCode === null && proc.signalCode === null;
      await waitForPort(c2sPort, 15_000, alive);
      await waitForPort(componentPort, 15_000, alive);
      // The ports answer; make sure it is this Prosody and not another test run that took a
      // "free" port first (Prosody logs a failed bind and runs on without that port).
      const pid = proc.pid ?? -1;
      await waitFor(() => listensOn(pid, c2sPort) && listensOn(pid, componentPort), {
        timeoutMs: 15_000,
        what: `Prosody (pid ${pid}) itself listening on ports ${c2sPort} and ${componentPort}`,
        detail: () => logTail(5),
      });
    } catch (error) {
      proc.kill('SIGKILL');
      throw new Error(
        `Prosody did not start: ${(error as Error).message}\n--- output ---\n${output}\n--- log tail ---\n${logTail()}`,
      );
    }
  };

  const terminate = async (signal: NodeJS.Signals) => {
    const proc = child;
    child = undefined;
    process.off('exit', onExit);
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill('SIGCONT');
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };

  await launch();
  // Shown when a test fails (test/helpers/failure-logs.ts); unregistered before the folder goes.
  const unregisterLogs = [
    registerServerLog(`prosody ${domain}:${c2sPort} log`, logFile),
    registerServerLog(`prosody ${domain}:${c2sPort} output`, () => output),
  ];
  return {
    domain,
    c2sPort,
    componentPort,
    componentDomain,
    componentSecret,
    mucDomain,
    caCertPem: certs.caCertPem,
    dataDir,
    logFile,
    createUser,
    logTail,
    async stop() {
      await terminate('SIGTERM');
      await Promise.all(unregisterLogs.map((unregister) => unregister()));
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => terminate('SIGKILL'),
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    async restart() {
      await terminate('SIGTERM');
      await launch();
    },
  };
}
