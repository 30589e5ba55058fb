/**
 * The controller of a distributed load run (`aviary bench load --controller`): listens (on
 * loopback unless `allowRemote`), waits for `workers` workers presenting the token, gives each
 * a slice of the accounts and of the arrival rate, sends the common go once all have
 * provisioned, merges their metric deltas into one live view, and builds one report. A worker
 * that disconnects before its report is reported with its slice, and fails the verdict: its
 * share of the load was not generated and the totals say so.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { AviaryError } from '../errors.js';
import { isLoopbackHost } from '../xmpp/loopback.js';
import { planDurationMs, positionIn } from './arrival-plan.js';
import {
  type ControllerMessage,
  onMessages,
  sendMessage,
  type WorkerMessage,
} from './generator-wire.js';
import type { LatencySummary } from './latency-histogram.js';
import { createLoadMetrics, type LoadMetrics, SESSION_STATES } from './load-metrics.js';
import { type LoadTestOptions, resolvePlan } from './load-options.js';
import { buildLoadReport, type GeneratorReport, type LoadReport } from './load-report.js';
import type { LoadPhase, LoadProgress } from './load-runner.js';
import type { ProvisionSummary } from './provisioning.js';
import type { RunSpec } from './run-spec.js';

export interface ControllerOptions {
  readonly workers: number;
  readonly host: string;
  readonly port: number;
  readonly allowRemote?: boolean;
  /** Shared secret the workers present (default: random, printed through `onEvent`). */
  readonly token?: string;
  readonly onError?: (kind: string, message: string) => void;
  /** Lines for the console: listening address, workers joining, lost, finished. */
  readonly onEvent?: (line: string) => void;
}

export interface ControllerHandle {
  /** `tcp://HOST:PORT` for `aviary bench worker --controller`. */
  readonly url: string;
  readonly token: string;
  readonly done: Promise<LoadReport>;
  progress(): LoadProgress;
  metrics(): LoadMetrics;
  /** Asks every worker to end its load phase now. */
  stop(): void;
  /** Stops listening and ends the run with what it has (workers not finished count as lost). */
  close(): void;
}

interface Worker {
  readonly socket: Socket;
  readonly id: string;
  readonly slice: { readonly index: number; readonly count: number };
  accounts: number;
  state: 'joined' | 'ready' | 'running' | 'finished' | 'lost';
  report?: LoadReport;
  detail?: string;
}

const sameToken = (a: string, b: string) => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Sums provisioning passes; latency percentiles are the highest of any worker (an upper bound). */
function mergeProvision(parts: readonly ProvisionSummary[]): ProvisionSummary | undefined {
  if (parts.length === 0) return undefined;
  const errors: Record<string, number> = {};
  const samples: Record<string, string> = {};
  for (const p of parts) {
    for (const [k, n] of Object.entries(p.errors)) errors[k] = (errors[k] ?? 0) + n;
    for (const [k, m] of Object.entries(p.errorSamples ?? {})) samples[k] ??= m;
  }
  const worst = (key: keyof LatencySummary) =>
    Math.max(...parts.map((p) => p.latency[key]).filter((v) => !Number.isNaN(v)));
  const count = parts.reduce((s, p) => s + p.latency.count, 0);
  const sum = parts.reduce(
    (s, p) => s + (p.latency.count > 0 ? p.latency.mean * p.latency.count : 0),
    0,
  );
  return {
    ok: parts.reduce((s, p) => s + p.ok, 0),
    existed: parts.reduce((s, p) => s + p.existed, 0),
    failed: parts.reduce((s, p) => s + p.failed, 0),
    latency: {
      count,
      mean: count === 0 ? Number.NaN : Math.round((sum / count) * 1000) / 1000,
      p50: worst('p50'),
      p95: worst('p95'),
      p99: worst('p99'),
      p999: worst('p999'),
      max: worst('max'),
    },
    errors,
    errorSamples: samples,
  };
}

