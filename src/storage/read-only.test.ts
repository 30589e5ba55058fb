import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { StorageOutcome } from './messages.js';
import { StorageEngine } from './storage-engine.js';

/** Every file of the folder with its content: the folder byte for byte. */
const contents = (dir: string) =>
  Object.fromEntries(readdirSync(dir).map((name) => [name, readFileSync(join(dir, name))]));
const names = (o: StorageOutcome | undefined) =>
  o?.ok ? (o.value as { name: string }[]).map((p) => p.name) : o;

describe('a read-only storage engine', () => {
  it('answers from the store, applies writes in memory only, and changes no file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aviary-read-only-'));
    const writer = await StorageEngine.open({ dataDir: dir });
    await writer.applyBatch([{ type: 'profile.create', name: 'alice', jid: 'alice@example.org' }]);
    await writer.close();
    const before = contents(dir);

    const reader = await StorageEngine.open({ dataDir: dir, readOnly: true });
    const [listed] = await reader.applyBatch([{ type: 'profile.list' }]);
    expect(names(listed)).toEqual(['alice']);
    const [created] = await reader.applyBatch([
      { type: 'profile.create', name: 'bob', jid: 'bob@example.org' },
    ]);
    expect(created?.ok).toBe(true);
    const [both] = await reader.applyBatch([{ type: 'profile.list' }]);
    expect(names(both)).toEqual(['alice', 'bob']);
    await reader.snapshotNow();
    await reader.close();
    expect(contents(dir)).toEqual(before);

    const again = await StorageEngine.open({ dataDir: dir });
    const [after] = await again.applyBatch([{ type: 'profile.list' }]);
    expect(names(after)).toEqual(['alice']);
    await again.close();
  });
});
