/**
 * Safe defaults of the data folder: only `aviary run` and `aviary init` create a store. A
 * mistyped --data-dir is a clear error that creates nothing, and an offline read (`profile
 * list`, `history`, …) leaves an existing store exactly as it found it: no journal record, no
 * snapshot, no key file.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initDataDir, runCli, tempDataDir } from '../helpers/cli.js';

/** Every file of the folder with its size and modification time. */
function listing(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .sort()
      .map((name) => {
        const stat = statSync(join(dir, name));
        return [name, `${stat.size} ${stat.mtimeMs}`];
      }),
  );
}

const lastJsonLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').at(-1) ?? '');

describe('the data folder is created only on purpose', () => {
  it('a mistyped --data-dir is refused by every offline command, and nothing is created', async () => {
    const typo = join(tempDataDir(), 'dta');
    const commands = [
      ['profile', 'list'],
      ['component', 'list'],
      ['history', 'alice'],
      ['db', 'status'],
      ['db', 'check'],
      ['profile', 'add', 'alice', '--jid', 'alice@example.test', '--password-env', 'PW'],
    ];
    const results = await Promise.all(
      commands.map((args) =>
        runCli(['--data-dir', typo, '--json', ...args], { env: { PW: 'pw' } }),
      ),
    );
    results.forEach((result, i) => {
      const what = commands[i]?.join(' ');
      expect(result.code, what).toBe(1);
      expect(result.stderr, what).toBe(
        `aviary: the data folder ${typo} does not exist; check --data-dir (or AVIARY_DATA_DIR), or create a store there with \`aviary init\`\n`,
      );
      expect(lastJsonLine(result.stdout).error.code, what).toBe('cli.no-data-folder');
    });
    expect(existsSync(typo)).toBe(false);
  }, 120_000);

  it('an existing folder without a store is refused too (it is not silently filled)', async () => {
    const empty = tempDataDir();
    const result = await runCli(['--data-dir', empty, 'profile', 'list']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/holds no Aviary store; check --data-dir/);
    expect(readdirSync(empty)).toEqual([]);
  }, 60_000);

  it('aviary init creates the store and its key once; a second init changes nothing', async () => {
    const parent = tempDataDir();
    const dataDir = join(parent, 'store');
    const first = await runCli(['--data-dir', dataDir, '--json', 'init']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ dataDir, created: true });
    const files = readdirSync(dataDir);
    expect(files).toEqual(expect.arrayContaining(['secret.key', 'manifest.json']));
    expect(statSync(join(dataDir, 'secret.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const before = listing(dataDir);
    const second = await runCli(['--data-dir', dataDir, '--json', 'init']);
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout)).toEqual({ dataDir, created: false });
    expect(listing(dataDir)).toEqual(before);
    const help = await runCli(['init', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/secret key/);
  }, 120_000);

  it('offline reads leave an existing store byte for byte as it was', async () => {
    const dataDir = await initDataDir();
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
        '--server',
        '127.0.0.1',
        '--port',
        '9',
        '--no-autoconnect',
      ],
      { env: { PW: 'pw' } },
    );
    expect(added.stderr).toBe('');
    expect(added.code).toBe(0);
    const before = listing(dataDir);
    for (const args of [
      ['profile', 'list'],
      ['component', 'list'],
      ['history', 'alice'],
      ['db', 'status'],
    ]) {
      const result = await runCli(['--data-dir', dataDir, '--json', ...args]);
      expect(result.stderr, args.join(' ')).toBe('');
      expect(result.code, args.join(' ')).toBe(0);
      expect(listing(dataDir), args.join(' ')).toEqual(before);
    }
    const listed = await runCli(['--data-dir', dataDir, '--json', 'profile', 'list']);
    expect(JSON.parse(listed.stdout).map((row: { name: string }) => row.name)).toEqual(['alice']);
  }, 180_000);
});
