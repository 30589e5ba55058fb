/**
 * Child process for the kill -9 test: `node dist/test/helpers/storage-writer.js DIR ROUND WRITERS`.
 * Writes history rows from WRITERS concurrent writers through the group-commit driver and
 * prints `ACK <uid>` for each write the engine acknowledged (i.e. made durable). Snapshots are
 * frequent (small journal limit) so kills also land during snapshot writes.
 */
import { StorageEngine } from '../../src/storage/storage-engine.js';
import { createStorageDriver } from './storage-driver.js';

const [dataDir, round = '0', writers = '8'] = process.argv.slice(2);
if (dataDir === undefined) throw new Error('usage: storage-writer DIR ROUND WRITERS');
const engine = await StorageEngine.open({ dataDir, snapshot: { maxJournalBytes: 48 * 1024 } });
const driver = createStorageDriver({ engine });
const created = await driver.ask({
  type: 'profile.create',
  name: 'killer',
  jid: 'killer@example.org',
});
if (!created.ok && created.error.code !== 'storage.profile-exists')
  throw new Error(created.error.message);
process.stdout.write('READY\n');
const body = 'x'.repeat(200);
await Promise.all(
  Array.from({ length: Number(writers) }, async (_, w) => {
    for (let i = 0; ; i++) {
      const uid = `r${round}-w${w}-${i}`;
      const outcome = await driver.ask({
        type: 'history.add',
        profile: 'killer',
        uid,
        from: 'killer@example.org/res',
        to: `peer${w}@example.org`,
        messageType: 'chat',
        timestamp: Date.now() / 1000,
        messages: { '': `${body} ${uid}` },
      });
      if (outcome.ok) process.stdout.write(`ACK ${uid}\n`);
    }
  }),
);
