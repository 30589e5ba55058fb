/**
 * kill -9 of `aviary run` on PostgreSQL while a peer sends to its profile through a real Prosody.
 * A write is acknowledged when the runtime signals it: a `messageNew` event on the control API's
 * SSE stream, which the runtime emits only after the history row's COMMIT. Over a few rounds the
 * runtime is SIGKILLed at a random moment mid-stream and restarted on the same database; after
 * each restart every acknowledged message is in the profile's history with its body.
 * Needs `npm run build` (the test runs dist/).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followEvents } from '../../src/api/follow-events.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import { type RunningCli, startCliRuntime, tempDataDir } from '../helpers/cli.js';
import { type PostgresFixture, startPostgres } from '../helpers/postgres.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { waitFor } from '../helpers/wait-for.js';

const ROUNDS = 3;

/** `aviary run` on the database of `storageUrl`, trusting the test Prosody's CA. */
async function launch(dataDir: string, storageUrl: string, caFile: string) {
  const env: Record<string, string> = {
    AVIARY_STORAGE_URL: storageUrl,
    AVIARY_XMPP_TLS_CA_FILE: caFile,
    AVIARY_XMPP_RECONNECT_BASE_MS: '200',
  };
  // startCliRuntime passes this process's environment to the child.
  Object.assign(process.env, env);
  let running: RunningCli;
  try {
    running = await startCliRuntime(dataDir);
  } finally {
    for (const name of Object.keys(env)) delete process.env[name];
  }
  const apiUrl = /API:\s+(\S+)/.exec(running.output())?.[1];
  if (apiUrl === undefined) throw new Error(`no API address in:\n${running.output()}`);
  return { running, apiUrl };
}

/** Collects `messageNew` events of the SSE stream until aborted. */
function watchMessageNew(
  apiUrl: string,
  token: string,
  onEvent: (event: Record<string, unknown>) => void,
): AbortController {
  return followEvents(apiUrl, token, (event, data) => {
    if (event === 'messageNew') onEvent(data as Record<string, unknown>);
  });
}

describe('aviary run on PostgreSQL survives kill -9', () => {
  let prosody: ProsodyFixture;
  let server: PostgresFixture;
  let peer: Aviary;
  /** The `aviary run` of the current round, killed here if an assertion fails mid-round. */
  let current: RunningCli | undefined;
  /** Ends the send loops (also when an assertion failed mid-test). */
  let stop = false;
  beforeAll(async () => {
    prosody = await startProsody({
      users: [
        { username: 'target', password: 'target-pw' },
        { username: 'peer', password: 'peer-pw' },
      ],
    });
    server = await startPostgres();
    peer = await startTestRuntime(prosody);
    await peer.addProfile(prosodyAccount(prosody, 'peer', 'peer-pw'));
    await peer.waitForState('peer', 'online', 30_000);
  });
  afterAll(async () => {
    stop = true;
    if (current?.child.exitCode === null && current.child.signalCode === null)
      await current.stop('SIGKILL');
    await peer?.stop();
    await server?.stop();
    await prosody?.stop();
  });

  it(`keeps every signalled message over ${ROUNDS} kills while a peer sends`, async () => {
    const storageUrl = await server.createDatabase();
    const dataDir = tempDataDir('aviary-pg-kill9-');
    const caFile = join(dataDir, 'test-ca.pem');
    writeFileSync(caFile, prosody.caCertPem);

    const sender = async (loop: number) => {
      for (let i = 0; !stop; i++) {
        await peer
          .sendMessage('peer', {
            to: `target@${prosody.domain}`,
            message: { '': `loop ${loop} message ${i}` },
            type: 'chat',
          })
          .catch(() => new Promise((r) => setTimeout(r, 20)));
      }
    };
    let senders: Promise<void>[] = [];

    /** uid → body of every message `aviary run` signalled for `target`. */
    const acked = new Map<string, string>();
    const verify = async (apiUrl: string, token: string, label: string) => {
      const response = await fetch(`${apiUrl}/profiles/target/history`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(response.status, label).toBe(200);
      const rows = (await response.json()) as { uid: string; message: Record<string, string> }[];
      const stored = new Map(rows.map((r) => [r.uid, Object.values(r.message)[0]]));
      const missing = [...acked].filter(([uid, body]) => stored.get(uid) !== body);
      expect(missing, label).toEqual([]);
    };

    for (let round = 0; round <= ROUNDS; round++) {
      const { running, apiUrl } = await launch(dataDir, storageUrl, caFile);
      current = running;
      const token = readFileSync(join(dataDir, 'api-token'), 'utf8').trim();
      const call = (method: string, path: string, body?: unknown) =>
        fetch(`${apiUrl}${path}`, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          body: body === undefined ? null : JSON.stringify(body),
        });
      expect(running.output(), `round ${round}`).toMatch(/storage: postgres postgres:\/\//);
      if (round === 0) {
        const added = await call(
          'POST',
          '/profiles',
          prosodyAccount(prosody, 'target', 'target-pw'),
        );
        expect(added.status).toBe(201);
      }
      // The restarted runtime finds every acknowledged write of the killed one.
      await verify(apiUrl, token, `after restart ${round}`);
      if (round === ROUNDS) {
        const health = (await (await call('GET', '/health')).json()) as {
          checks: { storage: { ok: boolean; detail: string } };
        };
        expect(health.checks.storage).toMatchObject({ ok: true, detail: /^postgres / });
        expect(await running.stop('SIGTERM')).toBe(0);
        break;
      }

      let ackedThisRound = 0;
      const events = watchMessageNew(apiUrl, token, (event) => {
        if (event.profile !== 'target' || event.direction !== 'in') return;
        const body = Object.values(event.message as Record<string, string>)[0] ?? '';
        acked.set(event.uid as string, body);
        ackedThisRound++;
      });
      for (let state = ''; state !== 'online'; await new Promise((r) => setTimeout(r, 100))) {
        state = ((await (await call('GET', '/profiles/target')).json()) as { state: string }).state;
      }
      if (round === 0) senders = Array.from({ length: 4 }, (_, loop) => sender(loop));
      const target = 30 + Math.floor(Math.random() * 70);
      await waitFor(() => ackedThisRound >= target, 30_000);
      await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 200)));
      // Mid-stream: the peer keeps sending, so writes are in flight when the process dies.
      await running.stop('SIGKILL');
      expect(running.child.signalCode).toBe('SIGKILL');
      events.abort();
    }
    stop = true;
    await Promise.all(senders);
    expect(acked.size).toBeGreaterThanOrEqual(ROUNDS * 30);
  });
});
