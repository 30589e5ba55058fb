/**
 * The load test itself: provision accounts (XEP-0077), open sessions at the login rate along
 * the ramp-up / steady / ramp-down shape, let the scenario run, settle messages in flight,
 * disconnect, clean up, and build the report. Stops by itself at `durationMs`.
 */
import { type Clock, systemClock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import { createSaltedPasswordCache } from '../xmpp/scram.js';
import { createTokenBucket } from '../xmpp/token-bucket.js';
import { type LoadAccount, resolveAccounts } from './accounts.js';
import { createLoadMetrics, type LoadCounters } from './load-metrics.js';
import { type LoadTestOptions, validateLoadOptions } from './load-options.js';
import { buildLoadReport, defaultBurst, type LoadReport } from './load-report.js';
import { createLoadSession, type LoadSession } from './load-session.js';
import { createPeerSet } from './peer-set.js';
import { cleanupAccounts, type ProvisionSummary, provisionAccounts } from './provisioning.js';
import { assertLimits, readSystemLimits } from './system-limits.js';

export type LoadPhase = 'provisioning' | 'load' | 'settling' | 'cleanup' | 'done';

/** A live view for progress bars. */
export interface LoadProgress {
  readonly phase: LoadPhase;
  readonly elapsedMs: number;
  readonly durationMs: number;
  /** Sessions wanted right now (the ramp applied to the target). */
  readonly desired: number;
  /** Accounts registered (or removed, during cleanup) so far, out of `accounts`. */
  readonly provisioned: number;
  readonly accounts: number;
  readonly counters: LoadCounters;
}

export interface LoadTestHandle {
  /** The report, once the run (cleanup included) is over. */
  readonly done: Promise<LoadReport>;
  /** Changes the target number of concurrent sessions while running. */
  setTarget(sessions: number): void;
  /** Ends the load phase now (then settles, disconnects and cleans up). */
  stop(): void;
  progress(): LoadProgress;
}

export interface LoadRunnerDeps {
  readonly clock?: Clock;
  /** Monotonic ms for latencies (default `performance.now`). */
  readonly now?: () => number;
  /** Limits check (default: read from /proc); injectable for tests. */
  readonly limits?: typeof readSystemLimits;
}

/**
 * @example
 * const handle = startLoadTest({ target: { host: '127.0.0.1', port: 5222, domain: 'x.test' },
 *   accounts: { kind: 'pattern', username: 'user{n}', password: 'pw{n}', count: 100 },
 *   sessions: 100, loginRate: 50, durationMs: 30_000, scenario, cleanup: true });
 * const report = await handle.done;
 */
export function startLoadTest(options: LoadTestOptions, deps: LoadRunnerDeps = {}): LoadTestHandle {
  validateLoadOptions(options);
  const sources = options.sourceAddresses ?? [];
  assertLimits((deps.limits ?? readSystemLimits)(), {
    connections: options.sessions,
    sourceAddresses: Math.max(1, sources.length),
  });
  const clock = deps.clock ?? systemClock;
  const now = deps.now ?? (() => performance.now());
  const accounts = resolveAccounts(options.accounts, options.target.domain);
  if (accounts.length < options.sessions)
    throw new AviaryError(
      'loadtest.bad-options',
      `${options.sessions} sessions need as many accounts; only ${accounts.length}`,
    );
  const bucketMs = options.bucketMs ?? 1000;
  let metrics = createLoadMetrics({ now, bucketMs });
  const bucket = createTokenBucket({
    ratePerSecond: options.loginRate,
    burst: defaultBurst(options),
    clock,
  });
  const seed = options.seed ?? Math.floor(clock.now() % 2 ** 31);
  const saltedPasswordCache = createSaltedPasswordCache();
  const peers = createPeerSet();
  const active = new Map<number, { session: LoadSession; wait: AbortController }>();
  const free: number[] = accounts.map((a) => a.index);
  const unusable = new Set<number>();
  let phase: LoadPhase = 'provisioning';
  let target = options.sessions;
  let loadStart = 0;
  let stopRequested = false;
  let provisioned = 0;
  let cancelTick = () => {};
  let wake = () => {};

  const elapsed = () => (phase === 'load' ? clock.now() - loadStart : 0);
  const desired = () => {
    if (phase !== 'load') return 0;
    const e = elapsed();
    const up = options.rampUpMs ?? 0;
    const down = options.rampDownMs ?? 0;
    let fraction = 1;
    if (up > 0 && e < up) fraction = e / up;
    const endIn = options.durationMs - e;
    if (down > 0 && endIn < down) fraction = Math.min(fraction, Math.max(0, endIn / down));
    return Math.min(Math.ceil(target * fraction), accounts.length - unusable.size);
  };

  const release = (index: number) => {
    active.delete(index);
    peers.remove(index);
    if (!unusable.has(index)) free.push(index);
  };

  const startOne = (account: LoadAccount) => {
    const wait = new AbortController();
    const session = createLoadSession({
      account,
      options,
      metrics,
      clock,
      now,
      seed: seed + account.index,
      saltedPasswordCache,
      // Sessions spread over the source addresses round-robin (ephemeral ports are per address).
      ...(sources.length > 0
        ? { localAddress: sources[account.index % sources.length] as string }
        : {}),
      peers,
      onLost: (s) => release(s.index),
    });
    active.set(account.index, { session, wait });
    bucket.acquire(wait.signal).then(
      async () => {
        const failure = await session.login();
        if (failure !== undefined) {
          if (failure.startsWith('xmpp.auth-failed')) unusable.add(account.index);
          release(account.index);
          return;
        }
        if (wait.signal.aborted || phase !== 'load') {
          await session.disconnect();
          release(account.index);
          return;
        }
        peers.add(account.index, session.jid);
      },
      () => {
        metrics.sessionState('waiting', undefined);
        release(account.index);
      },
    );
  };

  const stopOne = (index: number) => {
    const entry = active.get(index);
    if (entry === undefined) return;
    peers.remove(index);
    if (entry.session.state === 'waiting') {
      entry.wait.abort();
      return;
    }
    entry.wait.abort();
    void entry.session
      .stopScenario()
      .then(() => entry.session.disconnect())
      .then(() => release(index));
  };

  const tick = () => {
    if (phase !== 'load') return;
    if (stopRequested || elapsed() >= options.durationMs) {
      wake();
      return;
    }
    const want = desired();
    while (active.size < want && free.length > 0) {
      const index = free.shift() as number;
      startOne(accounts[index] as LoadAccount);
    }
    if (active.size > want) {
      const newestFirst = [...active.keys()].reverse();
      for (const index of newestFirst.slice(0, active.size - want)) stopOne(index);
    }
    cancelTick = clock.setTimeout(tick, Math.min(100, Math.max(10, 1000 / options.loginRate)));
  };

  const run = async (): Promise<LoadReport> => {
    const register = options.register ?? options.accounts.kind === 'pattern';
    const provision = register
      ? await provisionAccounts({
          options,
          accounts,
          clock,
          now,
          onDone: () => {
            provisioned += 1;
          },
        })
      : undefined;
    metrics = createLoadMetrics({ now, bucketMs });
    phase = 'load';
    loadStart = clock.now();
    const loadStartHr = now();
    await new Promise<void>((resolve) => {
      wake = resolve;
      tick();
    });
    cancelTick();
    const loadMs = now() - loadStartHr;
    phase = 'settling';
    const entries = [...active.values()];
    for (const { wait } of entries) wait.abort();
    await Promise.all(entries.map(({ session }) => session.stopScenario()));
    const settleUntil = clock.now() + (options.settleMs ?? 3000);
    while (clock.now() < settleUntil) {
      const c = metrics.counters();
      if (c.received >= c.sent) break;
      await new Promise<void>((r) => clock.setTimeout(r, 50));
    }
    const counters = metrics.counters();
    const timeline = metrics.timeline();
    await Promise.all([...active.values()].map(({ session }) => session.disconnect()));
    let cleanup: ProvisionSummary | undefined;
    if (options.cleanup === true) {
      phase = 'cleanup';
      provisioned = 0;
      cleanup = await cleanupAccounts({
        options,
        accounts,
        clock,
        now,
        saltedPasswordCache,
        onDone: () => {
          provisioned += 1;
        },
      });
    }
    phase = 'done';
    return buildLoadReport({
      options,
      metrics,
      counters,
      timeline,
      loadMs,
      ...(provision === undefined ? {} : { provision }),
      ...(cleanup === undefined ? {} : { cleanup }),
    });
  };

  return {
    done: run(),
    setTarget(sessions) {
      if (!Number.isInteger(sessions) || sessions < 0)
        throw new AviaryError('loadtest.bad-options', 'target must be an integer >= 0');
      target = sessions;
    },
    stop() {
      stopRequested = true;
      wake();
    },
    progress() {
      return {
        phase,
        elapsedMs: elapsed(),
        durationMs: options.durationMs,
        desired: desired(),
        provisioned,
        accounts: accounts.length,
        counters: metrics.counters(),
      };
    },
  };
}

/** Runs a whole load test and resolves with its report. */
export function runLoadTest(
  options: LoadTestOptions,
  deps: LoadRunnerDeps = {},
): Promise<LoadReport> {
  return startLoadTest(options, deps).done;
}
