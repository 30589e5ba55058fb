import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runCli, startCliRuntime, tempDataDir } from '../helpers/cli.js';

const LOCK_MODULE = fileURLToPath(
  new URL('../../dist/src/runtime/data-dir-lock.js', import.meta.url),
);

/**
 * One contender: a separate process that waits for the common start instant, tries to take
 * the lock, holds it for a while if it won, and prints `won` or the error code.
 */
function contend(dataDir: string, startAt: number): Promise<string> {
  const script = `
    const { acquireDataDirLock } = await import(${JSON.stringify(LOCK_MODULE)});
    while (Date.now() < ${startAt}) await new Promise((r) => setTimeout(r, 1));
    try {
      const release = acquireDataDirLock(${JSON.stringify(dataDir)});
      process.stdout.write('won');
      await new Promise((r) => setTimeout(r, 1500));
      release();
    } catch (error) {
      process.stdout.write(String(error.code));
    }`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

describe('aviary run: data folder lock, status, graceful stop', () => {
  it('refuses a second runtime on the same data folder and stops with exit 0 on SIGTERM', async () => {
    const dataDir = tempDataDir();
    const first = await startCliRuntime(dataDir);
    try {
      expect(readFileSync(join(dataDir, 'aviary.lock'), 'utf8').trim()).toBe(
        String(first.child.pid),
      );
      const second = await runCli(['--data-dir', dataDir, 'run']);
      expect(second.code).toBe(1);
      expect(second.stderr).toContain(`pid ${first.child.pid}`);
      expect(second.stderr).toContain('already running');

      const status = await runCli(['--data-dir', dataDir, '--json', 'status']);
      expect(status.code).toBe(0);
      const health = JSON.parse(status.stdout) as { running: boolean; pid: number; ok: boolean };
      expect(health).toMatchObject({ running: true, pid: first.child.pid, ok: true });

      // The token file is private to the owner.
      expect(statSync(join(dataDir, 'api-token')).mode & 0o777).toBe(0o600);
    } finally {
      expect(await first.stop('SIGTERM')).toBe(0);
    }
    expect(existsSync(join(dataDir, 'aviary.lock'))).toBe(false);
    const after = await runCli(['--data-dir', dataDir, 'status']);
    expect(after.code).toBe(1);
    expect(after.stderr).toContain('no Aviary runtime is running');
  });

  it('takes over a stale lock left by a dead process', async () => {
    const dataDir = tempDataDir();
    // A pid far above pid_max on Linux defaults cannot belong to a live process.
    writeFileSync(join(dataDir, 'aviary.lock'), '999999999\n');
    const runtime = await startCliRuntime(dataDir);
    try {
      expect(readFileSync(join(dataDir, 'aviary.lock'), 'utf8').trim()).toBe(
        String(runtime.child.pid),
      );
    } finally {
      expect(await runtime.stop('SIGINT')).toBe(0);
    }
  });

  it('contenders racing over a stale lock: exactly one wins, the others are told who owns it', async () => {
    const rounds = 8;
    const contenders = 5;
    for (let round = 0; round < rounds; round++) {
      const dataDir = tempDataDir();
      writeFileSync(join(dataDir, 'aviary.lock'), '999999999\n'); // a dead owner
      const startAt = Date.now() + 1_500;
      const results = await Promise.all(
        Array.from({ length: contenders }, () => contend(dataDir, startAt)),
      );
      expect(results.filter((r) => r === 'won').length, `round ${round}: ${results}`).toBe(1);
      expect(results.filter((r) => r !== 'won')).toEqual(
        Array(contenders - 1).fill('runtime.data-dir-locked'),
      );
      // Everything released: no lock, no claim left behind.
      expect(readdirSync(dataDir).filter((f) => f.startsWith('aviary.lock'))).toEqual([]);
    }
  });

  it('every command has --help', async () => {
    for (const args of [['--help'], ['run', '--help'], ['status', '--help']]) {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: aviary');
    }
  });
});
