/**
 * Cluster mode refusals, through the built CLI: no PostgreSQL, a key that cannot decrypt the
 * stored passwords, and `cluster status` with no node running. Needs `npm run build`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../src/runtime/default-runtime.js';
import { runCli, tempDataDir } from '../helpers/cli.js';
import { type PostgresFixture, startPostgres } from '../helpers/postgres.js';

describe('cluster mode refusals', () => {
  let server: PostgresFixture;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('refuses to run without a PostgreSQL storage.url', async () => {
    expect(process.env.AVIARY_STORAGE_URL, 'this test needs no storage URL set').toBeUndefined();
    const result = await runCli(['--data-dir', tempDataDir(), 'run', '--cluster']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /cluster mode needs a PostgreSQL storage\.url.*cluster\.needs-postgres/,
    );
  });

  it('refuses to start a node whose key cannot decrypt the stored passwords', async () => {
    const url = await server.createDatabase();
    const keyFile = join(tempDataDir(), 'cluster.key');
    writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
    const first = createRuntime({
      api: false,
      autoconnect: false,
      config: { dataDir: tempDataDir(), storage: { url }, security: { keyFile } },
    });
    await first.start();
    await first.addProfile({
      name: 'alice',
      jid: 'alice@example.org',
      password: 'secret',
      autoconnect: false,
    });
    await first.stop();
    const result = await runCli(['--data-dir', tempDataDir(), 'run', '--cluster'], {
      env: { AVIARY_STORAGE_URL: url, AVIARY_SECRET_KEY: randomBytes(32).toString('base64') },
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /cannot decrypt the stored password of alice.*cluster\.wrong-key/,
    );
  });

  it('cluster status says when no node runs on the data folder', async () => {
    const result = await runCli(['--data-dir', tempDataDir(), 'cluster', 'status']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/no Aviary node is running on/);
  });
});