/** @example const c = await startController(spec, options, { workers: 3, host: '127.0.0.1', port: 0 }); */
export async function startController(
  spec: RunSpec,
  options: LoadTestOptions,
  config: ControllerOptions,
): Promise<ControllerHandle> {
  if (!isLoopbackHost(config.host) && config.allowRemote !== true)
    throw new AviaryError(
      'loadtest.remote-target',
      `refusing to listen on ${config.host}: loopback only without --allow-remote`,
    );
  if (!(Number.isInteger(config.workers) && config.workers >= 1))
    throw new AviaryError('loadtest.bad-options', 'workers must be an integer >= 1');
  const token = config.token ?? randomBytes(16).toString('hex');
  const plan = resolvePlan(options);
  const durationMs = planDurationMs(plan);
  const bucketMs = spec.bucketMs ?? 1000;
  const say = (line: string) => config.onEvent?.(line);
  const workers: Worker[] = [];
  let metrics = createLoadMetrics({
    now: () => performance.timeOrigin + performance.now(),
    bucketMs,
  });
  let phase: LoadPhase = 'provisioning';
  let loadStart = 0;
  let settle: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    settle = resolve;
  });

  const send = (w: Worker, m: ControllerMessage) => sendMessage(w.socket, m);
  const checkAllReady = () => {
    if (phase !== 'provisioning' || workers.length < config.workers) return;
    if (!workers.every((w) => w.state === 'ready' || w.state === 'lost')) return;
    metrics = createLoadMetrics({
      now: () => performance.timeOrigin + performance.now(),
      bucketMs,
      ...(config.onError === undefined ? {} : { onFirstError: config.onError }),
    });
    phase = 'load';
    loadStart = Date.now();
    say(`all ${workers.length} workers ready: go`);
    for (const w of workers)
      if (w.state === 'ready') {
        w.state = 'running';
        send(w, { type: 'go' });
      }
  };
  const checkAllDone = () => {
    if (workers.length < config.workers) return;
    if (workers.every((w) => w.state === 'finished' || w.state === 'lost')) settle();
  };

  const server: Server = createServer((socket) => {
    let worker: Worker | undefined;
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (worker === undefined || worker.state === 'finished') return;
      worker.state = 'lost';
      worker.detail ??= 'connection closed before its report';
      metrics.absorb(worker.id, {
        sessions: Object.fromEntries(SESSION_STATES.map((s) => [s, 0])) as never,
        sent: 0,
        received: 0,
        loginsOk: 0,
        loginsFailed: 0,
        loginStarts: [],
        errors: { 'generator-lost': 1 },
        errorSamples: { 'generator-lost': `worker ${worker.id} lost` },
        histograms: {},
      });
      say(
        `worker ${worker.id} (slice ${worker.slice.index + 1}/${worker.slice.count}, ${worker.accounts} accounts) LOST: ${worker.detail}; its share of the load is missing from this run`,
      );
      checkAllReady();
      checkAllDone();
    });
    onMessages<WorkerMessage>(socket, (message) => {
      if (worker === undefined) {
        if (message.type !== 'hello' || !sameToken(String(message.token), token)) {
          sendMessage(socket, { type: 'refused', message: 'bad token' });
          socket.end();
          return;
        }
        if (workers.length >= config.workers) {
          sendMessage(socket, { type: 'refused', message: 'enough workers already' });
          socket.end();
          return;
        }
        worker = {
          socket,
          id: `w${workers.length + 1}`,
          slice: { index: workers.length, count: config.workers },
          accounts: 0,
          state: 'joined',
        };
        workers.push(worker);
        say(`worker ${worker.id} joined from ${message.id} (${workers.length}/${config.workers})`);
        if (workers.length === config.workers)
          for (const w of workers) send(w, { type: 'start', spec, slice: w.slice });
        return;
      }
      const w = worker;
      if (message.type === 'ready') {
        w.accounts = message.accounts;
        w.state = 'ready';
        checkAllReady();
      } else if (message.type === 'metrics') {
        if (phase === 'load') metrics.absorb(w.id, message.delta);
      } else if (message.type === 'done') {
        w.report = message.report;
        w.state = 'finished';
        say(`worker ${w.id} finished`);
        checkAllDone();
      } else if (message.type === 'failed') {
        w.detail = message.message;
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as { address: string; port: number };
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  const url = `tcp://${host}:${address.port}`;
  say(
    `controller listening on ${url}; start workers with: aviary bench worker --controller ${url} --token ${token}`,
  );

  const done = (async (): Promise<LoadReport> => {
    await finished;
    phase = 'done';
    server.close();
    const loadMs = Date.now() - loadStart;
    const reports = workers.flatMap((w) => (w.report === undefined ? [] : [w.report]));
    const generators: GeneratorReport[] = workers.map((w) => ({
      id: w.id,
      slice: w.slice,
      accounts: w.accounts,
      status: w.state === 'finished' ? 'finished' : 'lost',
      ...(w.detail === undefined ? {} : { detail: w.detail }),
    }));
    const lost = generators.filter((g) => g.status === 'lost');
    const aborted = reports.find((r) => r.aborted !== undefined)?.aborted;
    const provision = mergeProvision(reports.flatMap((r) => (r.provision ? [r.provision] : [])));
    const cleanup = mergeProvision(reports.flatMap((r) => (r.cleanup ? [r.cleanup] : [])));
    return buildLoadReport({
      options,
      plan,
      metrics,
      counters: metrics.counters(),
      timeline: metrics.timeline(),
      loadMs: phase === 'done' && loadStart > 0 ? loadMs : 0,
      generators,
      failures: lost.map(
        (g) =>
          `generator ${g.id} (slice ${g.slice.index + 1}/${g.slice.count}, ${g.accounts} accounts) was lost: ${g.detail ?? ''}`,
      ),
      ...(aborted === undefined ? {} : { aborted }),
      ...(provision === undefined ? {} : { provision }),
      ...(cleanup === undefined ? {} : { cleanup }),
    });
  })();

  return {
    url,
    token,
    done,
    progress() {
      const elapsedMs = phase === 'load' ? Date.now() - loadStart : 0;
      const position = positionIn(plan, elapsedMs, options.sessions);
      return {
        phase,
        elapsedMs,
        durationMs,
        planPhase: position.index,
        rate: position.phase.rate,
        desired: phase === 'load' ? position.sessions : 0,
        provisioned: 0,
        accounts: workers.reduce((s, w) => s + w.accounts, 0),
        counters: metrics.counters(),
      };
    },
    metrics: () => metrics,
    stop() {
      for (const w of workers) send(w, { type: 'stop' });
    },
    close() {
      for (const w of workers) w.socket.destroy();
      server.close();
      settle();
    },
  };
}
