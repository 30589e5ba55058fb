/**
 * `aviary bench load`: the load-testing harness (src/loadtest) from the command line: an
 * arrival plan of phases, a weighted scenario mix, live numbers (terminal, Prometheus), the
 * first error of each kind as it happens, JSON + SVG + HTML reports, thresholds with a verdict
 * (exit status 3 when the run fails it), and `--controller` to spread the load over workers.
 *
 *   aviary bench load --domain example.test --users 500 --cleanup \
 *     --phase 30s:rate=10,60s:rate=50 --threshold 'login.p99<500ms' --threshold 'errors.rate<1%'
 */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import type { LoadReport } from '../../loadtest/index.js';
import { globalOptions } from '../context.js';
import { emit, renderTable } from '../output.js';
import {
  type BenchLoadFlags,
  collect,
  number,
  parseListen,
  specFromFlags,
} from './bench-load-spec.js';

/** Exit status of a run that completed but failed its verdict. */
export const VERDICT_FAILED_EXIT = 3;

function summaryRows(report: LoadReport) {
  return Object.entries(report.latencyMs).map(([kind, s]) => ({
    transaction: kind,
    count: s.count,
    p50: s.p50,
    p95: s.p95,
    p99: s.p99,
    'p99.9': s.p999,
    max: s.max,
  }));
}

function humanReport(report: LoadReport, paths: { json: string; svg: string; html: string }) {
  const v = report.verdict;
  return [
    `scenario ${report.scenario}: ${report.sessions.peakOnline} sessions at peak, ${report.logins.ok} logins ok / ${report.logins.failed} failed, login rate ${report.logins.measuredRatePerSecond ?? '-'}/s`,
    `messages: ${report.messages.sent} sent, ${report.messages.received} delivered (${report.messages.perSecond}/s), ${report.messages.lost} lost`,
    ...(report.aborted === undefined ? [] : [`ABORTED: ${report.aborted}`]),
    '',
    renderTable(
      report.phases.map((p) => ({
        phase: p.index + 1,
        seconds: p.durationSeconds,
        'planned/s': p.plannedRate,
        'measured/s': p.measuredRatePerSecond,
        target: p.sessionTarget,
        logins: p.loginsStarted,
      })),
    ),
    '',
    renderTable(summaryRows(report)),
    '',
    Object.keys(report.errors).length === 0
      ? 'errors: none'
      : renderTable(
          Object.entries(report.errors).map(([kind, count]) => ({
            kind,
            count,
            first: report.errorSamples[kind] ?? '',
          })),
        ),
    ...(report.generators === undefined
      ? []
      : [
          '',
          renderTable(
            report.generators.map((g) => ({
              ...g,
              slice: `${g.slice.index + 1}/${g.slice.count}`,
            })),
          ),
        ]),
    '',
    ...v.thresholds.map(
      (t) => `${t.passed ? 'pass' : 'FAIL'}  ${t.threshold}  (measured ${t.actual ?? 'nothing'})`,
    ),
    v.passed
      ? 'verdict: PASSED'
      : `verdict: FAILED\n${v.failures.map((f) => `  - ${f}`).join('\n')}`,
    `report: ${paths.json}  html: ${paths.html}  chart: ${paths.svg}`,
  ].join('\n');
}

