/**
 * What the CLI asks a person at a terminal, through the built binary: destructive commands ask
 * (and need --yes without a terminal), the password prompt does not echo, and `--tls off` for a
 * remote server is refused before anything is stored. A terminal is a pseudo-terminal made by
 * util-linux `script` (`apt-get install -y util-linux` if it is missing).
 */
import { describe, expect, it } from 'vitest';
import { CLI, initDataDir, runCli } from '../helpers/cli.js';
import { spawnOnTerminal } from '../helpers/terminal.js';
import { waitFor } from '../helpers/wait-for.js';

const loopback = ['--server', '127.0.0.1', '--port', '9', '--no-autoconnect'];

/**
 * Runs `aviary ARGS` on a pseudo-terminal; each answer is typed once its prompt has shown (so
 * the test sees what the terminal would echo). Resolves with everything the terminal showed.
 */
async function onTerminal(
  args: readonly string[],
  answers: readonly { after: RegExp; type: string }[],
): Promise<{ code: number | null; screen: string }> {
  const terminal = spawnOnTerminal([process.execPath, CLI, ...args]);
  for (const answer of answers) {
    await waitFor(() => answer.after.test(terminal.screen()), 20_000);
    terminal.type(answer.type);
  }
  const code = await terminal.closed;
  return { code, screen: terminal.screen() };
}

async function profileNames(dataDir: string): Promise<string[]> {
  const listed = await runCli(['--data-dir', dataDir, '--json', 'profile', 'list']);
  expect(listed.code).toBe(0);
  return (JSON.parse(listed.stdout) as { name: string }[]).map((row) => row.name).sort();
}

async function addAlice(dataDir: string): Promise<void> {
  const added = await runCli(
    [
      '--data-dir',
      dataDir,
      'profile',
      'add',
      'alice',
      '--jid',
      'alice@example.test',
      '--password-env',
      'PW',
      ...loopback,
    ],
    { env: { PW: 'pw' } },
  );
  expect(added.stderr).toBe('');
  expect(added.code).toBe(0);
}

describe('terminal prompts and confirmations', () => {
  it('asks for the password at a terminal without echoing it', async () => {
    const dataDir = await initDataDir();
    const typed = 'typed-secret-8121';
    const args = ['--data-dir', dataDir, 'profile', 'add', 'bob', '--jid', 'bob@example.test'];
    const run = await onTerminal(
      [...args, ...loopback],
      [{ after: /password \(not shown\): /, type: `${typed}\r` }],
    );
    expect(run.screen).not.toContain(typed);
    expect(run.screen).toContain('profile bob added');
    expect(run.code).toBe(0);
    expect(await profileNames(dataDir)).toEqual(['bob']);
  }, 60_000);

  it('asks before removing a profile: "n" keeps it, "y" removes it', async () => {
    const dataDir = await initDataDir();
    await addAlice(dataDir);
    const remove = ['--data-dir', dataDir, 'profile', 'remove', 'alice'];
    const refused = await onTerminal(remove, [{ after: /Continue\? \[y\/N\] /, type: 'n\r' }]);
    expect(refused.code).toBe(1);
    expect(refused.screen).toMatch(/not confirmed: nothing was changed/);
    expect(await profileNames(dataDir)).toEqual(['alice']);
    const confirmed = await onTerminal(remove, [{ after: /Continue\? \[y\/N\] /, type: 'y\r' }]);
    expect(confirmed.code).toBe(0);
    expect(await profileNames(dataDir)).toEqual([]);
  }, 60_000);

  it('without a terminal, destructive commands need --yes and lose nothing without it', async () => {
    const dataDir = await initDataDir();
    await addAlice(dataDir);
    const base = ['--data-dir', dataDir];
    for (const args of [
      ['profile', 'remove', 'alice'],
      ['component', 'remove', 'echo'],
      ['cache', 'reset'],
      ['cache', 'purge'],
    ]) {
      const result = await runCli([...base, ...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/no terminal to confirm on: add --yes/);
    }
    expect(await profileNames(dataDir)).toEqual(['alice']);
    // A purge with a filter says what it deletes: it does not ask.
    const filtered = await runCli([...base, '--json', 'cache', 'purge', '--profile', 'alice']);
    expect(filtered.stderr).toBe('');
    expect(JSON.parse(filtered.stdout)).toEqual({ deleted: 0 });
    const reset = await runCli([...base, '--json', 'cache', 'reset', '--yes']);
    expect(reset.code).toBe(0);
  }, 120_000);

  it('refuses --tls off for a server that is not loopback, before storing anything', async () => {
    const dataDir = await initDataDir();
    const result = await runCli(
      [
        '--data-dir',
        dataDir,
        'profile',
        'add',
        'eve',
        '--jid',
        'eve@example.org',
        '--password-env',
        'PW',
        '--tls',
        'off',
        '--no-autoconnect',
      ],
      { env: { PW: 'pw' } },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/TLS can be turned off only for a loopback server.*example\.org/);
    const local = await runCli(
      [
        '--data-dir',
        dataDir,
        'profile',
        'add',
        'eve',
        '--jid',
        'eve@example.org',
        '--password-env',
        'PW',
        '--tls',
        'off',
        ...loopback,
      ],
      { env: { PW: 'pw' } },
    );
    expect(local.stderr).toBe('');
    expect(await profileNames(dataDir)).toEqual(['eve']);
  }, 60_000);
});
