import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, startCliRuntime, tempDataDir } from '../helpers/cli.js';

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

  it('every command has --help', async () => {
    for (const args of [['--help'], ['run', '--help'], ['status', '--help']]) {
      const result = await runCli(args);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain('Usage: aviary');
    }
  });
});
