/**
 * PostgreSQL stopped and restarted under a live runtime (library `createRuntime` with
 * `storage.url`) while one profile sends to another through a real Prosody: sends whose history
 * write falls in the outage fail with the typed `storage.unavailable` (never `stored: true`),
 * storage health turns red (and `storageUnhealthy` is signalled), every acknowledged write —
 * sends that resolved `stored: true`, `messageNew` signals, which follow the commit — is in
 * history afterwards, and the same runtime recovers without a restart: health green again
 * (`storageHealthy`), new messages stored. Both a fast and an immediate server shutdown.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AviaryError } from '../../src/errors.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { type PostgresFixture, startPostgres } from '../helpers/postgres.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

describe('a live runtime while PostgreSQL restarts', () => {
  let prosody: ProsodyFixture;
  let server: PostgresFixture;
  let runtime: Aviary;
  /** Ends the send loops (also when an assertion failed mid-test). */
  let stop = false;
  beforeAll(async () => {
    prosody = await startProsody({
      users: [
        { username: 'writer', password: 'writer-pw' },
        { username: 'reader', password: 'reader-pw' },
      ],
    });
    server = await startPostgres({ ownCluster: true, durable: true });
    runtime = await startTestRuntime(prosody, {
      config: { storage: { url: await server.createDatabase() } },
    });
  });
  afterAll(async () => {
    stop = true;
    await runtime?.stop();
    await server?.stop();
    await prosody?.stop();
  });

  it('fails writes with storage.unavailable, loses no acknowledged write, recovers in place', async () => {
    await runtime.addProfile(prosodyAccount(prosody, 'writer', 'writer-pw'));
    await runtime.addProfile(prosodyAccount(prosody, 'reader', 'reader-pw'));
    await runtime.waitForState('writer', 'online', 30_000);
    await runtime.waitForState('reader', 'online', 30_000);
    expect(runtime.health().checks.storage).toMatchObject({ ok: true });

    /** uid → body of every acknowledged write, per profile. */
    const acked = { writer: new Map<string, string>(), reader: new Map<string, string>() };
    const failures = new Map<string, number>();
    const signals: string[] = [];
    runtime.events.on('messageNew', (m) => {
      const profile = m.profile as 'writer' | 'reader';
      const body = Object.values(m.message as Record<string, string>)[0] ?? '';
      acked[profile]?.set(m.uid, body);
    });
    runtime.events.on('storageUnhealthy', () => signals.push('unhealthy'));
    runtime.events.on('storageHealthy', () => signals.push('healthy'));

    const sender = async (loop: number) => {
      for (let i = 0; !stop; i++) {
        const body = `loop ${loop} message ${i}`;
        try {
          const result = await runtime.sendMessage('writer', {
            to: `reader@${prosody.domain}`,
            message: { '': body },
            type: 'chat',
          });
          if (result.outcome === 'sent' && result.stored)
            acked.writer.set(result.message.uid, body);
        } catch (error) {
          const code = error instanceof AviaryError ? error.code : `untyped ${String(error)}`;
          failures.set(code, (failures.get(code) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    };
    const senders = Array.from({ length: 4 }, (_, loop) => sender(loop));

    for (const mode of ['fast', 'immediate'] as const) {
      const before = acked.reader.size;
      await waitFor(() => acked.reader.size >= before + 100, 30_000);
      await server.halt(mode);
      await waitFor(() => (failures.get('storage.unavailable') ?? 0) > 0, 20_000);
      await waitFor(() => runtime.health().checks.storage?.ok === false, 10_000);
      expect(runtime.health().checks.storage?.detail, mode).toMatch(
        /postgres .*PostgreSQL is unreachable/,
      );
      await waitFor(() => signals.at(-1) === 'unhealthy', 10_000);
      await server.resume();
      // Recovery in place: the same runtime stores new messages and reports green again.
      const whileDown = acked.reader.size;
      await waitFor(() => acked.reader.size >= whileDown + 100, 30_000);
      await waitFor(() => runtime.health().checks.storage?.ok === true, 10_000);
      await waitFor(() => signals.at(-1) === 'healthy', 10_000);
    }
    stop = true;
    await Promise.all(senders);

    expect(signals).toEqual(['unhealthy', 'healthy', 'unhealthy', 'healthy']);
    // Only the typed error, never anything else.
    expect([...failures.keys()]).toEqual(['storage.unavailable']);
    for (const profile of ['writer', 'reader'] as const) {
      const stored = new Map(
        (await runtime.history(profile)).map((h) => [h.uid, Object.values(h.message)[0]]),
      );
      const lost = [...acked[profile]].filter(([uid, body]) => stored.get(uid) !== body);
      expect(lost, profile).toEqual([]);
    }
  });
});
