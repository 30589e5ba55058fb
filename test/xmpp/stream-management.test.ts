/**
 * Stream management (XEP-0198) against Prosody's `smacks`: profile `alice` reaches Prosody
 * through a TCP proxy that the test freezes (every byte dropped, sockets open: a dead link) and
 * then cuts, in the middle of a burst in both directions with the other profile `bob`.
 *
 * - resumed: every message arrives once in each history, and at the connection level no message
 *   stanza is delivered twice; the new connection resumed (never bound again);
 * - resumption refused (the session expired on the server): alice binds again, resends what was
 *   unacked, bob's history holds each message once (origin-id dedupe); what Prosody held for
 *   alice reaches her through offline storage, once in history;
 * - a server without `smacks`: plain sessions, reconnection by binding again.
 *
 * Connections are recorded by wrapping the real connection factory: each one's statuses and the
 * ids of the message stanzas it delivered.
 */
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionFactories } from '../../src/entities/entity-manager.js';
import type { HistoryEntry } from '../../src/entities/history-record.js';
import type { Aviary } from '../../src/runtime/default-runtime.js';
import type { RuntimeServices } from '../../src/runtime/runtime.js';
import { xmppConnectionFactories } from '../../src/runtime/xmpp-connections.js';
import { createSaltedPasswordCache } from '../../src/xmpp/scram.js';
import { type ProsodyFixture, startProsody } from '../helpers/prosody.js';
import { prosodyAccount, startTestRuntime } from '../helpers/runtime.js';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait-for.js';

const N = 1000;
const HIBERNATION_S = 5;
const alice = { username: 'smalice', password: 'sm-alice-secret' };
const bob = { username: 'smbob', password: 'sm-bob-secret' };

interface RecordedConnection {
  readonly profile: string;
  readonly statuses: string[];
  /** Message stanza id → times delivered by this connection. */
  readonly delivered: Map<string, number>;
}

function recordingConnections(log: RecordedConnection[]) {
  return (runtime: RuntimeServices): ConnectionFactories => {
    const real = xmppConnectionFactories({
      config: runtime.config,
      clock: runtime.clock,
      saltedPasswords: createSaltedPasswordCache(),
      log: runtime.log,
    });
    return {
      client(args) {
        const connection = real.client(args);
        const record: RecordedConnection = {
          profile: args.profile.name,
          statuses: [],
          delivered: new Map(),
        };
        log.push(record);
        connection.onStatus((status) => record.statuses.push(status));
        connection.onStanza((stanza: Element) => {
          if (stanza.name !== 'message' || stanza.getChild('body') === undefined) return;
          const id = stanza.attrs.id ?? '';
          record.delivered.set(id, (record.delivered.get(id) ?? 0) + 1);
        });
        return connection;
      },
      component: (args) => real.component(args),
    };
  };
}

/** Every message id delivered to `profile`, over all its connections, with its count. */
function deliveries(log: readonly RecordedConnection[], profile: string): Map<string, number> {
  const total = new Map<string, number>();
  for (const record of log.filter((r) => r.profile === profile))
    for (const [id, count] of record.delivered) total.set(id, (total.get(id) ?? 0) + count);
  return total;
}

async function inbound(runtime: Aviary, profile: string, peer: string, prefix: string) {
  const rows = await runtime.history(profile, { limit: 10 * N });
  return rows.filter((r) => r.from.startsWith(peer) && bodyOf(r).startsWith(prefix));
}

/** The body whatever its language (a receiver's server may tag it with its stream's xml:lang). */
function bodyOf(row: HistoryEntry): string {
  return Object.values(row.message).join('');
}

