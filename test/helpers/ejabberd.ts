/**
 * Test fixture: a throwaway ejabberd (the Debian `ejabberd` package) on loopback.
 *
 * Each call gets its own temp folder (config, Mnesia spool, logs, certificate), its own Erlang
 * node name (`aviary-test-<random>@localhost`), a free c2s port and a free Erlang distribution
 * port on 127.0.0.1 (no epmd: `ERL_DIST_PORT` makes ejabberdctl talk to the node directly).
 * The package's `ejabberdctl` insists on switching to the `ejabberd` user when run as root;
 * the fixture runs a copy of it with `INSTALLUSER` emptied, so it runs as the current user
 * (root in CI) and can read the temp folder. Configuration: no shapers, 10 MB stanzas,
 * in-band registration open (XEP-0077), mod_pubsub (`pubsub.<domain>`, flat + pep plugins)
 * with RSM, `max_items_node: 100000`, node defaults `max_items: 100000` and `access_model: open`;
 * pubsub in SQLite by default (advertises RSM; see `pubsubBackend`), everything else in
 * Mnesia; STARTTLS offered but optional (a throwaway self-signed certificate for the domain and
 * `pubsub.<domain>`, returned as `caCertPem`), so plain text works on loopback. No
 * mod_stream_mgmt, MAM or offline storage unless added with `extraModules`.
 *
 * What it runs, in effect (paths in the temp folder):
 *   ejabberdctl --config ejabberd.yml --ctl-config ejabberdctl.cfg --spool spool --logs logs \
 *     --node aviary-test-<hex>@localhost foreground
 * with ejabberdctl.cfg setting ERL_DIST_PORT, INET_DIST_INTERFACE=127.0.0.1, a random cookie and
 * EJABBERD_BYPASS_WARNINGS=true; readiness = c2s port accepts AND `ejabberdctl ... status` is 0.
 *
 * Requires `apt-get install -y ejabberd erlang-p1-sqlite3 openssl` (the SQLite driver only for
 * the default `sql` backend).
 */

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../../src/actors/clock.js';
import { registerAccount } from '../../src/loadtest/registration.js';
import { ejabberdConfig } from './ejabberd-config.js';
import { freePort, groupListensOn } from './ports.js';
import { registerServerLog } from './server-logs.js';

const EJABBERDCTL = '/usr/sbin/ejabberdctl';

export interface EjabberdUser {
  readonly username: string;
  readonly password: string;
}

export interface EjabberdOptions {
  readonly users?: readonly EjabberdUser[];
  /** XMPP domain (default `localhost`). */
  readonly domain?: string;
  /** ejabberd log level (default `info`). */
  readonly logLevel?: 'critical' | 'error' | 'warning' | 'info' | 'debug';
  /** Extra YAML lines appended under `modules:` (indented by two spaces), e.g. mod_stream_mgmt. */
  readonly extraModules?: string;
  /**
   * Offer STARTTLS (optional, never required) with the throwaway certificate (default true).
   * Stock xmpp.js always upgrades when STARTTLS is offered and then rejects the self-signed
   * certificate, so tests using stock `@xmpp/client` pass `false` (plain text on loopback).
   */
  readonly starttls?: boolean;
  /**
   * mod_pubsub storage (default `sql`). `sql` keeps pubsub in SQLite (`node_flat_sql`, needs the
   * `erlang-p1-sqlite3` package) and advertises `http://jabber.org/protocol/pubsub#rsm`;
   * `mnesia` (`node_flat`) pages items with RSM the same way but does NOT advertise the
   * feature in disco#info (ejabberd 23.01). Either way RSM `<first>`/`<last>` keys are item
   * modification timestamps, not item ids.
   */
  readonly pubsubBackend?: 'sql' | 'mnesia';
  /** How long to wait for start-up (default 60 s). */
  readonly startTimeoutMs?: number;
}

export interface EjabberdServer {
  readonly domain: string;
  readonly host: '127.0.0.1';
  readonly c2sPort: number;
  /** The mod_pubsub service JID, `pubsub.<domain>`. */
  readonly pubsubService: string;
  /** PEM of the self-signed certificate the server offers with STARTTLS (trust it as a CA). */
  readonly caCertPem: string;
  readonly nodeName: string;
  readonly dir: string;
  /** Runs `ejabberdctl <args>` against this node; rejects with the output on a non-zero exit. */
  ctl(args: readonly string[]): Promise<string>;
  /** Registers an account by in-band registration (XEP-0077) on the c2s port. */
  register(user: EjabberdUser): Promise<void>;
  /** The last lines of ejabberd's log and console output. */
  logTail(lines?: number): Promise<string>;
  /** Stops the node (ejabberdctl stop, then SIGKILL of its process group) and removes the folder. */
  stop(): Promise<void>;
}

