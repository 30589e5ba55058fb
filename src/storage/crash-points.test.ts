/**
 * Crash points of a journal switch: the process dies after the new journal is created and
 * before the manifest names it, comes back, writes, and dies at the same point of its next
 * switch. Every start after that must open with every acknowledged write. Then the same for a
 * kill at every filesystem step of a snapshot followed by a kill at every step of the next run
 * (start-up included).
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { SqlJsStatic } from 'sql.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FsOps, nodeFsOps } from './fs-ops.js';
import { MANIFEST_FILE, readManifest } from './manifest.js';
import type { StorageRequest } from './messages.js';
import { loadSqlJs } from './sql-database.js';
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

/** A filesystem on which the process "dies" at the first manifest rename after `die()`. */
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

/**
 * A filesystem on which the process dies after `limit` more changing operations: from then on
 * every operation fails (closing a file descriptor aside, which the kernel does for the dead).
 * Syncs count as steps but do not reach the disk: what is under test is the order of the
 * steps (everything before the kill happened, nothing after it), not the kernel's cache.
 */
function killable(): { fs: FsOps; arm: (limit: number) => void; steps: () => string[] } {
  let left = Number.POSITIVE_INFINITY;
  let steps: string[] = [];
  const step = (what: string) => {
    if (left <= 0) throw Object.assign(new Error('killed'), { code: 'EKILLED' });
    left -= 1;
    steps.push(what);
  };
  const alive = () => {
    if (left <= 0) throw Object.assign(new Error('killed'), { code: 'EKILLED' });
  };
  const fs: FsOps = {
    async openFile(path) {
      step(`open ${basename(path)}`);
      const file = await nodeFsOps.openFile(path);
      return {
        write: async (data, position) => {
          step(`write ${basename(path)}`);
          await file.write(data, position);
        },
        datasync: async () => {
          step(`datasync ${basename(path)}`);
        },
        truncate: async (length) => {
          step(`truncate ${basename(path)}`);
          await file.truncate(length);
        },
        size: async () => {
          alive();
          return file.size();
        },
        close: () => file.close(),
      };
    },
    readFile: async (path) => {
      alive();
      return nodeFsOps.readFile(path);
    },
    rename: async (from, to) => {
      step(`rename ${basename(from)} ${basename(to)}`);
      await nodeFsOps.rename(from, to);
    },
    unlink: async (path) => {
      step(`unlink ${basename(path)}`);
      await nodeFsOps.unlink(path);
    },
    readdir: async (path) => {
      alive();
      return nodeFsOps.readdir(path);
    },
    mkdir: async (path) => {
      step(`mkdir ${basename(path)}`);
      await nodeFsOps.mkdir(path);
    },
    syncDir: async () => {
      step('syncDir');
    },
  };
  return {
    fs,
    arm: (limit) => {
      left = limit;
      steps = [];
    },
    steps: () => steps,
  };
}

describe('a kill at any filesystem step, twice in a row', () => {
  let sqlJs: SqlJsStatic;
  let template: string;
  const scratch: string[] = [];

  beforeAll(async () => {
    sqlJs = await loadSqlJs();
    template = mkdtempSync(join(tmpdir(), 'aviary-crash-template-'));
    scratch.push(template);
    const engine = await StorageEngine.open({ dataDir: template, sqlJs, snapshotOnClose: false });
    await engine.applyBatch([profile('t1')]);
    await engine.snapshotNow();
    await engine.applyBatch([profile('t2')]);
    await engine.close();
  });

  afterAll(() => {
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
  });

  /**
   * One run of the writer: start, write, snapshot, write; dies after `killAt` steps. Returns
   * the steps taken and the step at which the snapshot began.
   */
  async function life(dataDir: string, killAt: number, tag: string, acked: Set<string>) {
    const disk = killable();
    disk.arm(killAt);
    let snapshotAt = -1;
    let engine: StorageEngine;
    try {
      engine = await StorageEngine.open({ dataDir, fs: disk.fs, sqlJs, snapshotOnClose: false });
    } catch {
      return { steps: disk.steps(), snapshotAt };
    }
    for (const step of ['a', 'snapshot', 'b']) {
      if (step === 'snapshot') {
        snapshotAt = disk.steps().length;
        await engine.snapshotNow().catch(() => undefined);
      } else {
        const [out] = await engine.applyBatch([profile(`${tag}${step}`)]);
        if (out?.ok) acked.add(`${tag}${step}`);
      }
    }
    await engine.close().catch(() => undefined);
    return { steps: disk.steps(), snapshotAt };
  }

  it('a kill during a journal switch, then at any step of the next run', async () => {
    // One whole run without a kill: its steps are the kill points.
    const probe = mkdtempSync(join(tmpdir(), 'aviary-crash-'));
    scratch.push(probe);
    cpSync(template, probe, { recursive: true });
    const run = await life(probe, Number.POSITIVE_INFINITY, 'p', new Set());
    // The journal switch: from the snapshot's first step to just after the manifest names the
    // new journal.
    const named = run.steps.findIndex(
      (s, i) => i >= run.snapshotAt && s === `rename ${MANIFEST_FILE}.tmp ${MANIFEST_FILE}`,
    );
    expect(run.snapshotAt).toBeGreaterThan(0);
    expect(named).toBeGreaterThan(run.snapshotAt);
    expect(run.steps[run.snapshotAt]).toMatch(/^open journal-/);
    let cases = 0;
    for (let first = run.snapshotAt; first <= named + 1; first++) {
      // The next run may take more steps than the probe (start-up naming an adopted journal).
      for (let second = 0; second <= run.steps.length + 8; second++) {
        const dataDir = mkdtempSync(join(tmpdir(), 'aviary-crash-'));
        cpSync(template, dataDir, { recursive: true });
        const acked = new Set(['t1', 't2']);
        const where = `killed at ${run.steps[first] ?? 'the end'} (step ${first}), then at step ${second}`;
        await life(dataDir, first, 'x', acked);
        await life(dataDir, second, 'y', acked);
        // The check opens through the same never-killed filesystem: syncs do not reach the
        // disk (they are not under test here), or a loaded disk's fsyncs dominate the test.
        const engine = await StorageEngine.open({
          dataDir,
          fs: killable().fs,
          sqlJs,
          snapshotOnClose: false,
        }).catch((error: unknown) => {
          throw new Error(`${where}: ${String(error)}`);
        });
        const present = new Set(await names(engine));
        await engine.close();
        rmSync(dataDir, { recursive: true, force: true });
        expect(
          [...acked].filter((n) => !present.has(n)),
          where,
        ).toEqual([]);
        cases += 1;
      }
    }
    expect(cases).toBeGreaterThan(100);
    // Several hundred start-ups: ~20 CPU-s, which took 120 s on two cores shared with a
    // run queue of 15–25 (CPU pressure 97 %). The bound is for a hang, not for speed.
  }, 600_000);
});