function bodies(count: number, prefix: string): string[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

async function setup(modules: string[]) {
  const prosody = await startProsody({
    users: [alice, bob],
    modules,
    // Debug: the test waits for Prosody's line about destroying an expired session.
    logLevel: 'debug',
    extraConfig: `smacks_hibernation_time = ${HIBERNATION_S}\nsmacks_max_queue_size = ${10 * N}\n`,
  });
  const proxy = await startTcpProxy({ host: '127.0.0.1', port: prosody.c2sPort });
  const connections: RecordedConnection[] = [];
  const runtime = await startTestRuntime(prosody, {
    connections: recordingConnections(connections),
    // Each burst is handed to the runtime at once (N sends per profile, with the other
    // profile's burst arriving meanwhile): the mailbox must hold it all, or a loaded machine,
    // draining slowly, refuses the excess with actor.mailbox-full, as the bound is meant to.
    config: { xmpp: { profileMailboxCapacity: 4 * N } },
  });
  await runtime.addProfile({
    ...prosodyAccount(prosody, alice.username, alice.password),
    serverPort: proxy.port,
  });
  await runtime.addProfile(prosodyAccount(prosody, bob.username, bob.password));
  await runtime.waitForState(alice.username, 'online');
  await runtime.waitForState(bob.username, 'online');
  return { prosody, proxy, connections, runtime };
}

const aliceJid = (p: ProsodyFixture) => `${alice.username}@${p.domain}`;
const bobJid = (p: ProsodyFixture) => `${bob.username}@${p.domain}`;

function send(runtime: Aviary, from: string, to: string, body: string) {
  return runtime.sendMessage(from, { to, type: 'chat', message: { '': body } });
}

describe('stream management with Prosody smacks', () => {
  let prosody: ProsodyFixture;
  let proxy: TcpProxy;
  let runtime: Aviary;
  let connections: RecordedConnection[];

  beforeAll(async () => {
    ({ prosody, proxy, connections, runtime } = await setup(['smacks']));
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    await proxy?.stop();
    await prosody?.stop();
  });

  it(`a link cut mid-burst resumes: ${N} messages each way, none lost, none delivered twice`, async () => {
    const fromBob = bodies(N, 'b2a #');
    const fromAlice = bodies(N, 'a2b #');
    const bobSends = Promise.all(
      fromBob.map((b) => send(runtime, bob.username, aliceJid(prosody), b)),
    );
    const firstHalf = Promise.all(
      fromAlice.slice(0, N / 2).map((b) => send(runtime, alice.username, bobJid(prosody), b)),
    );
    await waitFor(() => deliveries(connections, alice.username).size >= N / 4, {
      timeoutMs: 60_000,
      what: 'a quarter of bob’s burst delivered to alice',
    });
    await firstHalf;
    // Dead link: alice's second half and the rest of bob's burst vanish on the way.
    proxy.freeze();
    const secondHalf = await Promise.all(
      fromAlice.slice(N / 2).map((b) => send(runtime, alice.username, bobJid(prosody), b)),
    );
    expect(secondHalf.every((r) => r.outcome === 'sent')).toBe(true);
    await bobSends;
    const beforeCut = deliveries(connections, alice.username).size;
    expect(beforeCut).toBeLessThan(N);
    proxy.cut();

    await waitFor(
      async () =>
        (await inbound(runtime, alice.username, bobJid(prosody), 'b2a #')).length >= N &&
        (await inbound(runtime, bob.username, aliceJid(prosody), 'a2b #')).length >= N,
      {
        timeoutMs: 120_000,
        what: 'both bursts complete in history',
        detail: () =>
          `alice delivered ${deliveries(connections, alice.username).size}, bob delivered ${deliveries(connections, bob.username).size}; alice's connections: ${connections
            .filter((c) => c.profile === alice.username)
            .map((c) => c.statuses.join('>'))
            .join(' | ')}`,
      },
    );
    const atAlice = await inbound(runtime, alice.username, bobJid(prosody), 'b2a #');
    const atBob = await inbound(runtime, bob.username, aliceJid(prosody), 'a2b #');
    expect(atAlice.map((r) => bodyOf(r)).sort()).toEqual([...fromBob].sort());
    expect(atBob.map((r) => bodyOf(r)).sort()).toEqual([...fromAlice].sort());

    // Nothing delivered twice at the connection level: the resume counted exactly.
    for (const profile of [alice.username, bob.username]) {
      const counts = deliveries(connections, profile);
      expect(counts.size).toBe(N);
      expect([...counts.values()].filter((c) => c !== 1)).toEqual([]);
    }
    // Alice's last connection resumed the session instead of binding a new one.
    const aliceConnections = connections.filter((c) => c.profile === alice.username);
    expect(aliceConnections.length).toBeGreaterThanOrEqual(2);
    const last = aliceConnections.at(-1)?.statuses ?? [];
    expect(last).toContain('resuming');
    expect(last).not.toContain('binding');
    expect(last.at(-1)).toBe('online');
    // The entity's state follows its connection's status through its mailbox, which may still
    // hold the tail of the resent burst: wait for it (bounded) rather than read it at once.
    await runtime.waitForState(alice.username, 'online', 30_000);
  }, 180_000);

  it('a session that expired on the server: rebind, unacked messages resent, each stored once', async () => {
    const K = 200;
    const fromAlice = bodies(K, 'late-a2b #');
    const fromBob = bodies(K, 'late-b2a #');
    const connectionsBefore = connections.filter((c) => c.profile === alice.username).length;
    proxy.freeze();
    // Sent on the dead link: Prosody never sees alice's; it queues bob's for the frozen session.
    await Promise.all(fromAlice.map((b) => send(runtime, alice.username, bobJid(prosody), b)));
    await Promise.all(fromBob.map((b) => send(runtime, bob.username, aliceJid(prosody), b)));
    // Keep alice away until Prosody gives up the hibernating session.
    proxy.refuse(true);
    proxy.cut();
    await waitFor(() => /hibernating too long|hibernation timeout/.test(prosody.logTail(400)), {
      timeoutMs: 60_000,
      what: 'Prosody destroying the hibernated session',
    });
    proxy.refuse(false);

    await waitFor(
      async () =>
        (await inbound(runtime, alice.username, bobJid(prosody), 'late-b2a #')).length >= K &&
        (await inbound(runtime, bob.username, aliceJid(prosody), 'late-a2b #')).length >= K,
      { timeoutMs: 120_000, what: 'both late bursts in history' },
    );
    const atBob = await inbound(runtime, bob.username, aliceJid(prosody), 'late-a2b #');
    const atAlice = await inbound(runtime, alice.username, bobJid(prosody), 'late-b2a #');
    expect(atBob.map((r) => bodyOf(r)).sort()).toEqual([...fromAlice].sort());
    expect(atAlice.map((r) => bodyOf(r)).sort()).toEqual([...fromBob].sort());
    const resumedOrBound = connections
      .filter((c) => c.profile === alice.username)
      .slice(connectionsBefore)
      .find((c) => c.statuses.at(-1) === 'online');
    expect(resumedOrBound?.statuses).toEqual(
      expect.arrayContaining(['resuming', 'binding', 'online']),
    );
  }, 180_000);
});

describe('a server without stream management', () => {
  let prosody: ProsodyFixture;
  let proxy: TcpProxy;
  let runtime: Aviary;
  let connections: RecordedConnection[];

  beforeAll(async () => {
    ({ prosody, proxy, connections, runtime } = await setup([]));
  }, 60_000);
  afterAll(async () => {
    await runtime?.stop();
    await proxy?.stop();
    await prosody?.stop();
  });

  it('plain sessions: a cut connection binds again and messages flow', async () => {
    proxy.cut();
    await waitFor(() => connections.filter((c) => c.profile === alice.username).length >= 2, {
      timeoutMs: 30_000,
      what: 'alice reconnecting',
    });
    await runtime.waitForState(alice.username, 'online');
    for (const record of connections.filter((c) => c.profile === alice.username)) {
      expect(record.statuses).not.toContain('resuming');
    }
    expect(connections.filter((c) => c.profile === alice.username).at(-1)?.statuses).toContain(
      'binding',
    );
    await send(runtime, alice.username, bobJid(prosody), 'after the cut');
    await waitFor(
      async () =>
        (await inbound(runtime, bob.username, aliceJid(prosody), 'after the cut')).length === 1,
      { timeoutMs: 30_000, what: 'the message after the cut' },
    );
  }, 60_000);
});