/** Whether Debian's `erlang-p1-sqlite3` (ejabberd's SQLite driver) is installed. */
function hasErlangSqlite(): boolean {
  const lib = '/usr/lib/erlang/lib';
  return existsSync(lib) && readdirSync(lib).some((name) => name.startsWith('p1_sqlite3-'));
}

function run(
  file: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    execFile(file, [...args], { timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
      const killed = error?.killed === true ? `\n(killed: no exit within ${timeoutMs} ms)` : '';
      resolve({ code, output: `${stdout}${stderr}${killed}` });
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function makeCertificate(dir: string, domain: string): Promise<string> {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const result = await run(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '7',
      '-subj',
      `/CN=${domain}`,
      '-addext',
      `subjectAltName=DNS:${domain},DNS:pubsub.${domain}`,
    ],
    20_000,
  );
  if (result.code !== 0) throw new Error(`openssl failed: ${result.output}`);
  const certPem = await readFile(cert, 'utf8');
  await writeFile(join(dir, 'server.pem'), certPem + (await readFile(key, 'utf8')), {
    mode: 0o600,
  });
  return certPem;
}

/**
 * Starts a private ejabberd and registers `users`.
 *
 * @example
 * const ejabberd = await startEjabberd({ users: [{ username: 'alice', password: 'pw' }] });
 * // xmpp.js: client({ service: `xmpp://127.0.0.1:${ejabberd.c2sPort}`, domain: ejabberd.domain, ... })
 * await ejabberd.stop();
 */
export async function startEjabberd(options: EjabberdOptions = {}): Promise<EjabberdServer> {
  if (!existsSync(EJABBERDCTL)) {
    throw new Error(`${EJABBERDCTL} not found: install with: apt-get install -y ejabberd`);
  }
  if ((options.pubsubBackend ?? 'sql') === 'sql' && !hasErlangSqlite()) {
    throw new Error(
      "ejabberd's SQLite driver is missing: install with: apt-get install -y erlang-p1-sqlite3 " +
        "(or pass pubsubBackend: 'mnesia')",
    );
  }
  const domain = options.domain ?? 'localhost';
  const dir = await mkdtemp(join(tmpdir(), 'aviary-ejabberd-'));
  try {
    return await startIn(dir, domain, options);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function startIn(
  dir: string,
  domain: string,
  options: EjabberdOptions,
): Promise<EjabberdServer> {
  const spool = join(dir, 'spool');
  const logs = join(dir, 'logs');
  await mkdir(spool);
  await mkdir(logs);
  const caCertPem = await makeCertificate(dir, domain);
  const c2sPort = await freePort();
  const distPort = await freePort();
  const nodeName = `aviary-test-${randomBytes(5).toString('hex')}@localhost`;
  const cookie = randomBytes(16).toString('hex');

  // A copy of ejabberdctl that runs as the current user instead of su-ing to `ejabberd`.
  const original = await readFile(EJABBERDCTL, 'utf8');
  if (!/^INSTALLUSER=ejabberd$/m.test(original)) {
    throw new Error(`${EJABBERDCTL} has no INSTALLUSER=ejabberd line; the fixture needs updating`);
  }
  const ctlScript = join(dir, 'ejabberdctl');
  await writeFile(ctlScript, original.replace(/^INSTALLUSER=ejabberd$/m, 'INSTALLUSER='), {
    mode: 0o755,
  });
  const logLevel = options.logLevel ?? 'info';
  const startLogLevel = logLevel === 'debug' ? 'debug' : 'info';
  const configPath = join(dir, 'ejabberd.yml');
  const ctlConfigPath = join(dir, 'ejabberdctl.cfg');
  await writeFile(
    configPath,
    ejabberdConfig({
      domain,
      c2sPort,
      certFile: join(dir, 'server.pem'),
      starttls: options.starttls ?? true,
      pubsubBackend: options.pubsubBackend ?? 'sql',
      sqliteFile: join(dir, 'ejabberd.sqlite'),
      // At least `info` until start-up ends: readiness waits for an info line (below).
      logLevel: startLogLevel,
      extraModules: options.extraModules ?? '',
    }),
  );
  await writeFile(
    ctlConfigPath,
    [
      `ERL_OPTIONS="-env ERL_CRASH_DUMP_BYTES 0 -setcookie ${cookie}"`,
      'EJABBERD_BYPASS_WARNINGS=true',
      `ERL_DIST_PORT=${distPort}`,
      'INET_DIST_INTERFACE=127.0.0.1',
      `EJABBERD_PID_PATH=${join(dir, 'ejabberd.pid')}`,
      '',
    ].join('\n'),
  );
  const baseArgs = [
    '--config',
    configPath,
    '--ctl-config',
    ctlConfigPath,
    '--spool',
    spool,
    '--logs',
    logs,
    '--node',
    nodeName,
  ];

  let output = '';
  const child = spawn(ctlScript, [...baseArgs, 'foreground'], {
    cwd: dir,
    detached: true, // own process group: stop() kills bash, erl, beam and port programs at once
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  const killGroup = () => {
    if (exited || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  // If the test process dies without stop(), do not leave a beam behind.
  process.once('exit', killGroup);

  const ctl = async (args: readonly string[]): Promise<string> => {
    const result = await run(ctlScript, [...baseArgs, ...args], 30_000);
    if (result.code !== 0) {
      throw new Error(`ejabberdctl ${args.join(' ')} exited ${result.code}: ${result.output}`);
    }
    return result.output.replace(/^WARNING: It is not recommended to run ejabberd as root\n?/m, '');
  };
  // ejabberd_app logs "ejabberd VERSION is started in the node NODE in Xs" when start-up ends.
  const startedLine = async (): Promise<boolean> =>
    (await readFile(join(logs, 'ejabberd.log'), 'utf8').catch(() => '')).includes(
      ' is started in the node ',
    );
  const logTail = async (lines = 40): Promise<string> => {
    const log = await readFile(join(logs, 'ejabberd.log'), 'utf8').catch(() => '');
    const tail = (text: string) => text.split('\n').slice(-lines).join('\n');
    return `--- ejabberd.log ---\n${tail(log)}\n--- console ---\n${tail(output)}`;
  };
  // Shown when a test fails (test/helpers/failure-logs.ts); unregistered before the folder goes.
  const unregisterLogs = [
    registerServerLog(`ejabberd ${domain}:${c2sPort} log`, join(logs, 'ejabberd.log')),
    registerServerLog(`ejabberd ${domain}:${c2sPort} console`, () => output),
  ];
  // In-band registration (XEP-0077) on the c2s port, not `ejabberdctl register`: each ctl call
  // boots an Erlang VM, and on a loaded machine two at once overran their 30 s limit.
  const register = async (user: EjabberdUser): Promise<void> => {
    const outcome = await registerAccount({
      host: '127.0.0.1',
      port: c2sPort,
      domain,
      username: user.username,
      password: user.password,
      tls: 'off',
      clock: systemClock,
      timeoutMs: 30_000,
    });
    if (outcome === 'exists') throw new Error(`ejabberd account ${user.username} already exists`);
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(unregisterLogs.map((unregister) => unregister()));
    if (!exited) {
      await run(ctlScript, [...baseArgs, 'stop'], 15_000);
      await Promise.race([exit, sleep(10_000)]);
      killGroup();
      await Promise.race([exit, sleep(5_000)]);
    }
    process.removeListener('exit', killGroup);
    await rm(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    for (;;) {
      if (exited) throw new Error(`ejabberd exited during start-up\n${await logTail()}`);
      if (Date.now() > deadline)
        throw new Error(`ejabberd did not start in time\n${await logTail()}`);
      // Ready once the node logged the end of its start-up and its own c2s listener accepts (the
      // port must be this node's: another test run may have taken the "free" port first). Not
      // `ejabberdctl status`: each ctl call boots an Erlang VM, which on a loaded machine took
      // longer than its 15 s bound again and again while the server itself was long ready.
      if (
        (await startedLine()) &&
        (await canConnect(c2sPort)) &&
        groupListensOn(child.pid ?? -1, c2sPort)
      ) {
        break;
      }
      await sleep(250);
    }
    if (logLevel !== startLogLevel) await ctl(['set_loglevel', logLevel]);
    await Promise.all((options.users ?? []).map(register));
  } catch (error) {
    const tail = await logTail();
    await stop();
    throw error instanceof Error && !error.message.includes('--- ejabberd.log')
      ? new Error(`${error.message}\n${tail}`, { cause: error })
      : error;
  }

  return {
    domain,
    host: '127.0.0.1',
    c2sPort,
    pubsubService: `pubsub.${domain}`,
    caCertPem,
    nodeName,
    dir,
    ctl,
    register,
    logTail,
    stop,
  };
}
