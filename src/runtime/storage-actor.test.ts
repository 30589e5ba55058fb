import { mkdtempSync, readdirSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ActorContext } from '../actors/types.js';
import { StorageEngine } from '../storage/storage-engine.js';
import { makeStorageActor, type StorageActorMessage } from './storage-actor.js';

describe('storage actor', () => {
  it('logs the journal record dropped at recovery once its logger is attached', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'aviary-storage-actor-'));
    const engine = await StorageEngine.open({ dataDir, snapshotOnClose: false });
    await engine.applyBatch([{ type: 'profile.create', name: 'a', jid: 'a@example.org' }]);
    await engine.applyBatch([{ type: 'profile.create', name: 'b', jid: 'b@example.org' }]);
    await engine.close();
    const journal = readdirSync(dataDir)
      .filter((f) => f.startsWith('journal-'))
      .sort()
      .pop() as string;
    const size = statSync(join(dataDir, journal)).size;
    truncateSync(join(dataDir, journal), size - 3); // the acknowledged 'b' is torn

    const lines: { level: string; fields: Record<string, unknown>; msg: string }[] = [];
    const at =
      (level: string) =>
      (fields: object, msg: string): void => {
        lines.push({ level, fields: fields as Record<string, unknown>, msg });
      };
    const ctx = {
      log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') },
    } as unknown as ActorContext<StorageActorMessage>;
    const behavior = await makeStorageActor({
      dataDir,
      snapshotJournalBytes: 1 << 30,
      snapshotIntervalMs: 3_600_000,
    });
    expect(lines).toEqual([]);
    await behavior.started?.(ctx);
    const dropped = lines.find((l) => l.msg.includes('dropped'));
    expect(dropped).toMatchObject({
      level: 'warn',
      fields: { file: join(dataDir, journal), reason: expect.stringContaining('record cut') },
    });
    expect(typeof dropped?.fields.offset).toBe('number');
    await behavior.stopped?.(ctx);
  });
});
