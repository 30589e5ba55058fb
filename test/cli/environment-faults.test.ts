/**
 * Environment faults end `aviary` with exit status 1 and one line that says what is wrong, never
 * a stack trace: a data folder that is a file, a read-only or full file system, an API port
 * already taken (found before storage starts), a non-loopback API host without api.allowRemote.
 *
 * The read-only and full file systems are small tmpfs mounts in a private mount namespace
 * (`unshare -rm`, util-linux): nothing outside the test's own process tree sees them.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, type CliResult, runCli, tempDataDir } from '../helpers/cli.js';

function expectOneLine(result: CliResult, says: RegExp): void {
  expect({ code: result.code, stderr: result.stderr }).toEqual({
    code: 1,
    stderr: expect.stringMatching(says),
  });
  expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
}

/** Runs `aviary ARGS` with DIR as a fresh 1 MiB tmpfs, after `prepare` (shell) ran on it. */
function runOnTmpfs(prepare: string, args: readonly string[]): CliResult {
  const unshare = spawnSync('unshare', ['--version']);
  if (unshare.error)
    throw new Error('this test needs unshare (util-linux): apt-get install util-linux');
  const dir = tempDataDir('aviary-tmpfs-');
  const quoted = [process.execPath, CLI, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`);
  const script = [
    `mount -t tmpfs -o size=1m tmpfs '${dir}'`,
    prepare.replaceAll('DIR', dir),
    `exec ${quoted.join(' ').replaceAll('DIR', dir)}`,
  ].join(' && ');
  const result = spawnSync('unshare', ['-rm', 'sh', '-c', script], { encoding: 'utf8' });
  return {
    code: result.status,
    signal: result.signal,
    stdout: result.stdout,
    stderr: result.stderr,
  };
}

describe('environment faults', () => {
  it('a --data-dir that names a file', async () => {
    const file = join(tempDataDir(), 'a-file');
    writeFileSync(file, 'not a folder');
    const [run, add] = await Promise.all([
      runCli(['--data-dir', file, 'run']),
      runCli(
        [
          '--data-dir',
          file,
          'profile',
          'add',
          'a',
          '--jid',
          'a@example.test',
          '--password-env',
          'PW',
        ],
        {
          env: { PW: 'pw' },
        },
      ),
    ]);
    expectOneLine(run, /^aviary: the data folder .*a-file is a file, not a folder/);
    expectOneLine(add, /^aviary: the data folder .*a-file is a file, not a folder/);
  }, 60_000);

  it('a read-only file system', () => {
    const result = runOnTmpfs('mkdir DIR/data && mount -o remount,ro DIR', [
      '--data-dir',
      'DIR/data',
      'run',
    ]);
    expectOneLine(result, /^aviary: cannot write .*: the file system is read-only \(EROFS\)/);
  }, 60_000);

  it('a full disk at start', () => {
    const result = runOnTmpfs(
      'mkdir DIR/data && (dd if=/dev/zero of=DIR/fill bs=64k 2>/dev/null || true)',
      ['--data-dir', 'DIR/data', 'run'],
    );
    expectOneLine(result, /^aviary: no space left on the device holding .*\(ENOSPC\)/);
  }, 60_000);

  it('an API port already taken, found before storage starts', async () => {
    const server: Server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const dataDir = tempDataDir();
    try {
      const result = await runCli(['--data-dir', dataDir, 'run', '--api-port', String(port)]);
      expectOneLine(result, new RegExp(`control API port ${port} on 127.0.0.1 is already in use`));
      // Storage never started: no lock, journal, snapshot or key in the folder.
      expect(readdirSync(dataDir)).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }, 60_000);

  it('a non-loopback API host without api.allowRemote', async () => {
    const dataDir = join(tempDataDir(), 'data');
    const result = await runCli(['--data-dir', dataDir, 'run'], {
      env: { AVIARY_API_HOST: '0.0.0.0' },
    });
    expectOneLine(result, /api\.host: is not a loopback address; set api\.allowRemote to true/);
    expect(existsSync(dataDir)).toBe(false);
  }, 60_000);
});
