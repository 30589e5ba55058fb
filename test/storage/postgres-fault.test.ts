/**
 * PostgreSQL stopped and restarted under load: writes in flight fail with
 * `storage.unavailable` (never an acknowledgement), health turns red, the engine recovers by
 * itself once the server is back (no reopen), and every acknowledged write is there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorageBackend, type StorageBackend } from '../../src/storage/backend.js';
import type { StorageOutcome, StorageRequest } from '../../src/storage/messages.js';
import { type PostgresFixture, startPostgres } from '../helpers/postgres.js';
import { waitFor } from '../helpers/wait-for.js';

describe('PostgreSQL backend under a server restart', () => {
  let server: PostgresFixture;
  beforeAll(async () => {
    server = await startPostgres({ ownCluster: true, durable: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  for (const mode of ['fast', 'immediate'] as const) {
    it(`${mode} shutdown: failed writes are typed, acknowledged writes survive, recovery without reopen`, async () => {
      const backend: StorageBackend = await openStorageBackend({
        dataDir: '/nonexistent',
        url: await server.createDatabase(),
      });
      await backend.applyBatch([{ type: 'profile.create', name: 'alice', jid: 'alice@x' }]);
      const acked = new Set<string>();
      const failures = new Map<string, number>();
      let sequence = 0;
      let stop = false;
      const add = (uid: string): StorageRequest => ({
        type: 'history.add',
        profile: 'alice',
        uid,
        from: 'bob@x/r',
        to: 'alice@x',
        messageType: 'chat',
        timestamp: 1,
        messages: { '': `message ${uid}` },
      });
      const writer = async () => {
        while (!stop) {
          const uids = Array.from({ length: 20 }, () => `${mode}-${sequence++}`);
          let outcomes: StorageOutcome[];
          try {
            outcomes = await backend.applyBatch(uids.map(add));
          } catch (error) {
            const key = `thrown ${String(error)}`;
            failures.set(key, (failures.get(key) ?? 0) + 1);
            continue;
          }
          outcomes.forEach((o, i) => {
            if (o.ok) acked.add(uids[i] as string);
            else failures.set(o.error.code, (failures.get(o.error.code) ?? 0) + 1);
          });
          if (!outcomes.every((o) => o.ok)) await new Promise((r) => setTimeout(r, 20));
        }
      };
      const writers = Array.from({ length: 4 }, writer);
      await waitFor(() => acked.size >= 500, 60_000);
      await server.halt(mode);
      await waitFor(() => (failures.get('storage.unavailable') ?? 0) > 0, 30_000);
      await waitFor(() => !backend.health().ok, 10_000);
      expect(backend.health().reason).toMatch(/PostgreSQL is unreachable/);
      const ackedWhileDown = acked.size;
      await server.resume();
      await waitFor(() => acked.size > ackedWhileDown + 500, 60_000);
      stop = true;
      await Promise.all(writers);
      await waitFor(() => backend.health().ok, 10_000);
      // Only the typed error, never anything else.
      expect([...failures.keys()]).toEqual(['storage.unavailable']);
      const [stored] = await backend.applyBatch([{ type: 'history.query', profile: 'alice' }]);
      const rows = (stored as Extract<StorageOutcome, { ok: true }>).value as { uid: string }[];
      const uids = new Set(rows.map((m) => m.uid));
      const lost = [...acked].filter((uid) => !uids.has(uid));
      expect(lost).toEqual([]);
      await backend.close();
    });
  }
});
