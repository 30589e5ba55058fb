import type { Command } from 'commander';
import type { EntityStatus } from '../../entities/entity-actor.js';
import { globalOptions } from '../context.js';
import { emit, renderTable, usageError } from '../output.js';
import { envSecret, readStdinSecret } from '../secret-input.js';
import { callOperation, requireRuntime } from '../target.js';
import { canAsk, confirmDestructive } from '../terminal-prompt.js';
import { waitForConnection, waitTimeoutMs } from '../wait-for-connection.js';

const port = (value: string) => {
  const n = Number.parseInt(value, 10);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw usageError(`port must be 1..65535, got ${value}`);
  return n;
};

/** The state table; `last error` is the last failure (code: message), kept after a recovery. */
const stateTable = (rows: EntityStatus[]) =>
  renderTable(
    rows.map((r) => ({
      name: r.name,
      jid: r.jid,
      state: r.state,
      reason: r.reason,
      'last error': r.lastError ? `${r.lastError.code}: ${r.lastError.message}` : undefined,
    })),
    ['name', 'jid', 'state', 'reason', 'last error'],
  );

export function registerProfileCommands(program: Command): void {
  const profile = program.command('profile').description('manage XMPP client accounts (profiles)');

  profile
    .command('add <name>')
    .description(
      'add a profile (acts on the running runtime, or on the data folder when none runs)',
    )
    .requiredOption('--jid <jid>', 'account JID, user@domain')
    .option(
      '--password-stdin',
      'read the password from standard input (at a terminal without either option: asked, not shown)',
    )
    .option('--password-env <var>', 'read the password from this environment variable')
    .option('--server <host>', 'connect to this host instead of the JID domain')
    .option('--port <n>', 'server port (default 5222)', port)
    .option('--tls <policy>', 'required (default), optional, or off (loopback only)', 'required')
    .option('--no-autoconnect', 'do not connect at start')
    .option(
      '--ca-file <pem>',
      'trust this CA certificate for this profile (on top of the system ones)',
    )
    .option('--no-verify-tls', 'do NOT verify the server certificate (test servers only)')
    .option(
      '--wait',
      'wait until it is online (exit 1 with the reason if it fails); needs a runtime',
    )
    .option(
      '--timeout <seconds>',
      'with --wait: give up after this long (default 30)',
      waitTimeoutMs,
    )
    .action(async (name: string, o: Record<string, unknown>, command: Command) => {
      const global = globalOptions(command);
      // Checked before anything is added: only a running runtime connects.
      const waiting = o.wait === true ? await requireRuntime(global) : undefined;
      if (waiting && o.autoconnect === false)
        throw usageError('--wait needs the profile to connect: drop --no-autoconnect');
      const tls = o.tls === 'off' ? 'disabled' : o.tls;
      if (tls !== 'required' && tls !== 'optional' && tls !== 'disabled')
        throw usageError('--tls must be required, optional or off');
      if (o.passwordStdin && o.passwordEnv)
        throw usageError(
          'give the password with exactly one of --password-stdin or --password-env VAR',
        );
      // At a terminal with neither option, ask (without echo); a script must say where it is.
      if (!o.passwordStdin && !o.passwordEnv && !canAsk()) {
        throw usageError(
          'give the password with exactly one of --password-stdin or --password-env VAR (no terminal to ask on)',
        );
      }
      const password = o.passwordEnv
        ? envSecret(o.passwordEnv as string, 'password')
        : await readStdinSecret('password');
      const status = await callOperation(global, 'profile.add', {
        name,
        jid: o.jid as string,
        password,
        tls,
        autoconnect: o.autoconnect !== false,
        ...(o.server !== undefined ? { serverHost: o.server as string } : {}),
        ...(o.port !== undefined ? { serverPort: o.port as number } : {}),
        ...(o.caFile !== undefined ? { caFile: o.caFile as string } : {}),
        ...(o.verifyTls === false ? { verifyTls: false } : {}),
      });
      const final = waiting
        ? await waitForConnection(waiting, name, {
            timeoutMs: (o.timeout as number | undefined) ?? 30_000,
            fresh: true,
          })
        : status;
      emit(global.json, final, () => `profile ${final.name} added (${final.jid}), ${final.state}`);
    });

  profile
    .command('list')
    .description('list profiles with their connection state')
    .action(async (_o: unknown, command: Command) => {
      const global = globalOptions(command);
      const rows = await callOperation(global, 'profile.list', {});
      emit(global.json, rows, () => stateTable(rows));
    });

  profile
    .command('remove <name>')
    .description('remove a profile with its history and cache')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (name: string, o: { yes?: boolean }, command: Command) => {
      const global = globalOptions(command);
      await confirmDestructive(
        `remove profile ${name} with its stored history and cache`,
        o.yes === true,
      );
      await callOperation(global, 'profile.remove', { name });
      emit(global.json, { removed: name }, () => `profile ${name} removed`);
    });

  for (const verb of ['connect', 'disconnect'] as const) {
    const command = profile
      .command(`${verb} <name>`)
      .description(`${verb} a profile or component (needs a running runtime)`);
    if (verb === 'connect') {
      command
        .option('--wait', 'wait until it is online (exit 1 with the reason if it fails)')
        .option(
          '--timeout <seconds>',
          'with --wait: give up after this long (default 30)',
          waitTimeoutMs,
        );
    }
    command.action(async (name: string, o: { wait?: boolean; timeout?: number }, self: Command) => {
      const global = globalOptions(self);
      const status = await callOperation(global, `profile.${verb}`, { name });
      const final =
        o.wait === true
          ? await waitForConnection(await requireRuntime(global), name, {
              timeoutMs: o.timeout ?? 30_000,
              fresh: false,
            })
          : status;
      emit(global.json, final, () => `${final.name}: ${final.state}`);
    });
  }
}

