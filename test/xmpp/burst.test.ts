import xml from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/actors/clock.js';
import { type ClientConnection, createClientConnection } from '../../src/xmpp/client-connection.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { waitFor } from '../helpers/wait-for.js';

const CLIENTS = 50;
const MESSAGES = 100;
const users = Array.from({ length: CLIENTS + 1 }, (_, i) => ({
  username: `burst${i}`,
  password: `pw${i}`,
}));
let prosody: ProsodyFixture;

beforeAll(async () => {
  prosody = await startProsody({ users });
});
afterAll(async () => {
  await prosody?.stop();
});

function connection(i: number): ClientConnection {
  const user = users[i] as { username: string; password: string };
  return createClientConnection({
    jid: `${user.username}@${prosody.domain}`,
    password: user.password,
    server: { host: '127.0.0.1', port: prosody.c2sPort },
    tls: 'required',
    tlsOptions: { ca: prosody.caCertPem },
    saltedPasswordCache: createSaltedPasswordCache(),
    clock: systemClock,
  });
}

describe('burst right after connect', () => {
  it(`${CLIENTS} clients × ${MESSAGES} messages sent as each comes online: nothing lost`, async () => {
    const sender = connection(CLIENTS);
    await sender.connect();
    const receivers = Array.from({ length: CLIENTS }, (_, i) => connection(i));
    const bodies = receivers.map(() => new Set<string>());
    for (const [i, r] of receivers.entries()) {
      r.onStanza((s) => {
        if (s.name === 'message') bodies[i]?.add(s.getChildText('body') ?? '');
      });
    }
    const sends: Promise<void>[] = [];
    await Promise.all(
      receivers.map(async (r, i) => {
        await r.connect();
        for (let m = 0; m < MESSAGES; m++)
          sends.push(
            sender.send(
              xml(
                'message',
                { to: `burst${i}@${prosody.domain}`, type: 'chat' },
                xml('body', {}, `m${m}`),
              ),
            ),
          );
      }),
    );
    await Promise.all(sends);
    await waitFor(() => bodies.every((b) => b.size === MESSAGES), 60_000).catch(() => undefined);
    const counts = bodies.map((b) => b.size);
    expect(counts).toEqual(Array(CLIENTS).fill(MESSAGES));
    expect(receivers.every((r) => r.status === 'online')).toBe(true);
    await Promise.all([...receivers, sender].map((c) => c.disconnect()));
  });
});
