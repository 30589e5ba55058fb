/**
 * Crash safety: a child process runs a whole runtime (library API, real
 * Prosody) and sends messages under load, printing each acknowledged (sent and stored) uid. It is
 * SIGKILLed at random moments over several rounds; after each round a fresh runtime opens the
 * data folder and every acknowledged history row is there.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDataDir } from '../helpers/cli.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { startTestRuntime } from '../helpers/runtime.js';

const sender = fileURLToPath(new URL('../../dist/test/helpers/runtime-sender.js', import.meta.url));
const ROUNDS = Number(process.env.AVIARY_KILL_ROUNDS ?? 6);

let prosody: ProsodyFixture;
beforeAll(async () => {
  prosody = await startProsody({
    users: [
      { username: 'snd', password: 'snd-password' },
      { username: 'rcv', password: 'rcv-password' },
    ],
  });
});
afterAll(async () => {
  await prosody?.stop();
});

function runAndKill(dataDir: string, caFile: string, killAfterMs: number) {
  return new Promise<Set<string>>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [sender, dataDir, String(prosody.c2sPort), prosody.domain, caFile, '6'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const acked = new Set<string>();
    let buffer = '';
    let stderr = '';
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (line === 'READY') setTimeout(() => child.kill('SIGKILL'), killAfterMs);
        else if (line.startsWith('ACK ')) acked.add(line.slice(4));
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(guard);
      if (signal !== 'SIGKILL') reject(new Error(`sender exited on its own: ${stderr}`));
      else resolve(acked);
    });
  });
}

describe('crash safety: kill -9 of a runtime under message load', () => {
  it(`keeps every acknowledged history row over ${ROUNDS} random kills`, async () => {
    expect(existsSync(sender), 'run `npx tsc -p tsconfig.json` first').toBe(true);
    const dataDir = tempDataDir('aviary-crash-');
    const caFile = join(dataDir, 'sender-ca.pem');
    writeFileSync(caFile, prosody.caCertPem);
    const allAcked = new Set<string>();
    let snapshotsSeen = 0;
    const perRound: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const acked = await runAndKill(dataDir, caFile, 300 + Math.floor(Math.random() * 1200));
      for (const uid of acked) allAcked.add(uid);
      perRound.push(acked.size);
      if (readdirSync(dataDir).some((f) => f.startsWith('snapshot-'))) snapshotsSeen++;
      // A fresh runtime (the lock of the killed one is stale) must open the folder...
      const check = await startTestRuntime(prosody, { dataDir, autoconnect: false });
      try {
        expect(check.health().checks.storage?.ok, `round ${round}: storage healthy`).toBe(true);
        const rows = await check.history('snd', { limit: 1_000_000 });
        const present = new Set(rows.map((r) => r.uid));
        const missing = [...allAcked].filter((uid) => !present.has(uid));
        // ...and hold every acknowledged row.
        expect(missing, `round ${round}: acknowledged rows missing`).toEqual([]);
        expect(acked.size, `round ${round} acknowledged something`).toBeGreaterThan(0);
      } finally {
        await check.stop();
      }
    }
    console.log(
      `crash-safety: ${ROUNDS} kill -9 rounds survived, ${allAcked.size} acknowledged messages (per round ${perRound.join(', ')}), snapshot present after ${snapshotsSeen} rounds`,
    );
    expect(allAcked.size).toBeGreaterThan(ROUNDS * 10);
  });
});
