/**
 * The CLI on PostgreSQL: `db status|upgrade|downgrade` follow AVIARY_STORAGE_URL, `db copy`
 * fills an empty database and refuses a non-empty one, and `aviary run` with
 * AVIARY_STORAGE_URL runs on PostgreSQL, saying so (password redacted) on its console and in
 * `/health`. Needs `npm run build` (the tests run dist/).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorageBackend } from '../../src/storage/backend.js';
import { runCli, startCliRuntime, tempDataDir } from '../helpers/cli.js';
import { type PostgresFixture, startPostgres } from '../helpers/postgres.js';

describe('aviary CLI on PostgreSQL', () => {
  let server: PostgresFixture;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('db status, upgrade and downgrade act on the database of AVIARY_STORAGE_URL', async () => {
    const env = { AVIARY_STORAGE_URL: await server.createDatabase() };
    const dataDir = tempDataDir();
    const status = await runCli(['--data-dir', dataDir, '--json', 'db', 'status'], { env });
    expect(status.stderr).toBe('');
    expect(JSON.parse(status.stdout)).toMatchObject({ current: 0 });
    const up = await runCli(['--data-dir', dataDir, '--json', 'db', 'upgrade'], { env });
    expect(JSON.parse(up.stdout).map((r: { status: string }) => r.status)).toEqual([
      'Success',
      'Success',
      'Success',
      'Success',
      'Success',
    ]);
    const down = await runCli(['--data-dir', dataDir, '--json', 'db', 'downgrade', '1'], { env });
    expect(JSON.parse(down.stdout).map((r: { name: string }) => r.name)).toEqual([
      '0005_cluster',
      '0004_delivery_receipts',
      '0003_search_paths',
      '0002_full_text',
    ]);
    const again = await runCli(['--data-dir', dataDir, '--json', 'db', 'status'], { env });
    expect(JSON.parse(again.stdout)).toMatchObject({ current: 1 });
  });

  it('db copy fills an empty database and refuses a non-empty one', async () => {
    const help = await runCli(['db', 'copy', '--help']);
    expect(help.stdout).toMatch(/--to <url>/);
    const dataDir = tempDataDir();
    const source = await openStorageBackend({ dataDir });
    await source.applyBatch([
      { type: 'profile.create', name: 'alice', jid: 'alice@x', passwordCiphertext: 'v1:x' },
    ]);
    await source.close();
    const url = await server.createDatabase();
    const copy = await runCli(['--data-dir', dataDir, '--json', 'db', 'copy', '--to', url]);
    expect(copy.code).toBe(0);
    expect(JSON.parse(copy.stdout).tables).toContainEqual({ table: 'profiles', rows: 1 });
    const refused = await runCli(['--data-dir', dataDir, 'db', 'copy', '--to', url]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/is not empty \(table profiles has rows\)/);
    const bad = await runCli(['--data-dir', dataDir, 'db', 'copy', '--to', 'mysql://x']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--to must be a postgres:\/\//);
  });

  it('aviary run on PostgreSQL names the backend, password redacted, on the console and /health', async () => {
    const url = new URL(await server.createDatabase());
    url.password = 'sekret-pw'; // the throwaway cluster trusts loopback: any password works
    const dataDir = tempDataDir();
    process.env.AVIARY_STORAGE_URL = url.toString();
    let running: Awaited<ReturnType<typeof startCliRuntime>> | undefined;
    try {
      running = await startCliRuntime(dataDir);
    } finally {
      delete process.env.AVIARY_STORAGE_URL;
    }
    try {
      const output = running.output();
      expect(output).toMatch(/storage: postgres postgres:\/\/aviary:\*\*\*@127\.0\.0\.1:\d+\//);
      expect(output).not.toMatch(/sekret-pw/);
      const apiUrl = /API:\s+(\S+)/.exec(output)?.[1];
      const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
      const response = await fetch(`${apiUrl}/health`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const body = await response.text();
      expect(body).toMatch(/postgres postgres:\/\/aviary:\*\*\*@/);
      expect(body).not.toMatch(/sekret-pw/);
    } finally {
      expect(await running.stop()).toBe(0);
    }
  });
});
