/**
 * `profile add|connect --wait` and `status --json` through the built binary against a running
 * `aviary run` and a real Prosody: --wait ends on online (exit 0) or on a failure state with its
 * reason (exit 1); status is structured data and says `degraded` when entities are configured
 * but none is online.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCliRuntime, tempDataDir } from '../helpers/cli.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';

let prosody: ProsodyFixture;
beforeAll(async () => {
  prosody = await startProsody({ users: [{ username: 'waiter', password: 'waiter-pw' }] });
});
afterAll(async () => {
  await prosody?.stop();
});

interface StatusReport {
  readonly running: boolean;
  readonly state: string;
  readonly entities: { configured: number; online: number; byState: Record<string, number> };
  readonly checks: Record<string, { ok: boolean }>;
  readonly failures: readonly { name: string; state: string; code: string }[];
}

describe('--wait and status --json', () => {
  it('waits for online, fails with the reason on bad credentials, and reports degraded', async () => {
    const dataDir = tempDataDir();
    const caFile = join(dataDir, '..', `${Date.now()}-ca.pem`);
    writeFileSync(caFile, prosody.caCertPem);
    const base = ['--data-dir', dataDir];
    const add = (name: string, password: string, extra: string[] = []) =>
      runCli(
        [
          ...base,
          '--json',
          'profile',
          'add',
          name,
          '--jid',
          `waiter@${prosody.domain}`,
          '--password-env',
          'PW',
          '--server',
          '127.0.0.1',
          '--port',
          String(prosody.c2sPort),
          '--ca-file',
          caFile,
          ...extra,
        ],
        { env: { PW: password } },
      );

    // Without a runtime --wait is refused before anything is added.
    const early = await add('early', 'waiter-pw', ['--wait']);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/no runtime is running/);

    const running = await startCliRuntime(dataDir);
    try {
      const wrong = await add('wrong', 'not-the-password', ['--wait', '--timeout', '60']);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toMatch(/wrong did not come online: auth-failed/);

      const status = await runCli([...base, '--json', 'status']);
      expect(status.code).toBe(0);
      const degraded = JSON.parse(status.stdout) as StatusReport;
      expect(degraded).toMatchObject({
        running: true,
        state: 'degraded',
        entities: { configured: 1, online: 0, byState: { 'auth-failed': 1 } },
      });
      expect(Object.values(degraded.checks).every((check) => check.ok)).toBe(true);
      // Why it is not online: the server's refusal, with its code.
      expect(degraded.failures).toEqual([
        expect.objectContaining({ name: 'wrong', state: 'auth-failed', code: 'xmpp.auth-failed' }),
      ]);

      const good = await add('good', 'waiter-pw', ['--wait', '--timeout', '60']);
      expect(good.stderr).toBe('');
      expect(good.code).toBe(0);
      expect(JSON.parse(good.stdout)).toMatchObject({ name: 'good', state: 'online' });

      const healthy = JSON.parse(
        (await runCli([...base, '--json', 'status'])).stdout,
      ) as StatusReport;
      expect(healthy).toMatchObject({ state: 'healthy', entities: { configured: 2, online: 1 } });

      const disconnected = await runCli([...base, 'profile', 'disconnect', 'good']);
      expect(disconnected.code).toBe(0);
      const again = await runCli([...base, '--json', 'profile', 'connect', 'good', '--wait']);
      expect(again.stderr).toBe('');
      expect(JSON.parse(again.stdout)).toMatchObject({ name: 'good', state: 'online' });
    } finally {
      expect(await running.stop('SIGTERM')).toBe(0);
    }
  }, 240_000);
});
