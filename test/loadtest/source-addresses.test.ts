import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLoadTest } from '../../src/loadtest/index.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';

let prosody: ProsodyFixture;
beforeAll(async () => {
  prosody = await startProsody({ logLevel: 'warn' });
});
afterAll(async () => {
  await prosody?.stop();
});

describe('load harness source addresses', () => {
  it('spreads sessions over several 127.0.0.0/8 source addresses, and every one logs in', async () => {
    // Record the peer address of every connection through a loopback relay in front of Prosody.
    const seen = new Set<string>();
    const { connect } = await import('node:net');
    const relay = createServer((client) => {
      seen.add(client.remoteAddress ?? '');
      const upstream = connect({ host: '127.0.0.1', port: prosody.c2sPort });
      client.pipe(upstream).pipe(client);
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', close);
      upstream.on('error', close);
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', () => resolve()));
    const port = (relay.address() as { port: number }).port;
    try {
      const report = await startLoadTest({
        target: { host: '127.0.0.1', port, domain: prosody.domain },
        tls: 'off',
        accounts: { kind: 'pattern', username: 'src{n}', password: 'pw-{n}', count: 6 },
        register: true,
        sessions: 6,
        loginRate: 50,
        durationMs: 1500,
        sourceAddresses: ['127.0.0.2', '127.0.0.3', '127.0.0.4'],
        scenario: { name: 'idle', run: async (session) => void (await session.think(500)) },
      }).done;
      expect(report.logins.ok).toBe(6);
      expect(report.logins.failed).toBe(0);
      for (const address of ['127.0.0.2', '127.0.0.3', '127.0.0.4']) {
        expect([...seen].some((a) => a.endsWith(address))).toBe(true);
      }
    } finally {
      relay.close();
    }
  });
});
