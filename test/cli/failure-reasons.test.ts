/**
 * Failure reasons reach the operator: a profile whose server refuses the connection shows its
 * last error (catalogued code and message) in `profile list`, in `status` (text and --json),
 * and as a `runtimeError` event on the event stream; the retries are counted in
 * `aviary_reconnects_total` and the write in the commit-latency histogram. Through the built binary, against a
 * running `aviary run`; the "server" is a loopback port nobody listens on.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOGUE } from '../../src/error-catalogue.js';
import { runCli, startCliRuntime, tempDataDir } from '../helpers/cli.js';
import { freePort } from '../helpers/ports.js';
import { waitForValue } from '../helpers/wait-for.js';

interface Failure {
  readonly name: string;
  readonly state: string;
  readonly code: string;
  readonly message: string;
  readonly at: string;
}

/** Every `runtimeError` the runtime emitted so far (replayed from the start of its buffer). */
async function runtimeErrors(dataDir: string): Promise<{ code?: string; source: string }[]> {
  const { apiUrl } = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8'));
  const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
  const controller = new AbortController();
  const response = await fetch(`${apiUrl}/events?events=runtimeError`, {
    headers: { authorization: `Bearer ${token}`, 'last-event-id': 'another-boot.0' },
    signal: controller.signal,
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = '';
  // The replay comes first, at once; a short read of it is enough.
  const deadline = setTimeout(() => controller.abort(), 1500);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
  } catch {
    // aborted: the replay is in `text`
  } finally {
    clearTimeout(deadline);
  }
  return [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1] as string));
}

describe('failure reasons', () => {
  it('a refused connection shows its last error in profile list, status and runtimeError', async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    const running = await startCliRuntime(dataDir);
    try {
      const base = ['--data-dir', dataDir];
      const added = await runCli(
        [
          ...base,
          'profile',
          'add',
          'refused',
          '--jid',
          'refused@example.test',
          '--password-env',
          'PW',
          '--server',
          '127.0.0.1',
          '--port',
          String(port),
        ],
        { env: { PW: 'pw' } },
      );
      expect(added.stderr).toBe('');
      expect(added.code).toBe(0);

      const failure = await waitForValue(async () => {
        const status = await runCli([...base, '--json', 'status']);
        const report = JSON.parse(status.stdout) as { failures: Failure[] };
        return report.failures.find((f) => f.name === 'refused');
      }, 30_000);
      expect(Object.keys(ERROR_CATALOGUE)).toContain(failure.code);
      expect(failure.code).toMatch(/^xmpp\./);
      expect(failure.message).toMatch(/ECONNREFUSED|refused/i);
      expect(Number.isNaN(Date.parse(failure.at))).toBe(false);

      const list = await runCli([...base, 'profile', 'list']);
      expect(list.code).toBe(0);
      expect(list.stdout).toMatch(/LAST ERROR/);
      expect(list.stdout).toContain(`${failure.code}: `);
      const listed = JSON.parse((await runCli([...base, '--json', 'profile', 'list'])).stdout);
      expect(listed[0].lastError).toMatchObject({ code: failure.code });

      const text = await runCli([...base, 'status']);
      expect(text.stdout).toMatch(/last failures:/);
      expect(text.stdout).toMatch(new RegExp(`refused .*${failure.code.replace('.', '\\.')}: `));

      // The refused attempts are counted as reconnects, by kind only.
      const { apiUrl } = JSON.parse(readFileSync(join(dataDir, 'runtime.json'), 'utf8'));
      const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
      // Storage figures arrive with the next health poll: wait until the write shows.
      const metrics = await waitForValue(async () => {
        const text = await (
          await fetch(`${apiUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })
        ).text();
        return /^aviary_storage_commit_seconds_count [1-9]/m.test(text) ? text : undefined;
      }, 30_000);
      const reconnects = /^aviary_reconnects_total\{kind="client"\} (\d+)$/m.exec(metrics)?.[1];
      expect(Number(reconnects)).toBeGreaterThanOrEqual(1);
      expect(metrics).toContain('# TYPE aviary_storage_commit_seconds histogram');
      // The profile add was a write batch: the histogram counted it.
      const commits = /^aviary_storage_commit_seconds_count (\d+)$/m.exec(metrics)?.[1];
      expect(Number(commits)).toBeGreaterThanOrEqual(1);

      const events = await runtimeErrors(dataDir);
      expect(events).toContainEqual(
        expect.objectContaining({ source: 'profile refused', code: failure.code }),
      );
    } finally {
      expect(await running.stop('SIGTERM')).toBe(0);
    }
  }, 120_000);
});
