/**
 * Delivery receipts (XEP-0184) on history: `delivered`, REAL seconds since the epoch (set by
 * `history.delivered` when the recipient confirms; NULL until then), and an index to find a
 * sent message by its origin-id (the id receipts name: Aviary sends its uid as both the stanza
 * `id` and the XEP-0359 origin-id) without scanning the profile's history.
 */
import type { MigrationDb } from '../src/storage/migrator.js';

export async function up(db: MigrationDb): Promise<void> {
  if (db.dialect === 'postgres') {
    return db.exec(`
ALTER TABLE history ADD COLUMN delivered float8;
CREATE INDEX history_origin_lookup ON history (profile_id, origin_id) WHERE origin_id IS NOT NULL;
`);
  }
  db.exec(`
ALTER TABLE history ADD COLUMN delivered REAL;
CREATE INDEX history_origin_lookup ON history (profile_id, origin_id) WHERE origin_id IS NOT NULL;
`);
}

export async function down(db: MigrationDb): Promise<void> {
  if (db.dialect === 'postgres') {
    return db.exec(`
DROP INDEX history_origin_lookup;
ALTER TABLE history DROP COLUMN delivered;
`);
  }
  db.exec(`
DROP INDEX history_origin_lookup;
ALTER TABLE history DROP COLUMN delivered;
`);
}
