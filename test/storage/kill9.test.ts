/**
 * kill -9 durability: a child writes through the engine and prints every acknowledged write;
 * it is SIGKILLed at random moments (including during snapshots) over many rounds, and after
 * each restart the database opens and every acknowledged write is there.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { StorageEngine } from '../../src/storage/storage-engine.js';

const writer = fileURLToPath(new URL('../../dist/test/helpers/storage-writer.js', import.meta.url));

/**
 * Runs the writer and SIGKILLs it right after its `killAfterAcks`-th acknowledged write: the kill
 * lands at a random point of the work (snapshots included) however fast the machine is.
 */
function runAndKill(dataDir: string, round: number, killAfterAcks: number): Promise<Set<string>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, dataDir, String(round), '16'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked = new Set<string>();
    const stuck = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`round ${round}: ${acked.size}/${killAfterAcks} writes acknowledged in 60 s`),
      );
    }, 60_000);
    let buffer = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.startsWith('ACK ')) continue;
        acked.add(line.slice(4));
        if (acked.size === killAfterAcks) child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      clearTimeout(stuck);
      if (signal !== 'SIGKILL') reject(new Error(`writer exited on its own: ${stderr}`));
      else resolve(acked);
    });
  });
}

describe('storage survives kill -9', () => {
  it('keeps every acknowledged write over 12 random kills', async () => {
    expect(existsSync(writer), 'run `npx tsc -p tsconfig.json` first (npm test does)').toBe(true);
    const dataDir = mkdtempSync(join(tmpdir(), 'aviary-kill9-'));
    const allAcked = new Set<string>();
    let snapshotsSeen = 0;
    for (let round = 0; round < 12; round++) {
      // 90..209 writes a round: over 12 rounds always more than the 1000 asserted below.
      const acked = await runAndKill(dataDir, round, 90 + Math.floor(Math.random() * 120));
      for (const uid of acked) allAcked.add(uid);
      if (readdirSync(dataDir).some((f) => f.startsWith('snapshot-'))) snapshotsSeen++;
      const engine = await StorageEngine.open({ dataDir, snapshotOnClose: false });
      const [outcome] = await engine.applyBatch([{ type: 'history.query', profile: 'killer' }]);
      await engine.close();
      if (!outcome?.ok) throw new Error(JSON.stringify(outcome));
      const present = new Set((outcome.value as { uid: string }[]).map((m) => m.uid));
      const missing = [...allAcked].filter((uid) => !present.has(uid));
      expect(missing, `round ${round}`).toEqual([]);
      expect(acked.size, `round ${round} acknowledged something`).toBeGreaterThan(0);
    }
    expect(allAcked.size).toBeGreaterThan(1000);
    expect(snapshotsSeen).toBeGreaterThan(0);
  });
});
