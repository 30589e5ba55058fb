/**
 * `aviary bench load`: the load-testing harness (src/loadtest) from the command line: an
 * arrival plan of phases, a weighted scenario mix, live numbers (terminal, Prometheus), the
 * first error of each kind as it happens, JSON + SVG + HTML reports, thresholds with a verdict
 * (exit status 3 when the run fails it), and `--controller` to spread the load over workers.
 *
 *   aviary bench load --domain example.test --users 500 --cleanup \
 *     --phase 30s:rate=10,60s:rate=50 --threshold 'login.p99<500ms' --threshold 'errors.rate<1%'
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import {
  type AccountSource,
  type LoadReport,
  loopPlan,
  parseDuration,
  parsePlan,
  parseThreshold,
  type ScenarioParams,
  startLoadTest,
  writeLoadReport,
} from '../../loadtest/index.js';
import { startController } from '../../loadtest/load-controller.js';
import {
  DEFAULT_SCENARIO_URL,
  optionsFromSpec,
  type RunSpec,
  scenarioUrl,
} from '../../loadtest/run-spec.js';
import type { MechanismName } from '../../xmpp/sasl-mechanisms.js';
import { globalOptions } from '../context.js';
import { CliError, emit, renderTable } from '../output.js';
import { followRun, printFirstError } from './bench-live.js';

/** Exit status of a run that completed but failed its verdict. */
export const VERDICT_FAILED_EXIT = 3;

interface BenchLoadFlags {
  host: string;
  port: string;
  domain: string;
  allowRemote?: boolean;
  tls: 'off' | 'optional' | 'required';
  caFile?: string;
  mechanism: string[];
  users: string;
  userPattern: string;
  passwordPattern: string;
  first: string;
  accountsCsv?: string;
  register?: boolean;
  cleanup?: boolean;
  sessions?: string;
  loginRate: string;
  loginBurst?: string;
  rampUp: string;
  rampDown: string;
  duration: string;
  settle: string;
  phase: string[];
  phaseLoop: string;
  scenario: string[];
  param: string[];
  sourceAddress: string[];
  threshold: string[];
  report: string;
  seed?: string;
  progress: boolean;
  metricsPort?: string;
  metricsHost: string;
  controller?: boolean;
  workers: string;
  listen: string;
  token?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function number(value: string, flag: string, min = 0): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new CliError(`--${flag} needs a number >= ${min}`);
  return n;
}

function duration(value: string, flag: string, allowZero = true): number {
  if (allowZero && Number(value) === 0) return 0;
  try {
    return parseDuration(value);
  } catch (error) {
    throw new CliError(`--${flag}: ${(error as Error).message}`);
  }
}

/** Parses `key=value` pairs; numbers and true/false are converted. */
export function parseParams(pairs: readonly string[]): ScenarioParams {
  const params: Record<string, string | number | boolean> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--param ${pair}: expected key=value`);
    const raw = pair.slice(eq + 1);
    params[pair.slice(0, eq)] =
      raw === 'true'
        ? true
        : raw === 'false'
          ? false
          : raw !== '' && Number.isFinite(Number(raw))
            ? Number(raw)
            : raw;
  }
  return params;
}

/** `path/to/scenario.js[:WEIGHT]` → module URL and integer weight (default 1). */
export function parseScenarioFlag(value: string): { url: string; weight: number } {
  const match = /^(.*?)(?::(\d+))?$/.exec(value) as RegExpExecArray;
  const weight = match[2] === undefined ? 1 : Number(match[2]);
  if (!(weight >= 1)) throw new CliError(`--scenario ${value}: the weight must be >= 1`);
  return { url: scenarioUrl(resolve(match[1] as string)), weight };
}

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

/** The run described by the command-line flags (plain data, sent to workers as is). */
export function specFromFlags(flags: BenchLoadFlags): RunSpec {
  const accounts: AccountSource =
    flags.accountsCsv !== undefined
      ? { kind: 'csv', file: resolve(flags.accountsCsv) }
      : {
          kind: 'pattern',
          username: flags.userPattern,
          password: flags.passwordPattern,
          count: number(flags.users, 'users', 1),
          first: number(flags.first, 'first'),
        };
  const users = accounts.kind === 'pattern' ? accounts.count : Number.NaN;
  let phases: RunSpec['phases'] = [];
  try {
    phases = loopPlan(parsePlan(flags.phase), number(flags.phaseLoop, 'phase-loop', 1));
    for (const t of flags.threshold) parseThreshold(t);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return {
    target: { host: flags.host, port: number(flags.port, 'port', 1), domain: flags.domain },
    allowRemote: flags.allowRemote === true,
    tls: flags.tls,
    ...(flags.caFile === undefined ? {} : { ca: readFileSync(flags.caFile, 'utf8') }),
    ...(flags.mechanism.length === 0 ? {} : { mechanisms: flags.mechanism as MechanismName[] }),
    accounts,
    ...(flags.register === undefined ? {} : { register: flags.register }),
    cleanup: flags.cleanup === true,
    sessions:
      flags.sessions !== undefined
        ? number(flags.sessions, 'sessions')
        : Number.isNaN(users)
          ? 0
          : users,
    phases,
    loginRate: number(flags.loginRate, 'login-rate'),
    durationMs: duration(flags.duration, 'duration', false),
    ...(flags.loginBurst === undefined
      ? {}
      : { loginBurst: number(flags.loginBurst, 'login-burst', 1) }),
    rampUpMs: duration(flags.rampUp, 'ramp-up'),
    rampDownMs: duration(flags.rampDown, 'ramp-down'),
    settleMs: duration(flags.settle, 'settle'),
    scenarios:
      flags.scenario.length === 0
        ? [{ url: DEFAULT_SCENARIO_URL, weight: 1 }]
        : flags.scenario.map(parseScenarioFlag),
    params: parseParams(flags.param),
    sourceAddresses: flags.sourceAddress,
    thresholds: flags.threshold,
    ...(flags.seed === undefined ? {} : { seed: number(flags.seed, 'seed') }),
  };
}

/** Host and port of `--listen HOST:PORT` (IPv6 in brackets). */
export function parseListen(value: string): { host: string; port: number } {
  const match = /^\[?([^\]]*?)\]?:(\d+)$/.exec(value);
  if (match === null) throw new CliError(`--listen ${value}: expected HOST:PORT`);
  return { host: match[1] as string, port: Number(match[2]) };
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
      const spec = specFromFlags(flags);
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
      if (!report.verdict.passed)
        throw new CliError(
          `load test failed: ${report.verdict.failures.join('; ')}`,
          VERDICT_FAILED_EXIT,
        );
    });
}
