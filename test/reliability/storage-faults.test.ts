/**
 * Storage faults: the data folder is a 4 MiB tmpfs that a filler file fills
 * up while profiles are being written, past the journal's preallocated space (we run as root,
 * so chmod would not stop writes). Nothing
 * is acknowledged that was not persisted, health goes red (`storageUnhealthy`), and once space
 * returns writes succeed again and every acknowledged write survives a restart. A snapshot that
 * fails on the full disk removes its temp file.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { sleep } from '../helpers/reliability.js';
import { startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

const dir = mkdtempSync(join(tmpdir(), 'aviary-tmpfs-'));
let mounted = false;
let runtime: Aviary | undefined;

afterAll(async () => {
  await runtime?.stop().catch(() => undefined);
  if (mounted) execFileSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
});

function freeBytes(): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

describe('storage faults', () => {
  it('a full disk: no false acknowledgement, health red, recovery when space returns', async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', dir]);
    mounted = true;
    runtime = await startTestRuntime(undefined, { dataDir: dir });
    const events: string[] = [];
    runtime.events.on('storageUnhealthy', (e) => events.push(`unhealthy: ${e.reason}`));
    runtime.events.on('storageHealthy', () => events.push('healthy'));
    expect(runtime.health().checks.storage?.ok).toBe(true);

    const filler = join(dir, 'filler.bin');
    writeFileSync(filler, Buffer.alloc(Math.max(0, freeBytes() - 64 * 1024)));
    const acked: string[] = [];
    const failed: string[] = [];
    const pad = 'j'.repeat(1500);
    // The journal grows in preallocated 1 MiB extents: the records that fit in the extent
    // already allocated are durable and acknowledged even on a full disk; the writes fail once
    // the journal needs space the disk no longer has (about 650 of these records later).
    for (let i = 0; i < 3000 && failed.length < 20; i++) {
      const name = `d${i}`;
      try {
        await runtime.storage.request({
          type: 'profile.create',
          name,
          jid: `${name}-${pad}@x.org`,
        });
        acked.push(name);
      } catch (error) {
        failed.push(`${name}: ${(error as Error).message}`);
      }
    }
    expect(failed.length, 'writes fail once the disk is full').toBeGreaterThan(0);
    expect(failed[0]).toMatch(/ENOSPC|space|storage|journal/i);
    // A snapshot attempted on the full disk fails without leaving its temp file behind (the
    // disk must not stay full until the next start).
    await runtime.storage.snapshot().catch(() => undefined);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await waitFor(() => runtime?.health().checks.storage?.ok === false, 10_000);
    expect(runtime.health().ok).toBe(false);
    await waitFor(() => events.some((e) => e.startsWith('unhealthy')), 10_000);

    rmSync(filler);
    let recovered = false;
    const deadline = Date.now() + 20_000;
    while (!recovered && Date.now() < deadline) {
      try {
        await runtime.storage.request({
          type: 'profile.create',
          name: 'after',
          jid: 'after@x.org',
        });
        recovered = true;
        acked.push('after');
      } catch {
        await sleep(200);
      }
    }
    expect(recovered, 'writes succeed once space returns').toBe(true);
    await waitFor(() => runtime?.health().checks.storage?.ok === true, 15_000);
    console.log(
      `storage-faults: ${acked.length} acknowledged, ${failed.length} refused while full; events ${events.join(' | ')}`,
    );
    await runtime.stop();
    runtime = await startTestRuntime(undefined, { dataDir: dir });
    const list = (await runtime.storage.request({ type: 'profile.list' })) as { name: string }[];
    const names = new Set(list.map((p) => p.name));
    for (const name of acked) expect(names.has(name), name).toBe(true);
  });
});
