/**
 * `aviary bench load`: the load-testing harness (src/loadtest) from the command line, with a
 * live progress bar, a JSON report and an SVG chart written at the end.
 *
 *   aviary bench load --domain example.test --port 5222 --users 500 --sessions 500 \
 *     --login-rate 100 --duration 60 --cleanup --param rate=0.5
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import cliProgress from 'cli-progress';
import { type Command, Option } from 'commander';
import {
  type AccountSource,
  type LoadReport,
  type LoadTestOptions,
  type Scenario,
  type ScenarioParams,
  scenarioFromModule,
  startLoadTest,
  writeLoadReport,
} from '../../loadtest/index.js';
import type { MechanismName } from '../../xmpp/sasl-mechanisms.js';
import { globalOptions } from '../context.js';
import { CliError, emit, renderTable } from '../output.js';

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
  loginBurst: string;
  rampUp: string;
  rampDown: string;
  duration: string;
  settle: string;
  scenario?: string;
  param: string[];
  sourceAddress: string[];
  report: string;
  seed?: string;
  progress: boolean;
}

const collect = (value: string, previous: string[]) => [...previous, value];

function number(value: string, flag: string, min = 0): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min) throw new CliError(`--${flag} needs a number >= ${min}`);
  return n;
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

/** Loads a scenario module by path (default: the shipped chat example). */
export async function loadScenario(path: string | undefined): Promise<Scenario> {
  const url =
    path === undefined
      ? new URL('../../../examples/scenarios/chat.js', import.meta.url)
      : pathToFileURL(resolve(path));
  const module = (await import(url.href)) as Record<string, unknown>;
  return scenarioFromModule(module, url.pathname);
}

function summaryRows(report: LoadReport) {
  return Object.entries(report.latencyMs).map(([kind, s]) => ({
    transaction: kind,
    count: s.count,
    p50: s.p50,
    p95: s.p95,
    p99: s.p99,
    max: s.max,
  }));
}

/** Builds the harness options from the command-line flags. */
export function optionsFromFlags(flags: BenchLoadFlags, scenario: Scenario): LoadTestOptions {
  const accounts: AccountSource =
    flags.accountsCsv !== undefined
      ? { kind: 'csv', file: flags.accountsCsv }
      : {
          kind: 'pattern',
          username: flags.userPattern,
          password: flags.passwordPattern,
          count: number(flags.users, 'users', 1),
          first: number(flags.first, 'first'),
        };
  const users = accounts.kind === 'pattern' ? accounts.count : Number.NaN;
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
    loginRate: number(flags.loginRate, 'login-rate'),
    loginBurst: number(flags.loginBurst, 'login-burst', 1),
    rampUpMs: number(flags.rampUp, 'ramp-up') * 1000,
    rampDownMs: number(flags.rampDown, 'ramp-down') * 1000,
    durationMs: number(flags.duration, 'duration') * 1000,
    settleMs: number(flags.settle, 'settle') * 1000,
    scenario,
    params: parseParams(flags.param),
    ...(flags.sourceAddress.length === 0 ? {} : { sourceAddresses: flags.sourceAddress }),
    ...(flags.seed === undefined ? {} : { seed: number(flags.seed, 'seed') }),
  };
}

/** Registers `bench load` (creating the `bench` group when missing). */
export function registerBenchLoadCommand(program: Command): void {
  const bench =
    program.commands.find((c) => c.name() === 'bench') ??
    program.command('bench').description('benchmarks and load tests');
  bench
    .command('load')
    .description(
      'load-test an XMPP server with many real sessions (loopback targets only unless --allow-remote)',
    )
    .requiredOption('--domain <domain>', 'XMPP domain of the accounts')
    .option('--host <host>', 'server address', '127.0.0.1')
    .option('--port <port>', 'c2s port', '5222')
    .option('--allow-remote', 'allow a target outside localhost / 127.0.0.0/8 / ::1')
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
    .option('--login-rate <n>', 'logins per second', '50')
    .option('--login-burst <n>', 'login burst', '1')
    .option('--ramp-up <s>', 'ramp-up seconds', '0')
    .option('--ramp-down <s>', 'ramp-down seconds', '0')
    .option('--duration <s>', 'load phase seconds (ramps included)', '60')
    .option('--settle <s>', 'seconds to wait for messages in flight at the end', '3')
    .option('--scenario <file>', 'scenario module (default: the chat example)')
    .option('--param <key=value>', 'scenario parameter (repeatable)', collect, [])
    .option('--source-address <ip>', 'local address in 127.0.0.0/8 (repeatable)', collect, [])
    .option('--report <base>', 'write <base>.json and <base>.svg', 'load-report')
    .option('--seed <n>', 'random seed of the scenario')
    .option('--no-progress', 'no live progress bar')
    .action(async (flags: BenchLoadFlags, command: Command) => {
      const global = globalOptions(command);
      const scenario = await loadScenario(flags.scenario);
      const handle = startLoadTest(optionsFromFlags(flags, scenario));
      const live = flags.progress && !global.json && process.stderr.isTTY === true;
      const bar = new cliProgress.SingleBar(
        {
          stream: process.stderr,
          format:
            '{phase} [{bar}] {value}/{total} | online {online} (want {desired}) | logins {logins} | msgs {sent}/{received} | errors {errors}',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      const refresh = () => {
        const p = handle.progress();
        const c = p.counters;
        const inLoad = p.phase === 'load';
        const total = inLoad ? Math.round(p.durationMs / 1000) : p.accounts;
        const value = inLoad ? Math.round(p.elapsedMs / 1000) : p.provisioned;
        bar.setTotal(total);
        bar.update(Math.min(value, total), {
          phase: p.phase.padEnd(12),
          online: c.sessions.online,
          desired: p.desired,
          logins: c.loginsOk,
          sent: c.sent,
          received: c.received,
          errors: c.errors,
        });
      };
      if (live) bar.start(1, 0, {});
      const timer = live ? setInterval(refresh, 250) : undefined;
      const onSignal = () => handle.stop();
      process.once('SIGINT', onSignal);
      let report: LoadReport;
      try {
        report = await handle.done;
      } finally {
        clearInterval(timer);
        process.off('SIGINT', onSignal);
        if (live) {
          refresh();
          bar.stop();
        }
      }
      const paths = writeLoadReport(report, resolve(flags.report));
      emit(global.json, { ...report, files: paths }, () =>
        [
          `scenario ${report.scenario}: ${report.sessions.peakOnline} sessions at peak, ${report.logins.ok} logins ok / ${report.logins.failed} failed, login rate ${report.logins.measuredRatePerSecond ?? '-'}/s`,
          `messages: ${report.messages.sent} sent, ${report.messages.received} delivered (${report.messages.perSecond}/s), ${report.messages.lost} lost`,
          '',
          renderTable(summaryRows(report)),
          '',
          Object.keys(report.errors).length === 0
            ? 'errors: none'
            : renderTable(Object.entries(report.errors).map(([kind, count]) => ({ kind, count }))),
          `report: ${paths.json}  chart: ${paths.svg}`,
        ].join('\n'),
      );
    });
}