/** Registers `bench load` (creating the `bench` group when missing). */
export function registerBenchLoadCommand(program: Command): void {
  const bench =
    program.commands.find((c) => c.name() === 'bench') ??
    program.command('bench').description('benchmarks and load tests');
  bench
    .command('load')
    .description(
      'load-test an XMPP server with many real sessions (loopback targets only unless --allow-remote); exit 3 when the verdict fails',
    )
    .requiredOption('--domain <domain>', 'XMPP domain of the accounts')
    .option('--host <host>', 'server address', '127.0.0.1')
    .option('--port <port>', 'c2s port', '5222')
    .option('--allow-remote', 'allow a target (or metrics/controller address) outside loopback')
    .addOption(
      new Option('--tls <mode>', 'STARTTLS use')
        .choices(['off', 'optional', 'required'])
        .default('optional'),
    )
    .option('--ca-file <pem>', 'CA certificate to trust for STARTTLS')
    .option('--mechanism <name>', 'allowed SASL mechanism (repeatable)', collect, [])
    .option('--users <n>', 'accounts from the pattern', '100')
    .option('--user-pattern <pattern>', 'username pattern ({n} = number)', 'user{n}')
    .option('--password-pattern <pattern>', 'password pattern ({n} = number)', 'pw{n}')
    .option('--first <n>', 'first account number', '1')
    .option('--accounts-csv <file>', 'read username,password lines instead of a pattern')
    .option('--register', 'register the accounts first (XEP-0077; default for a pattern)')
    .option('--no-register', 'do not register the accounts')
    .option('--cleanup', 'remove the accounts at the end (XEP-0077 <remove/>)')
    .option('--sessions <n>', 'target concurrent sessions (default: all accounts)')
    .option(
      '--phase <plan>',
      'arrival phases DURATION:rate=R[:sessions=N], comma-separated or repeated (e.g. 60s:rate=10,2m:rate=50:sessions=5000)',
      collect,
      [],
    )
    .option('--phase-loop <n>', 'repeat the phases n times', '1')
    .option('--login-rate <n>', 'logins per second (without --phase)', '50')
    .option('--login-burst <n>', 'login burst (default: 20 ms worth, at least 2)')
    .option('--ramp-up <duration>', 'ramp-up (e.g. 10s)', '0')
    .option('--ramp-down <duration>', 'ramp-down (e.g. 10s)', '0')
    .option('--duration <duration>', 'load phase without --phase (e.g. 60s, 5m)', '60s')
    .option('--settle <duration>', 'wait for messages in flight at the end', '3s')
    .option(
      '--scenario <file[:weight]>',
      'scenario module, with an optional weight for a mix (repeatable; default: the chat example)',
      collect,
      [],
    )
    .option('--param <key=value>', 'scenario parameter (repeatable)', collect, [])
    .option('--source-address <ip>', 'local address in 127.0.0.0/8 (repeatable)', collect, [])
    .option(
      '--threshold <limit>',
      "pass/fail limit, e.g. 'login.p99<500ms', 'errors.rate<1%' (repeatable)",
      collect,
      [],
    )
    .option('--report <base>', 'write <base>.json, <base>.svg and <base>.html', 'load-report')
    .option('--seed <n>', 'random seed of the scenario')
    .option('--no-progress', 'no live numbers on the terminal')
    .option(
      '--metrics-port <port>',
      'serve Prometheus metrics on this port while running (0 = any)',
    )
    .option('--metrics-host <host>', 'address of the metrics endpoint', '127.0.0.1')
    .option('--controller', 'coordinate `aviary bench worker` processes instead of generating load')
    .option('--workers <n>', 'workers to wait for (with --controller)', '2')
    .option('--listen <host:port>', 'controller address (with --controller)', '127.0.0.1:0')
    .option('--token <token>', 'workers must present it (default: env AVIARY_LOAD_TOKEN or random)')
    .action(async (flags: BenchLoadFlags, command: Command) => {
      const global = globalOptions(command);
      // The harness loads only when a run starts: other commands never need it.
      const [
        { startLoadTest, writeLoadReport },
        { startController },
        { optionsFromSpec },
        { followRun, printFirstError },
      ] = await Promise.all([
        import('../../loadtest/index.js'),
        import('../../loadtest/load-controller.js'),
        import('../../loadtest/run-spec.js'),
        import('./bench-live.js'),
      ]);
      const spec = await specFromFlags(flags);
      const options = await optionsFromSpec(spec);
      const run = flags.controller
        ? await startController(spec, options, {
            workers: number(flags.workers, 'workers', 1),
            ...parseListen(flags.listen),
            allowRemote: flags.allowRemote === true,
            ...((flags.token ?? process.env.AVIARY_LOAD_TOKEN)
              ? { token: (flags.token ?? process.env.AVIARY_LOAD_TOKEN) as string }
              : {}),
            onError: printFirstError,
            onEvent: (line) => process.stderr.write(`${line}\n`),
          })
        : startLoadTest(options, { onError: printFirstError });
      const report = await followRun(run, {
        progress: flags.progress,
        json: global.json,
        ...(flags.metricsPort === undefined
          ? {}
          : { metricsPort: number(flags.metricsPort, 'metrics-port') }),
        metricsHost: flags.metricsHost,
        allowRemote: flags.allowRemote === true,
      });
      const paths = writeLoadReport(report, resolve(flags.report));
      emit(global.json, { ...report, files: paths }, () => humanReport(report, paths));
      // The verdict is part of the report just emitted (with --json, stdout stays that one
      // document): a failed one only adds its line on stderr and the exit status.
      if (!report.verdict.passed) {
        process.stderr.write(
          `aviary: load test failed: ${report.verdict.failures.join('; ')} [loadtest.failed]\n`,
        );
        process.exitCode = VERDICT_FAILED_EXIT;
      }
    });
}
