/**
 * Account provisioning around a load test: register every account before (XEP-0077 §3.1) and,
 * when asked, remove them after (§3.2), a bounded number at a time.
 */
import type { Clock } from '../actors/clock.js';
import { AviaryError } from '../errors.js';
import { createClientConnection } from '../xmpp/client-connection.js';
import type { SaltedPasswordCache } from '../xmpp/scram.js';
import type { LoadAccount } from './accounts.js';
import { createLatencyHistogram, type LatencySummary } from './latency-histogram.js';
import type { LoadTestOptions } from './load-options.js';
import { registerAccount, unregisterAccount } from './registration.js';

/** Outcome counts of a provisioning pass (`existed`: already there / already gone). */
export interface ProvisionSummary {
  readonly ok: number;
  readonly existed: number;
  readonly failed: number;
  readonly latency: LatencySummary;
  readonly errors: Readonly<Record<string, number>>;
  /** The first message of each error kind. */
  readonly errorSamples: Readonly<Record<string, string>>;
}

interface PassDeps {
  readonly options: LoadTestOptions;
  readonly accounts: readonly LoadAccount[];
  readonly clock: Clock;
  readonly now: () => number;
  readonly onDone?: () => void;
  /** Each error as it happens. */
  readonly onError?: (kind: string, message: string) => void;
  /** Stop taking accounts once this many failed before any succeeded (server down). */
  readonly abortAfterFailures?: number;
}

async function pass(
  deps: PassDeps,
  step: (account: LoadAccount) => Promise<'ok' | 'existed'>,
): Promise<ProvisionSummary> {
  const histogram = createLatencyHistogram();
  const errors = new Map<string, number>();
  const samples = new Map<string, string>();
  const hopeless = () =>
    deps.abortAfterFailures !== undefined &&
    ok + existed === 0 &&
    failed >= deps.abortAfterFailures;
  let ok = 0;
  let existed = 0;
  let failed = 0;
  let next = 0;
  const worker = async () => {
    while (next < deps.accounts.length && !hopeless()) {
      const account = deps.accounts[next++] as LoadAccount;
      const t0 = deps.now();
      try {
        if ((await step(account)) === 'ok') ok += 1;
        else existed += 1;
        histogram.record(deps.now() - t0);
      } catch (error) {
        failed += 1;
        const kind = error instanceof AviaryError ? error.code : 'unknown';
        errors.set(kind, (errors.get(kind) ?? 0) + 1);
        const message = error instanceof Error ? error.message : String(error);
        if (!samples.has(kind)) samples.set(kind, message);
        deps.onError?.(kind, message);
      }
      deps.onDone?.();
    }
  };
  const width = Math.max(1, deps.options.provisionConcurrency ?? 20);
  await Promise.all(Array.from({ length: Math.min(width, deps.accounts.length) }, worker));
  return {
    ok,
    existed,
    failed,
    latency: histogram.summary(),
    errors: Object.fromEntries(errors),
    errorSamples: Object.fromEntries(samples),
  };
}

/** Registers every account; `existed` counts accounts the server already had. */
export function provisionAccounts(deps: PassDeps): Promise<ProvisionSummary> {
  const { target } = deps.options;
  return pass(deps, async (account) => {
    const outcome = await registerAccount({
      host: target.host,
      port: target.port,
      domain: target.domain,
      username: account.username,
      password: account.password,
      tls: deps.options.tls ?? 'optional',
      ...(deps.options.ca === undefined ? {} : { ca: deps.options.ca }),
      clock: deps.clock,
      timeoutMs: deps.options.timeoutMs ?? 30_000,
    });
    return outcome === 'created' ? 'ok' : 'existed';
  });
}

/** Logs in as each account and removes it; `existed` counts accounts that could not log in any more. */
export function cleanupAccounts(
  deps: PassDeps & { readonly saltedPasswordCache: SaltedPasswordCache },
): Promise<ProvisionSummary> {
  const { target } = deps.options;
  return pass(deps, async (account) => {
    const connection = createClientConnection({
      jid: `${account.username}@${target.domain}/cleanup`,
      password: account.password,
      server: { host: target.host, port: target.port },
      tls: deps.options.tls ?? 'optional',
      ...(deps.options.ca === undefined ? {} : { tlsOptions: { ca: deps.options.ca } }),
      ...(deps.options.mechanisms === undefined ? {} : { mechanisms: deps.options.mechanisms }),
      allowPlainTextAuth: deps.options.tls === 'off',
      saltedPasswordCache: deps.saltedPasswordCache,
      clock: deps.clock,
      timeoutMs: deps.options.timeoutMs ?? 30_000,
    });
    try {
      await connection.connect();
    } catch (error) {
      if (error instanceof AviaryError && error.code === 'xmpp.auth-failed') return 'existed';
      throw error;
    }
    try {
      await unregisterAccount((iq, ms) => connection.iq(iq, ms), deps.options.timeoutMs);
    } catch (error) {
      // The server may close the stream right after removing the account, before the reply.
      if (!(error instanceof AviaryError && error.code === 'xmpp.not-connected')) throw error;
    } finally {
      await connection.disconnect().catch(() => undefined);
    }
    return 'ok';
  });
}
