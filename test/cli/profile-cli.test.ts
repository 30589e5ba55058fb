/**
 * `aviary profile|component|db` from the command line, both on a data folder (no runtime)
 * and against a running `aviary run` (through its control API); bad input fails with a message
 * that says what to do; every command has --help. No network: every entity is added with
 * `--no-autoconnect` and a loopback server address.
 */
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { initDataDir, runCli, startCliRuntime } from '../helpers/cli.js';

interface Row {
  readonly kind: string;
  readonly name: string;
  readonly jid: string;
  readonly state: string;
}

const loopback = ['--server', '127.0.0.1', '--port', '9', '--no-autoconnect'];

async function listJson(dataDir: string, what: 'profile' | 'component'): Promise<Row[]> {
  const result = await runCli(['--data-dir', dataDir, '--json', what, 'list']);
  expect(result.stderr).toBe('');
  expect(result.code).toBe(0);
  const rows = JSON.parse(result.stdout) as unknown;
  expect(Array.isArray(rows)).toBe(true);
  for (const row of rows as unknown[]) {
    expect(typeof row).toBe('object');
    expect(row).toMatchObject({ name: expect.any(String), jid: expect.any(String) });
  }
  return rows as Row[];
}

describe('aviary profile / component / db', () => {
  it('adds, lists and removes on the data folder, then through a running runtime', async () => {
    const dataDir = await initDataDir();
    const base = ['--data-dir', dataDir];

    // Offline: acts on the data folder directly.
    const added = await runCli(
      [
        ...base,
        'profile',
        'add',
        'alice',
        '--jid',
        'alice@example.test',
        '--password-stdin',
      ].concat(loopback),
      { input: 'alice-password\n' },
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('profile alice added');
    const component = await runCli(
      [
        ...base,
        'component',
        'add',
        'echo',
        '--jid',
        'echo.example.test',
        '--secret-env',
        'ECHO_SECRET',
        '--entry-point',
        'echo-bot',
        ...loopback,
      ],
      { env: { ECHO_SECRET: 'component-secret' } },
    );
    expect(component.stderr).toBe('');
    expect(component.code).toBe(0);
    expect(await listJson(dataDir, 'profile')).toEqual([
      expect.objectContaining({ kind: 'client', name: 'alice', jid: 'alice@example.test' }),
    ]);
    expect(await listJson(dataDir, 'component')).toEqual([
      expect.objectContaining({ kind: 'component', name: 'echo', jid: 'echo.example.test' }),
    ]);

    const db = await runCli([...base, '--json', 'db', 'status']);
    expect(db.code).toBe(0);
    const status = JSON.parse(db.stdout) as {
      current: number;
      migrations: { version: number; applied: boolean }[];
    };
    expect(status.migrations.length).toBeGreaterThan(0);
    expect(status.migrations.every((m) => m.applied)).toBe(true);
    expect(status.current).toBe(Math.max(...status.migrations.map((m) => m.version)));

    // Online: the same commands go through the runtime's control API.
    const running = await startCliRuntime(dataDir);
    try {
      const bob = await runCli(
        [
          ...base,
          'profile',
          'add',
          'bob',
          '--jid',
          'bob@example.test',
          '--password-env',
          'PW',
          ...loopback,
        ],
        { env: { PW: 'bob-password' } },
      );
      expect(bob.stderr).toBe('');
      expect(bob.code).toBe(0);
      expect(bob.stdout).toContain('profile bob added');
      const names = (await listJson(dataDir, 'profile')).map((r) => r.name).sort();
      expect(names).toEqual(['alice', 'bob']);

      const unconfirmed = await runCli([...base, 'profile', 'remove', 'alice']);
      expect(unconfirmed.code).toBe(2);
      expect(unconfirmed.stderr).toMatch(/--yes/);
      expect((await listJson(dataDir, 'profile')).map((r) => r.name).sort()).toEqual([
        'alice',
        'bob',
      ]);
      const removed = await runCli([...base, 'profile', 'remove', 'alice', '--yes']);
      expect(removed.code).toBe(0);
      expect((await listJson(dataDir, 'profile')).map((r) => r.name)).toEqual(['bob']);
      const removedComponent = await runCli([
        ...base,
        '--json',
        'component',
        'remove',
        'echo',
        '--yes',
      ]);
      expect(removedComponent.code).toBe(0);
      expect(JSON.parse(removedComponent.stdout)).toEqual({ removed: 'echo' });
      expect(await listJson(dataDir, 'component')).toEqual([]);

      // The schema is not touched under a running runtime.
      const busy = await runCli([...base, 'db', 'status']);
      expect(busy.code).not.toBe(0);
      expect(busy.stderr).toMatch(/stop it/);
    } finally {
      expect(await running.stop('SIGTERM')).toBe(0);
    }
    // What the runtime did is in the data folder.
    expect((await listJson(dataDir, 'profile')).map((r) => r.name)).toEqual(['bob']);
  }, 120_000);

  it('bad input exits non-zero and says what to do on stderr', async () => {
    const dataDir = await initDataDir();
    const base = ['--data-dir', dataDir, 'profile', 'add', 'carol'];
    const cases: { args: string[]; env?: NodeJS.ProcessEnv; input?: string; says: RegExp }[] = [
      { args: [...base, '--password-stdin'], input: 'pw\n', says: /--jid/ },
      {
        args: [...base, '--jid', 'carol@example.test', '--password-stdin', '--password-env', 'PW'],
        env: { PW: 'pw' },
        input: 'pw\n',
        says: /exactly one of --password-stdin or --password-env/,
      },
      {
        args: [...base, '--jid', 'carol@example.test'],
        says: /exactly one of --password-stdin or --password-env/,
      },
      {
        args: [...base, '--jid', 'carol@example.test', '--password-env', 'PW', '--tls', 'maybe'],
        env: { PW: 'pw' },
        says: /--tls must be required, optional or off/,
      },
      {
        args: [...base, '--jid', 'carol@example.test', '--password-env', 'UNSET_PW_VAR'],
        says: /UNSET_PW_VAR/,
      },
      {
        args: [
          '--data-dir',
          dataDir,
          'component',
          'add',
          'c',
          '--jid',
          'c.example.test',
          '--entry-point',
          'echo-bot',
        ],
        says: /--secret-env/,
      },
    ];
    const results = await Promise.all(
      cases.map((c) =>
        runCli(c.args, {
          ...(c.env ? { env: c.env } : {}),
          ...(c.input ? { input: c.input } : {}),
        }),
      ),
    );
    results.forEach((result, i) => {
      const c = cases[i] as (typeof cases)[number];
      expect({ args: c.args.slice(2), code: result.code === 0 }).toEqual({
        args: c.args.slice(2),
        code: false,
      });
      expect(result.stderr).toMatch(c.says);
      expect(result.stdout).toBe('');
    });
    // Nothing was created by the failed commands.
    expect(await listJson(dataDir, 'profile')).toEqual([]);
    expect(await listJson(dataDir, 'component')).toEqual([]);
  }, 60_000);

  it('every command has --help', async () => {
    // The whole command tree, walked in process: each command's help names its usage.
    const seen: string[] = [];
    const visit = (command: Command, path: readonly string[]): void => {
      const help = command.helpInformation();
      expect(help, path.join(' ')).toMatch(new RegExp(`^Usage: ${['aviary', ...path].join(' ')}`));
      seen.push(path.join(' '));
      for (const sub of command.commands) visit(sub, [...path, sub.name()]);
    };
    visit(buildProgram(), []);
    for (const command of [
      'run',
      'status',
      'profile add',
      'profile list',
      'profile remove',
      'profile import',
      'profile export',
      'profile modify',
      'component add',
      'component list',
      'component remove',
      'db status',
      'backup',
      'restore',
    ])
      expect(seen).toContain(command);
    // Through the binary, at each depth: --help prints the usage and exits 0 with nothing on stderr.
    for (const path of [[], ['profile'], ['profile', 'import'], ['db', 'status']]) {
      const result = await runCli([...path, '--help']);
      expect({ path, code: result.code, stderr: result.stderr }).toEqual({
        path,
        code: 0,
        stderr: '',
      });
      expect(result.stdout).toContain(`Usage: ${['aviary', ...path].join(' ')}`);
    }
  }, 90_000);
});
