/**
 * The load test itself: provision accounts (XEP-0077), open sessions along the arrival plan
 * (phases of login rate and session target, ramps applied), let each session run its scenario
 * of the mix, settle messages in flight, disconnect, clean up, and build the report with its
 * verdict. Stops by itself at the end of the plan, and early when no registration or login
 * succeeds at all (server down, wrong domain) so such a run fails within seconds.
 */
import { systemClock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import { createSaltedPasswordCache } from '../xmpp/scram.js';
import { type LoadAccount, resolveAccounts } from './accounts.js';
import { createArrivalPacer } from './arrival-pacer.js';
import { type ArrivalPhase, planDurationMs, positionIn } from './arrival-plan.js';
import { messageOf } from './error-kind.js';
import { inSlice, sliceShare } from './generator-slice.js';
import type { LoadPhase, LoadRunnerDeps, LoadTestHandle } from './load-handle.js';
import { createLoadMetrics } from './load-metrics.js';
import {
  type LoadTestOptions,
  resolvePlan,
  scenarioMix,
  validateLoadOptions,
} from './load-options.js';
import { buildLoadReport, defaultBurst, type LoadReport } from './load-report.js';
import { createLoadSession, LOGIN_CANCELLED, type LoadSession } from './load-session.js';
import { createPeerSet } from './peer-set.js';
import { cleanupAccounts, type ProvisionSummary, provisionAccounts } from './provisioning.js';
import { scenarioFor } from './scenario.js';
import { assertLimits, readSystemLimits } from './system-limits.js';

export { inSlice, sliceShare } from './generator-slice.js';
export type { LoadPhase, LoadProgress, LoadRunnerDeps, LoadTestHandle } from './load-handle.js';

/**
 * @example
 * const handle = startLoadTest({ target: { host: '127.0.0.1', port: 5222, domain: 'x.test' },
 *   accounts: { kind: 'pattern', username: 'user{n}', password: 'pw{n}', count: 100 },
 *   sessions: 100, phases: [{ durationMs: 10_000, rate: 10 }, { durationMs: 20_000, rate: 50 }],
 *   scenario, cleanup: true });
 * const report = await handle.done;
 */
export function startLoadTest(options: LoadTestOptions, deps: LoadRunnerDeps = {}): LoadTestHandle {
  validateLoadOptions(options);
  const sources = options.sourceAddresses ?? [];
  const slice = options.slice;
  const plan: readonly ArrivalPhase[] = resolvePlan(options);
  const durationMs = planDurationMs(plan);
  const mix = scenarioMix(options);
  const clock = deps.clock ?? systemClock;
  const now = deps.now ?? (() => performance.timeOrigin + performance.now());
  const accounts = resolveAccounts(options.accounts, options.target.domain).filter((a) =>
    inSlice(a.index, slice),
  );
  const byIndex = new Map(accounts.map((a) => [a.index, a]));
  const share = (n: number) => sliceShare(n, slice);
  const rateShare = (rate: number) => rate / (slice?.count ?? 1);
  assertLimits((deps.limits ?? readSystemLimits)(), {
    connections: Math.min(
      accounts.length,
      share(Math.max(options.sessions, ...plan.map((p) => p.sessions ?? 0))),
    ),
    sourceAddresses: Math.max(1, sources.length),
  });
  if (slice === undefined && accounts.length < options.sessions)
    throw new AviaryError(
      'loadtest.bad-options',
      `${options.sessions} sessions need as many accounts; only ${accounts.length}`,
    );
  const bucketMs = options.bucketMs ?? 1000;
  const abortAfter = Math.max(1, options.abortAfterFailures ?? 10);
  const firstErrors = new Set<string>();
  const onFirstError = (kind: string, message: string) => {
    if (firstErrors.has(kind)) return;
    firstErrors.add(kind);
    deps.onError?.(kind, message);
  };
  const newMetrics = () =>
    createLoadMetrics({
      now,
      bucketMs,
      onFirstError,
      ...(deps.streaming === true ? { streaming: true } : {}),
    });
  let metrics = newMetrics();
  const first = plan[0] as ArrivalPhase;
  const pacer = createArrivalPacer({
    rate: rateShare(first.rate),
    burst: defaultBurst({
      loginRate: rateShare(Math.max(...plan.map((p) => p.rate))),
      ...(options.loginBurst === undefined ? {} : { loginBurst: options.loginBurst }),
    }),
    clock,
  });
  const seed = options.seed ?? Math.floor(clock.now() % 2 ** 31);
  const saltedPasswordCache = createSaltedPasswordCache();
  const peers = createPeerSet();
  const active = new Map<number, { session: LoadSession; wait: AbortController }>();
  const free: number[] = accounts.map((a) => a.index);
  const unusable = new Set<number>();
  let phase: LoadPhase = 'provisioning';
  let planPhase = 0;
  let target = share(first.sessions ?? options.sessions);
  let loadStart = 0;
  let stopRequested = false;
  let aborted: string | undefined;
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
    const endIn = durationMs - e;
    if (down > 0 && endIn < down) fraction = Math.min(fraction, Math.max(0, endIn / down));
    return Math.min(Math.ceil(target * fraction), accounts.length - unusable.size);
  };

  const release = (index: number) => {
    active.delete(index);
    peers.remove(index);
    if (!unusable.has(index)) free.push(index);
  };

  const abortIfHopeless = (kind: string) => {
    const c = metrics.counters();
    if (
      aborted !== undefined ||
      c.loginsOk > 0 ||
      c.loginsFailed < Math.min(abortAfter, accounts.length)
    )
      return;
    const sample = metrics.errorSamples()[kind] ?? kind;
    aborted = `no login succeeded: the first ${c.loginsFailed} failed (${kind}: ${sample})`;
    stopRequested = true;
    wake();
  };

  const startOne = (account: LoadAccount) => {
    const wait = new AbortController();
    const session = createLoadSession({
      account,
      options,
      scenario: scenarioFor(mix, account.index),
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
    pacer.acquire(wait.signal).then(
      async () => {
        const failure = await session.login();
        if (failure !== undefined) {
          if (failure.startsWith('xmpp.auth-failed')) unusable.add(account.index);
          release(account.index);
          if (failure !== LOGIN_CANCELLED) abortIfHopeless(failure);
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
    entry.wait.abort();
    if (entry.session.state === 'waiting') return;
    void entry.session
      .stopScenario()
      .then(() => entry.session.disconnect())
      .then(() => release(index));
  };

  const tick = () => {
    if (phase !== 'load') return;
    const e = elapsed();
    if (stopRequested || e >= durationMs) {
      wake();
      return;
    }
    const position = positionIn(plan, e, options.sessions);
    if (position.index !== planPhase) {
      planPhase = position.index;
      pacer.setRate(rateShare(position.phase.rate));
      if (position.phase.sessions !== undefined) target = share(position.phase.sessions);
    }
    const want = desired();
    while (active.size < want && free.length > 0) {
      const index = free.shift() as number;
      startOne(byIndex.get(index) as LoadAccount);
    }
    if (active.size > want) {
      const newestFirst = [...active.keys()].reverse();
      for (const index of newestFirst.slice(0, active.size - want)) stopOne(index);
    }
    cancelTick = clock.setTimeout(tick, Math.min(100, Math.max(10, 1000 / pacer.rate)));
  };

  const provision = async (): Promise<ProvisionSummary | undefined> => {
    const register = options.register ?? options.accounts.kind === 'pattern';
    if (!register) return undefined;
    const summary = await provisionAccounts({
      options,
      accounts,
      clock,
      now,
      abortAfterFailures: abortAfter,
      onError: onFirstError,
      onDone: () => {
        provisioned += 1;
      },
    });
    if (summary.failed > 0 && summary.ok + summary.existed === 0) {
      const [kind = 'unknown', sample = ''] = Object.entries(summary.errorSamples)[0] ?? [];
      aborted = `provisioning failed: none of ${summary.failed} registrations succeeded (${kind}: ${sample})`;
    }
    return summary;
  };

  const run = async (): Promise<LoadReport> => {
    const provisionSummary = await provision();
    // Always: a worker must report ready (and take the go) even when its provisioning failed.
    await deps.beforeLoad?.();
    metrics = newMetrics();
    phase = 'load';
    loadStart = clock.now();
    const loadStartHr = now();
    if (aborted === undefined && !stopRequested)
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
    const settleUntil = clock.now() + (aborted === undefined ? (options.settleMs ?? 3000) : 0);
    while (clock.now() < settleUntil) {
      const c = metrics.counters();
      if (c.received >= c.sent) break;
      await new Promise<void>((r) => clock.setTimeout(r, 50));
    }
    const counters = metrics.counters();
    const timeline = metrics.timeline();
    await Promise.all([...active.values()].map(({ session }) => session.disconnect()));
    let cleanup: ProvisionSummary | undefined;
    if (options.cleanup === true && provisionSummary?.ok !== 0) {
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
      plan,
      metrics,
      counters,
      timeline,
      loadMs,
      ...(aborted === undefined ? {} : { aborted }),
      ...(provisionSummary === undefined ? {} : { provision: provisionSummary }),
      ...(cleanup === undefined ? {} : { cleanup }),
    });
  };

  const done = run().catch((error: unknown) => {
    phase = 'done';
    throw error instanceof AviaryError
      ? error
      : new AviaryError('loadtest.failed', messageOf(error), { cause: error });
  });

  return {
    done,
    setTarget(sessions) {
      if (!Number.isInteger(sessions) || sessions < 0)
        throw new AviaryError('loadtest.bad-options', 'target must be an integer >= 0');
      target = sessions;
    },
    setRate(perSecond) {
      pacer.setRate(perSecond);
    },
    stop() {
      stopRequested = true;
      wake();
    },
    progress() {
      return {
        phase,
        elapsedMs: elapsed(),
        durationMs,
        planPhase,
        rate: pacer.rate,
        desired: desired(),
        provisioned,
        accounts: accounts.length,
        counters: metrics.counters(),
      };
    },
    metrics: () => metrics,
  };
}

/** Runs a whole load test and resolves with its report. */
export function runLoadTest(
  options: LoadTestOptions,
  deps: LoadRunnerDeps = {},
): Promise<LoadReport> {
  return startLoadTest(options, deps).done;
}
