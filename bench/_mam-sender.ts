/**
 * The raw client of `bench/mam.ts`, in a process of its own so its CPU is not counted as
 * Aviary's: logs in, prints `sending`, sends `count` chat messages to `to` as fast as the
 * socket takes them, waits for a ping's answer (the server has handled everything before it,
 * archive included), prints `done` and exits.
 *
 * Usage (built): node dist/bench/_mam-sender.js '{"jid":…,"password":…,"port":…,"to":…,"count":…}'
 */
import xml from '@xmpp/xml';
import { systemClock } from '../src/actors/clock.js';
import { createClientConnection } from '../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../src/xmpp/scram.js';

interface SenderArgs {
  readonly jid: string;
  readonly password: string;
  readonly port: number;
  readonly to: string;
  readonly count: number;
  readonly prefix: string;
}

const args = JSON.parse(process.argv[2] ?? '{}') as SenderArgs;
const connection = createClientConnection({
  jid: args.jid,
  password: args.password,
  server: { host: '127.0.0.1', port: args.port },
  tls: 'off',
  mechanisms: ['SCRAM-SHA-1'],
  saltedPasswordCache: createSaltedPasswordCache(),
  clock: systemClock,
  timeoutMs: 30_000,
  iqTimeoutMs: 600_000,
});
await connection.connect();
process.stdout.write('sending\n');
const CHUNK = 500;
for (let start = 0; start < args.count; start += CHUNK) {
  const sends: Promise<void>[] = [];
  for (let i = start; i < Math.min(args.count, start + CHUNK); i++) {
    sends.push(
      connection.send(
        xml(
          'message',
          { to: args.to, type: 'chat', id: `${args.prefix}-${i}` },
          xml('body', {}, `${args.prefix} #${i}`),
        ),
      ),
    );
  }
  await Promise.all(sends);
}
const domain = args.jid.slice(args.jid.indexOf('@') + 1);
await connection.iq(
  xml('iq', { type: 'get', to: domain }, xml('ping', { xmlns: 'urn:xmpp:ping' })),
);
process.stdout.write('done\n');
await connection.disconnect();
process.exit(0);
