/**
 * Child process for the runtime kill -9 test:
 * `node dist/test/helpers/runtime-sender.js DATA_DIR C2S_PORT DOMAIN CA_FILE SENDERS`.
 * Starts a runtime through the library on DATA_DIR (profiles `snd` and `rcv`, created on the first
 * run and reloaded from storage afterwards), prints `READY` once `snd` is online, then sends from
 * SENDERS concurrent loops and prints `ACK <uid>` for every message whose send resolved `sent`
 * and `stored` (stored means durable: the storage actor replies after fdatasync).
 */
import { createLogger } from '../../src/log.js';
import { createRuntime } from '../../src/runtime/default-runtime.js';

const [dataDir, port, domain, caFile, senders = '4'] = process.argv.slice(2);
if (dataDir === undefined || port === undefined || domain === undefined || caFile === undefined)
  throw new Error('usage: runtime-sender DATA_DIR C2S_PORT DOMAIN CA_FILE SENDERS');

const runtime = createRuntime({
  api: false,
  log: createLogger({ level: process.env.AVIARY_TEST_LOG ?? 'silent' }),
  config: {
    dataDir,
    // Small journal limit: kills also land during snapshots.
    storage: { snapshotJournalBytes: 64 * 1024 },
    xmpp: { tlsCaFile: caFile, reconnectBaseMs: 200, reconnectMaxMs: 1000 },
  },
});
await runtime.start();
const names = new Set(runtime.entities().map((e) => e.name));
for (const [name, password] of [
  ['snd', 'snd-password'],
  ['rcv', 'rcv-password'],
] as const) {
  if (!names.has(name))
    await runtime.addProfile({
      name,
      jid: `${name}@${domain}`,
      password,
      serverHost: '127.0.0.1',
      serverPort: Number(port),
      tls: 'required',
    });
}
await runtime.waitForState('snd', 'online', 30_000);
process.stdout.write('READY\n');
await Promise.all(
  Array.from({ length: Number(senders) }, async (_, w) => {
    for (let i = 0; ; i++) {
      try {
        const result = await runtime.sendMessage('snd', {
          to: `rcv@${domain}`,
          message: { '': `w${w} m${i} ${'x'.repeat(100)}` },
          type: 'chat',
        });
        if (result.outcome === 'sent' && result.stored)
          process.stdout.write(`ACK ${result.message.uid}\n`);
      } catch {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  }),
);
