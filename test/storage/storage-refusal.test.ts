/**
 * A store that cannot silently roll back, end to end through the CLI: a deleted newest
 * snapshot makes `aviary run` refuse (exit 1, one line naming the previous good snapshot),
 * `db check` fails, `db recover --from` starts from the named snapshot without losing what the
 * journals hold, and every db command takes the data folder lock.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StorageEngine } from '../../src/storage/storage-engine.js';
import { runCli, startCliRuntime, tempDataDir } from '../helpers/cli.js';

async function profiles(dataDir: string): Promise<string[]> {
  const engine = await StorageEngine.open({ dataDir });
  try {
    const [out] = await engine.applyBatch([{ type: 'profile.list' }]);
    if (!out?.ok) throw new Error(JSON.stringify(out));
    return (out.value as { name: string }[]).map((p) => p.name).sort();
  } finally {
    await engine.close();
  }
}

describe('storage refusal and recovery through the CLI', () => {
  it('run refuses on a missing newest snapshot; db check fails; db recover --from restores it', async () => {
    const dataDir = tempDataDir();
    const engine = await StorageEngine.open({ dataDir });
    await engine.applyBatch([{ type: 'profile.create', name: 'one', jid: 'one@example.org' }]);
    await engine.snapshotNow();
    await engine.applyBatch([{ type: 'profile.create', name: 'two', jid: 'two@example.org' }]);
    await engine.close();
    const snapshots = readdirSync(dataDir)
      .filter((f) => f.startsWith('snapshot-'))
      .sort();
    expect(snapshots.length).toBe(2);
    const previous = Number(snapshots[0]?.slice(9, 17));
    unlinkSync(join(dataDir, snapshots[1] as string));

    const run = await runCli(['--data-dir', dataDir, 'run']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`${snapshots[1]} is missing`);
    expect(run.stderr).toContain(`aviary db recover --from ${previous}`);
    expect(run.stderr).not.toMatch(/\n\s+at /); // one clear line, no stack trace

    const check = await runCli(['--data-dir', dataDir, 'db', 'check']);
    expect(check.code).toBe(1);
    expect(check.stdout).toContain('check FAILED');

    const recovered = await runCli([
      '--data-dir',
      dataDir,
      'db',
      'recover',
      '--from',
      String(previous),
    ]);
    expect(recovered.stderr).toBe('');
    expect(recovered.code).toBe(0);
    expect(recovered.stdout).toContain(`started from snapshot generation ${previous}`);
    expect(recovered.stdout).toContain('no journal record was lost');

    const again = await runCli(['--data-dir', dataDir, 'db', 'check']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('check passed');
    expect(await profiles(dataDir)).toEqual(['one', 'two']);
  });

  it('db commands take the lock: refused while a runtime owns the folder', async () => {
    const dataDir = tempDataDir();
    const runtime = await startCliRuntime(dataDir);
    try {
      for (const args of [
        ['db', 'status'],
        ['db', 'check'],
        ['db', 'recover'],
        ['db', 'upgrade'],
      ]) {
        const result = await runCli(['--data-dir', dataDir, ...args]);
        expect(result.code, args.join(' ')).toBe(1);
        expect(result.stderr).toContain(`pid ${runtime.child.pid}`);
      }
    } finally {
      expect(await runtime.stop('SIGTERM')).toBe(0);
    }
    const status = await runCli(['--data-dir', dataDir, 'db', 'status']);
    expect(status.code).toBe(0);
    for (const sub of ['check', 'recover']) {
      const help = await runCli(['db', sub, '--help']);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain('Usage: aviary db');
    }
  });
});
