import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DeferredCatchUp, indexPending } from './fts-catch-up.js';
import type { RecordedStatement } from './journal.js';
import { loadMigrations, migrateTo } from './migrator.js';
import { loadSqlJs, SqlDatabase } from './sql-database.js';

const words = ['apple', 'banana', 'cherry', 'damson', 'elder'];

describe('bulk FTS catch-up with watermark triggers', () => {
  it('keeps the FTS4 indexes exact through random inserts, updates and deletes', async () => {
    const sql = await loadSqlJs();
    const migrations = await loadMigrations();
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), word: fc.constantFrom(...words) }),
      fc.record({
        kind: fc.constant('update' as const),
        pick: fc.nat(),
        word: fc.constantFrom(...words),
      }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant('catch-up' as const) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
        const db = new SqlDatabase(sql);
        await migrateTo({ db, migrations, now: () => 0, log: () => undefined });
        db.run("INSERT INTO profiles (name, jid, created) VALUES ('p', 'p@example.org', 0)");
        db.run("INSERT INTO pubsub_nodes (profile_id, service, name) VALUES (1, 's', 'n')");
        db.run(
          "INSERT INTO history (uid, profile_id, source, dest, timestamp, type) VALUES ('h', 1, 'a', 'b', 0, 'chat')",
        );
        let n = 0;
        for (const o of ops) {
          const ids = db.all('SELECT id FROM message ORDER BY id').map((r) => Number(r.id));
          const id = ids.length === 0 ? undefined : ids[('pick' in o ? o.pick : 0) % ids.length];
          if (o.kind === 'insert') {
            n++;
            db.run("INSERT INTO message (history_uid, message) VALUES ('h', ?)", [o.word]);
            db.run(
              'INSERT INTO pubsub_items (node_id, name, data, created, updated) VALUES (1, ?, ?, 0, 0)',
              [`i${n}`, `<x>${o.word}</x>`],
            );
          } else if (o.kind === 'update' && id !== undefined) {
            db.run('UPDATE message SET message = ? WHERE id = ?', [o.word, id]);
            db.run('UPDATE pubsub_items SET data = ? WHERE id = ?', [`<y>${o.word}</y>`, id]);
          } else if (o.kind === 'delete' && id !== undefined) {
            db.run('DELETE FROM message WHERE id = ?', [id]);
            db.run('DELETE FROM pubsub_items WHERE id = ?', [id]);
          } else if (o.kind === 'catch-up') {
            indexPending(db);
          }
        }
        indexPending(db);
        db.exec("INSERT INTO message_fts (message_fts) VALUES ('integrity-check')");
        db.exec("INSERT INTO pubsub_items_fts (pubsub_items_fts) VALUES ('integrity-check')");
        for (const word of words) {
          const expected = db.all('SELECT id FROM message WHERE message = ? ORDER BY id', [word]);
          const found = db.all(
            'SELECT docid AS id FROM message_fts WHERE message_fts MATCH ? ORDER BY docid',
            [word],
          );
          expect(found).toEqual(expected);
          const items = db.all(
            "SELECT id FROM pubsub_items WHERE data LIKE '%>' || ? || '<%' ORDER BY id",
            [word],
          );
          const hits = db.all(
            'SELECT docid AS id FROM pubsub_items_fts WHERE pubsub_items_fts MATCH ? ORDER BY docid',
            [word],
          );
          expect(hits).toEqual(items);
        }
        db.close();
      }),
      { numRuns: 60 },
    );
  });
});

