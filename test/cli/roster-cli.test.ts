/**
 * `aviary roster` on a data folder (no runtime): the roster is read from the profile's cache,
 * the contact settings are read and changed, bad input is refused with a usage error, and
 * commands that talk to the server say a runtime is needed. No network: the profile is added
 * with `--no-autoconnect` and a loopback server address.
 */
import { describe, expect, it } from 'vitest';
import { initDataDir, runCli } from '../helpers/cli.js';

describe('aviary roster', () => {
  it('lists the cached roster, reads and changes settings, refuses bad input', async () => {
    const dataDir = await initDataDir();
    const base = ['--data-dir', dataDir];
    const added = await runCli(
      [
        ...base,
        'profile',
        'add',
        'alice',
        '--jid',
        'alice@example.test',
        '--password-stdin',
        '--server',
        '127.0.0.1',
        '--port',
        '9',
        '--no-autoconnect',
      ],
      { input: 'alice-password\n' },
    );
    expect(added.code).toBe(0);

    const list = await runCli([...base, '--json', 'roster', 'list', 'alice']);
    expect({ code: list.code, stderr: list.stderr }).toEqual({ code: 0, stderr: '' });
    expect(JSON.parse(list.stdout)).toEqual([]);

    const defaults = await runCli([...base, '--json', 'roster', 'settings', 'alice']);
    expect(JSON.parse(defaults.stdout)).toEqual({ subscriptionPolicy: 'ask', carbons: true });
    const changed = await runCli([
      ...base,
      'roster',
      'settings',
      'alice',
      '--policy',
      'accept',
      '--carbons',
      'off',
    ]);
    expect(changed.stdout).toBe('subscription policy: accept\ncarbons: off\n');
    const reread = await runCli([...base, '--json', 'roster', 'settings', 'alice']);
    expect(JSON.parse(reread.stdout)).toEqual({ subscriptionPolicy: 'accept', carbons: false });

    const badPolicy = await runCli([...base, 'roster', 'settings', 'alice', '--policy', 'maybe']);
    expect(badPolicy.code).toBe(2);
    expect(badPolicy.stderr).toMatch(/--policy takes accept, reject or ask/);

    const unknown = await runCli([...base, 'roster', 'list', 'nobody']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/nobody/);

    const add = await runCli([...base, 'roster', 'add', 'alice', 'bob@example.test']);
    expect(add.code).toBe(1);
    expect(add.stderr).toMatch(/no runtime is running/);
  }, 120_000);
});
