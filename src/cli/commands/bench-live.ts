/**
 * What `aviary bench load` shows while a run goes (one process or a controller): a progress
 * bar on a terminal, else a status line every few seconds on stderr; the first error of each
 * kind as it happens; and, when asked, the Prometheus endpoint.
 */
import cliProgress from 'cli-progress';
import type { LoadMetrics, LoadProgress, LoadReport } from '../../loadtest/index.js';
import { type MetricsEndpoint, startMetricsEndpoint } from '../../loadtest/metrics-endpoint.js';
import { renderPrometheus } from '../../loadtest/prometheus-text.js';

/** A run as the live view sees it. */
export interface LiveRun {
  readonly done: Promise<LoadReport>;
  progress(): LoadProgress;
  metrics(): LoadMetrics;
  stop(): void;
}

/** One line of live numbers. */
export function statusLine(p: LoadProgress, metrics: LoadMetrics): string {
  const c = p.counters;
  const r = metrics.recentRates();
  const where =
    p.phase === 'load'
      ? `load ${Math.round(p.elapsedMs / 1000)}/${Math.round(p.durationMs / 1000)} s, phase ${p.planPhase + 1} at ${Number(p.rate.toFixed(2))} logins/s`
      : p.phase === 'provisioning' || p.phase === 'cleanup'
        ? `${p.phase} ${p.provisioned}/${p.accounts}`
        : p.phase;
  return `${where} | online ${c.sessions.online} (want ${p.desired}) | logins ${c.loginsOk} ok ${c.loginsFailed} failed, ${r.loginsPerSecond}/s | msgs ${c.sent} sent ${c.received} delivered, ${r.messagesPerSecond}/s | errors ${c.errors}`;
}

/** Prints the first error of a kind (stderr), as it happens. */
export function printFirstError(kind: string, message: string): void {
  process.stderr.write(`error ${kind}: ${message}\n`);
}

/**
 * Follows `run` until it is done: live numbers, SIGINT stops the load phase, the endpoint
 * closes at the end. Resolves with the report.
 */
export async function followRun(
  run: LiveRun,
  options: {
    progress: boolean;
    json: boolean;
    metricsPort?: number;
    metricsHost: string;
    allowRemote: boolean;
  },
): Promise<LoadReport> {
  let endpoint: MetricsEndpoint | undefined;
  if (options.metricsPort !== undefined) {
    endpoint = await startMetricsEndpoint({
      host: options.metricsHost,
      port: options.metricsPort,
      allowRemote: options.allowRemote,
      render: () => renderPrometheus(run.progress(), run.metrics()),
    });
    process.stderr.write(`metrics: ${endpoint.url}\n`);
  }
  const tty = options.progress && !options.json && process.stderr.isTTY === true;
  const bar = new cliProgress.SingleBar(
    { stream: process.stderr, format: '[{bar}] {line}', hideCursor: true, barsize: 20 },
    cliProgress.Presets.shades_classic,
  );
  const refresh = () => {
    const p = run.progress();
    const total = p.phase === 'load' ? p.durationMs : Math.max(1, p.accounts);
    const value = p.phase === 'load' ? p.elapsedMs : p.provisioned;
    bar.setTotal(total);
    bar.update(Math.min(value, total), { line: statusLine(p, run.metrics()) });
  };
  if (tty) bar.start(1, 0, { line: '' });
  const timer = tty
    ? setInterval(refresh, 250)
    : options.progress
      ? setInterval(
          () => process.stderr.write(`${statusLine(run.progress(), run.metrics())}\n`),
          5000,
        )
      : undefined;
  const onSignal = () => run.stop();
  process.once('SIGINT', onSignal);
  try {
    return await run.done;
  } finally {
    clearInterval(timer);
    process.off('SIGINT', onSignal);
    if (tty) {
      refresh();
      bar.stop();
    }
    await endpoint?.close();
  }
}