describe('journal replay with the catch-ups deferred', () => {
  it('builds the same index and watermarks as replaying every record catch-up', async () => {
    const sql = await loadSqlJs();
    const migrations = await loadMigrations();
    const fresh = async () => {
      const db = new SqlDatabase(sql);
      await migrateTo({ db, migrations, now: () => 0, log: () => undefined });
      return db;
    };
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), word: fc.constantFrom(...words) }),
      fc.record({
        kind: fc.constant('update' as const),
        pick: fc.nat(),
        word: fc.constantFrom(...words),
      }),
      fc.record({ kind: fc.constant('delete' as const), pick: fc.nat() }),
      // A write that reads the index itself: the held-back catch-up must run before it.
      fc.record({ kind: fc.constant('delete-matching' as const), word: fc.constantFrom(...words) }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(op, { maxLength: 6 }), { maxLength: 12 }),
        async (batches) => {
          // The original run: one journal record per batch, each ending with its catch-up.
          const db = await fresh();
          const records: RecordedStatement[][] = [];
          const setup = db.startRecording();
          db.run("INSERT INTO profiles (name, jid, created) VALUES ('p', 'p@example.org', 0)");
          db.run("INSERT INTO pubsub_nodes (profile_id, service, name) VALUES (1, 's', 'n')");
          db.run(
            "INSERT INTO history (uid, profile_id, source, dest, timestamp, type) VALUES ('h', 1, 'a', 'b', 0, 'chat')",
          );
          records.push(setup);
          let n = 0;
          for (const batch of batches) {
            const recorded = db.startRecording();
            for (const o of batch) {
              const ids = db.all('SELECT id FROM message ORDER BY id').map((r) => Number(r.id));
              const id =
                ids.length === 0 ? undefined : ids[('pick' in o ? o.pick : 0) % ids.length];
              if (o.kind === 'insert') {
                n++;
                db.run("INSERT INTO message (history_uid, message) VALUES ('h', ?)", [o.word]);
                db.run(
                  'INSERT INTO pubsub_items (node_id, name, data, created, updated) VALUES (1, ?, ?, 0, 0)',
                  [`i${n}`, `<x>${o.word}</x>`],
                );
              } else if (o.kind === 'update' && id !== undefined) {
                db.run('UPDATE message SET message = ? WHERE id = ?', [o.word, id]);
                db.run('UPDATE pubsub_items SET data = ? WHERE id = ?', [`<y>${o.word}</y>`, id]);
              } else if (o.kind === 'delete' && id !== undefined) {
                db.run('DELETE FROM message WHERE id = ?', [id]);
                db.run('DELETE FROM pubsub_items WHERE id = ?', [id]);
              } else if (o.kind === 'delete-matching') {
                db.run(
                  'DELETE FROM message WHERE id IN (SELECT docid FROM message_fts WHERE message_fts MATCH ?)',
                  [o.word],
                );
              }
            }
            indexPending(db);
            db.stopRecording();
            records.push(recorded);
          }
          // Replayed record by record, and with the catch-ups deferred.
          const plain = await fresh();
          for (const record of records) plain.replay(record);
          const deferred = await fresh();
          const catchUp = new DeferredCatchUp(deferred);
          for (const record of records) catchUp.replay(record);
          catchUp.flush();
          for (const replica of [plain, deferred]) {
            replica.exec("INSERT INTO message_fts (message_fts) VALUES ('integrity-check')");
            replica.exec(
              "INSERT INTO pubsub_items_fts (pubsub_items_fts) VALUES ('integrity-check')",
            );
          }
          const state = (replica: SqlDatabase) => ({
            watermarks: replica.all('SELECT name, value FROM fts_watermark ORDER BY name'),
            messages: replica.all('SELECT id, message FROM message ORDER BY id'),
            hits: words.map((word) => [
              replica.all(
                'SELECT docid FROM message_fts WHERE message_fts MATCH ? ORDER BY docid',
                [word],
              ),
              replica.all(
                'SELECT docid FROM pubsub_items_fts WHERE pubsub_items_fts MATCH ? ORDER BY docid',
                [word],
              ),
            ]),
          });
          expect(state(deferred)).toEqual(state(plain));
          expect(state(plain)).toEqual(state(db));
          for (const replica of [db, plain, deferred]) replica.close();
        },
      ),
      { numRuns: 60 },
    );
  });
});
