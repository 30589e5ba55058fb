/**
 * One simulated user: logs in through Aviary's client connection (timing each negotiation
 * step from its status transitions), runs the scenario, counts and times the load messages it
 * receives, and disconnects when told. Failures are counted by kind, never thrown at the runner.
 */
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import {
  type ClientConnection,
  type ConnectionStatus,
  createClientConnection,
} from '../xmpp/client-connection.js';
import type { SaltedPasswordCache } from '../xmpp/scram.js';
import type { LoadAccount } from './accounts.js';
import { errorKind, messageOf } from './error-kind.js';
import type { LoadMetrics, SessionState, TransactionKind } from './load-metrics.js';
import type { LoadTestOptions } from './load-options.js';
import type { Scenario } from './scenario.js';
import { createScenarioSession } from './scenario-session.js';
import { seededRandom } from './seeded-random.js';

export interface LoadSessionDeps {
  readonly account: LoadAccount;
  readonly options: LoadTestOptions;
  /** What this session does once online (its pick from the run's mix). */
  readonly scenario: Scenario;
  readonly metrics: LoadMetrics;
  readonly clock: Clock;
  /** Monotonic milliseconds (fractional) for latencies. */
  readonly now: () => number;
  readonly seed: number;
  readonly saltedPasswordCache: SaltedPasswordCache;
  /** Source address for this session's TCP connection. */
  readonly localAddress?: string;
  readonly peers: {
    random(self: number, random: () => number): string | undefined;
    online(index: number): string | undefined;
  };
  /** Called once when an online session drops by itself (not through `disconnect`). */
  readonly onLost: (session: LoadSession) => void;
}

export interface LoadSession {
  readonly index: number;
  readonly jid: string;
  readonly state: SessionState | 'gone';
  readonly connection: ClientConnection;
  /**
   * Logs in and starts the scenario; resolves undefined, the error kind (counted) on failure, or
   * {@link LOGIN_CANCELLED} when `disconnect()` came first.
   */
  login(): Promise<string | undefined>;
  /** Aborts the scenario and waits (up to 2 s) for it to return. */
  stopScenario(): Promise<void>;
  /** Closes the stream; the session is gone afterwards. */
  disconnect(): Promise<void>;
}

/** What `login()` returns when `disconnect()` interrupted it (nothing is counted). */
export const LOGIN_CANCELLED = 'loadtest.login-cancelled';

const STEP_OF: Partial<Record<ConnectionStatus, SessionState>> = {
  connecting: 'connecting',
  securing: 'securing',
  authenticating: 'authenticating',
  binding: 'binding',
  online: 'online',
  closing: 'closing',
};

/** @example const s = createLoadSession(deps); if (await s.login()) … await s.disconnect(); */
export function createLoadSession(deps: LoadSessionDeps): LoadSession {
  const { account, options, metrics, now } = deps;
  const { domain } = options.target;
  const jid = `${account.username}@${domain}`;
  const random = seededRandom(deps.seed);
  const abort = new AbortController();
  let state: SessionState | 'gone' = 'waiting';
  let leaving = false;
  let scenarioDone: Promise<void> = Promise.resolve();
  const stepAt = new Map<ConnectionStatus, number>();
  metrics.sessionState(undefined, 'waiting');

  const move = (next: SessionState | 'gone') => {
    if (next === state) return;
    metrics.sessionState(state === 'gone' ? undefined : state, next === 'gone' ? undefined : next);
    state = next;
  };

  const connection = createClientConnection({
    jid: `${jid}/load`,
    password: account.password,
    server: { host: options.target.host, port: options.target.port },
    ...(deps.localAddress ? { localAddress: deps.localAddress } : {}),
    tls: options.tls ?? 'optional',
    ...(options.ca === undefined ? {} : { tlsOptions: { ca: options.ca } }),
    ...(options.mechanisms === undefined ? {} : { mechanisms: options.mechanisms }),
    allowPlainTextAuth: options.tls === 'off',
    saltedPasswordCache: deps.saltedPasswordCache,
    clock: deps.clock,
    timeoutMs: options.timeoutMs ?? 30_000,
    iqTimeoutMs: options.timeoutMs ?? 30_000,
  });

  const session: LoadSession = {
    index: account.index,
    jid,
    get state() {
      return state;
    },
    connection,
    login,
    stopScenario,
    disconnect,
  };

  connection.onStatus((status, error) => {
    stepAt.set(status, now());
    const step = STEP_OF[status];
    if (step !== undefined) {
      move(step);
      return;
    }
    // offline
    const wasOnline = state === 'online' || state === 'closing';
    move('gone');
    if (wasOnline && !leaving) {
      const lost = error ?? new AviaryError('xmpp.connection-failed', 'lost');
      metrics.error(errorKind(lost), lost.message);
      abort.abort();
      deps.onLost(session);
    }
  });

  const span = (from: ConnectionStatus, to: ConnectionStatus, kind: TransactionKind) => {
    const a = stepAt.get(from);
    const b = stepAt.get(to);
    if (a !== undefined && b !== undefined) metrics.latency(kind, b - a);
  };

  const { api, onStanza } = createScenarioSession({
    account,
    jid,
    domain,
    params: options.params ?? {},
    connection,
    metrics,
    now,
    clock: deps.clock,
    random,
    peers: deps.peers,
    signal: abort.signal,
  });

  async function login(): Promise<string | undefined> {
    metrics.loginStarted();
    connection.onStanza(onStanza);
    try {
      await connection.connect();
    } catch (error) {
      // Stopped by the harness mid-login (target lowered, end of the run): not a failure.
      if (leaving) {
        move('gone');
        return LOGIN_CANCELLED;
      }
      const kind = errorKind(error);
      metrics.loginFinished(false);
      metrics.error(kind, messageOf(error));
      move('gone');
      return kind;
    }
    metrics.loginFinished(true);
    span('connecting', stepAt.has('securing') ? 'securing' : 'authenticating', 'connect');
    span('securing', 'authenticating', 'tls');
    span('authenticating', 'binding', 'auth');
    span('binding', 'online', 'bind');
    span('connecting', 'online', 'login');
    scenarioDone = deps.scenario.run(api).catch((error: unknown) => {
      if (!abort.signal.aborted) metrics.error(`scenario:${errorKind(error)}`, messageOf(error));
    });
    return undefined;
  }

  async function stopScenario(): Promise<void> {
    abort.abort();
    let cancel = () => {};
    await Promise.race([
      scenarioDone,
      new Promise<void>((resolve) => {
        cancel = deps.clock.setTimeout(resolve, 2000);
      }),
    ]);
    cancel();
  }

  async function disconnect(): Promise<void> {
    leaving = true;
    abort.abort();
    if (state === 'gone') return;
    await connection.disconnect().catch(() => undefined);
    move('gone');
  }

  return session;
}