export function registerComponentCommands(program: Command): void {
  const component = program.command('component').description('manage XMPP components (XEP-0114)');
  component
    .command('add <name>')
    .description('add a component started by an entry-point plugin')
    .requiredOption('--jid <domain>', 'component domain')
    .requiredOption('--secret-env <var>', 'environment variable holding the shared secret')
    .requiredOption('--entry-point <plugin>', 'entry-point plugin (e.g. echo-bot)')
    .option('--server <host>', 'server host', '127.0.0.1')
    .option('--port <n>', 'server component port (default 5347)', port)
    .option('--send-history', 'store sent messages in history')
    .option('--receive-history', 'store received messages in history')
    .option('--no-autoconnect', 'do not connect at start')
    .action(async (name: string, o: Record<string, unknown>, command: Command) => {
      const global = globalOptions(command);
      const secret = envSecret(o.secretEnv as string, 'component secret');
      const status = await callOperation(global, 'component.add', {
        name,
        jid: o.jid as string,
        secret,
        entryPoint: o.entryPoint as string,
        serverHost: o.server as string,
        serverPort: (o.port as number | undefined) ?? 5347,
        sendHistory: o.sendHistory === true,
        receiveHistory: o.receiveHistory === true,
        autoconnect: o.autoconnect !== false,
      });
      emit(
        global.json,
        status,
        () => `component ${status.name} added (${status.jid}), ${status.state}`,
      );
    });
  component
    .command('list')
    .description('list components with their connection state')
    .action(async (_o: unknown, command: Command) => {
      const global = globalOptions(command);
      const rows = await callOperation(global, 'component.list', {});
      emit(global.json, rows, () => stateTable(rows));
    });
  component
    .command('remove <name>')
    .description('remove a component')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (name: string, o: { yes?: boolean }, command: Command) => {
      const global = globalOptions(command);
      await confirmDestructive(`remove component ${name}`, o.yes === true);
      await callOperation(global, 'component.remove', { name });
      emit(global.json, { removed: name }, () => `component ${name} removed`);
    });
}
