/**
 * How `aviary` fails: usage errors exit 2, failures 1, `--json` failures carry the code on
 * stdout; a command that needs a running runtime refuses at once without starting one (no data
 * folder created); the offline `profile add` applies the API's name rule; and an error raised in
 * the storage worker reaches the CLI over HTTP with its code.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initDataDir, runCli, startCliRuntime, tempDataDir } from '../helpers/cli.js';

const jsonError = (stdout: string) =>
  (JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { error: { code: string } }).error;

describe('aviary failures', () => {
  it('exits 2 on usage errors, with the code under --json', async () => {
    const dataDir = tempDataDir();
    const [unknown, missing, limit] = await Promise.all([
      runCli(['--data-dir', dataDir, '--json', 'profile', 'frobnicate']),
      runCli(['--data-dir', dataDir, 'profile', 'add', 'x', '--password-env', 'PW'], {
        env: { PW: 'pw' },
      }),
      runCli(['--data-dir', dataDir, '--json', 'history', 'x', '--limit', 'abc']),
    ]);
    expect(unknown.code).toBe(2);
    expect(jsonError(unknown.stdout).code).toBe('cli.usage');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--jid/);
    expect(limit.code).toBe(2);
    expect(limit.stderr).toBe('aviary: --limit takes a non-negative integer, got "abc"\n');
    expect(jsonError(limit.stdout).code).toBe('cli.usage');
  }, 60_000);

  it('refuses a command that needs a runtime at once, creating nothing', async () => {
    const dataDir = join(tempDataDir(), 'never-created');
    const results = await Promise.all([
      runCli(['--data-dir', dataDir, '--json', 'profile', 'connect', 'alice']),
      runCli(['--data-dir', dataDir, 'message', 'send', 'alice', 'bob@example.test', 'hi']),
      runCli(['--data-dir', dataDir, 'cache', 'sync', 'alice', 'pubsub.example.test', 'n']),
    ]);
    for (const result of results) {
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `aviary: no runtime is running on ${dataDir}; start one with \`aviary run\`\n`,
      );
    }
    expect(jsonError(results[0]?.stdout ?? '').code).toBe('cli.no-runtime');
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);

  it('offline profile add refuses the names the API refuses, and creates nothing', async () => {
    const dataDir = await initDataDir();
    const names = ['../../etc', 'bad\nname', '-x', 'a/b'];
    const results = await Promise.all(
      names.map((name) =>
        runCli(
          [
            '--data-dir',
            dataDir,
            '--json',
            'profile',
            'add',
            '--jid',
            'x@example.test',
            '--password-env',
            'PW',
            '--no-autoconnect',
            '--',
            name,
          ],
          { env: { PW: 'pw' } },
        ),
      ),
    );
    results.forEach((result, i) => {
      expect({ name: names[i], code: result.code }).toEqual({ name: names[i], code: 2 });
      expect(jsonError(result.stdout).code).toBe('api.invalid-request');
      expect(result.stderr).toMatch(/name: a letter or digit/);
    });
    const list = await runCli(['--data-dir', dataDir, '--json', 'profile', 'list']);
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(readdirSync(join(dataDir, '..')).includes('etc')).toBe(false);
  }, 120_000);

  it('reports a storage worker refusal with its code, through the running runtime', async () => {
    const dataDir = tempDataDir();
    const running = await startCliRuntime(dataDir);
    try {
      const search = ['cache', 'search', '--parsed', 'tags', 'bogus-op', '1'];
      const [human, json] = await Promise.all([
        runCli(['--data-dir', dataDir, ...search]),
        runCli(['--data-dir', dataDir, '--json', ...search]),
      ]);
      expect(human.code).toBe(1);
      expect(human.stderr).toMatch(/bogus-op.*\[storage\.bad-argument\]\n$/);
      expect(human.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(json.code).toBe(1);
      expect(jsonError(json.stdout).code).toBe('storage.bad-argument');
    } finally {
      expect(await running.stop('SIGTERM')).toBe(0);
    }
  }, 120_000);
});
