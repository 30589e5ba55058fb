/**
 * Crash points of a journal switch: the process dies after the new journal is created and
 * before the manifest names it, comes back, writes, and dies at the same point of its next
 * switch. Every start after that must open with every acknowledged write.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type FsOps, nodeFsOps } from './fs-ops.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';
import type { StorageRequest } from './messages.js';
import { StorageEngine } from './storage-engine.js';

const profile = (name: string): StorageRequest => ({
  type: 'profile.create',
  name,
  jid: `${name}@example.org`,
});

async function names(engine: StorageEngine): Promise<string[]> {
  const [out] = await engine.applyBatch([{ type: 'profile.list' }]);
  if (!out?.ok) throw new Error(JSON.stringify(out));
  return (out.value as { name: string }[]).map((p) => p.name).sort();
}

/** A filesystem on which the process "dies" at the next manifest rename while `dead` is set. */
function dyingAtManifestRename(): { fs: FsOps; die: () => void } {
  let dying = false;
  const fs: FsOps = {
    ...nodeFsOps,
    rename: async (from, to) => {
      if (dying && to.endsWith(MANIFEST_FILE)) {
        dying = false;
        throw Object.assign(new Error('killed'), { code: 'EKILLED' });
      }
      return nodeFsOps.rename(from, to);
    },
  };
  return { fs, die: () => (dying = true) };
}

describe('a kill between creating a journal and naming it in the manifest', () => {
  it('twice in a row still opens with every acknowledged write', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aviary-crash-'));
    const first = dyingAtManifestRename();
    let engine = await StorageEngine.open({ dataDir, fs: first.fs, snapshotOnClose: false });
    await engine.applyBatch([profile('k1')]);
    await engine.snapshotNow();
    await engine.applyBatch([profile('k2')]);
    first.die();
    await engine.snapshotNow(); // new journal on disk, manifest not updated: the kill point
    const closedGeneration = engine.health().generation;
    await engine.close();

    const second = dyingAtManifestRename();
    engine = await StorageEngine.open({ dataDir, fs: second.fs, snapshotOnClose: false });
    expect(await names(engine)).toEqual(['k1', 'k2']);
    const adopted = engine.health().generation;
    expect(adopted).toBe(closedGeneration + 1);
    // Start-up names the journal it appends to before the first append, and seals the one
    // the interrupted switch closed.
    const manifest = await readManifest(nodeFsOps, dataDir);
    expect(manifest?.journal).toBe(adopted);
    expect(manifest?.sealed.map((j) => j.generation)).toContain(closedGeneration);
    await engine.applyBatch([profile('k3')]);
    second.die();
    await engine.snapshotNow(); // the same kill point, one generation later
    await engine.close();

    engine = await StorageEngine.open({ dataDir, snapshotOnClose: false });
    expect(await names(engine)).toEqual(['k1', 'k2', 'k3']);
    await engine.close();
  });
});
